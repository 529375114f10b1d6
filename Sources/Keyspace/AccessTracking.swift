/// LRU / LFU bookkeeping in the 24 header bits of each entry, with Redis's semantics:
/// LRU: a seconds clock modulo 2^24. LFU: the time in minutes modulo 2^16 in the upper 16 bits and
/// a logarithmic 8-bit counter (new keys start at 5) in the lower 8, incremented with probability
/// 1 / ((counter - 5) * lfu-log-factor + 1) and decremented by one per `lfu-decay-time` minutes idle.
extension Keyspace {
    public static let lruClockMax: Int64 = (1 << 24) - 1
    public static let lfuInitialValue: UInt64 = 5

    @inlinable @inline(__always)
    static func lruClock(_ now: Int64) -> UInt64 {
        UInt64(truncatingIfNeeded: now / 1000) & 0xFF_FFFF
    }

    @inlinable @inline(__always)
    static func lfuMinutes(_ now: Int64) -> UInt64 {
        UInt64(truncatingIfNeeded: now / 60_000) & 0xFFFF
    }

    /// The access bits of a new key.
    @inlinable @inline(__always)
    func initialAccessBits(slot: Int, now: Int64) -> UInt64 {
        maxmemoryPolicyIsLFU ? (Keyspace.lfuMinutes(now) << 8) | Keyspace.lfuInitialValue : Keyspace.lruClock(now)
    }

    /// The access bits after one access of a key whose bits were `old`.
    @inlinable @inline(__always)
    func touchedAccessBits(_ old: UInt64, slot: Int, now: Int64) -> UInt64 {
        if !maxmemoryPolicyIsLFU { return Keyspace.lruClock(now) }
        let counter = lfuLogIncrement(lfuDecayed(old, now: now), slot: slot)
        return (Keyspace.lfuMinutes(now) << 8) | counter
    }

    /// The LFU counter after applying the decay for the time since the last access.
    @usableFromInline
    func lfuDecayed(_ bits: UInt64, now: Int64) -> UInt64 {
        let lastMinutes = bits >> 8
        let counter = bits & 0xFF
        let nowMinutes = Keyspace.lfuMinutes(now)
        let elapsed = nowMinutes >= lastMinutes ? nowMinutes - lastMinutes : 65535 - lastMinutes + nowMinutes
        let periods = lfuDecayTime > 0 ? elapsed / UInt64(lfuDecayTime) : 0
        return periods > counter ? 0 : counter - periods
    }

    @usableFromInline
    func lfuLogIncrement(_ counter: UInt64, slot: Int) -> UInt64 {
        if counter >= 255 { return 255 }
        // xorshift64* per slot (its state is only touched under the slot's lock).
        var x = slotStats[slot].random
        x ^= x >> 12
        x ^= x << 25
        x ^= x >> 27
        slotStats[slot].random = x
        let r = Double((x &* 0x2545_F491_4F6C_DD1D) >> 11) / Double(1 << 53)
        let base = counter > Keyspace.lfuInitialValue ? Double(counter - Keyspace.lfuInitialValue) : 0
        let p = 1.0 / (base * Double(lfuLogFactor) + 1)
        return r < p ? counter + 1 : counter
    }

    /// OBJECT IDLETIME: seconds since the last access, from the 24-bit LRU clock.
    public func idleTimeSeconds(_ entry: EntryRef, now: Int64) -> Int64 {
        let clock = Int64(Keyspace.lruClock(now))
        let last = Int64(entry.lruField)
        let idleMillis = clock >= last ? (clock - last) * 1000 : (clock + (Keyspace.lruClockMax - last)) * 1000
        return idleMillis / 1000
    }

    /// OBJECT FREQ: the LFU counter with decay applied (not incremented).
    public func accessFrequency(_ entry: EntryRef, now: Int64) -> Int {
        Int(lfuDecayed(UInt64(entry.lruField), now: now))
    }

    /// OBJECT REFCOUNT: Redis shares the integers 0..<10000 (reported as INT_MAX) unless an
    /// LRU/LFU maxmemory policy forbids it; every other value has one reference.
    public func objectRefCount(_ entry: EntryRef) -> Int {
        if sharedIntegers && entry.isIntegerEncoded {
            let v = entry.integerValue
            if v >= 0 && v < 10000 { return Int(Int32.max) }
        }
        return 1
    }
}
