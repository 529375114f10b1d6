import Testing
@testable import Keyspace

/// Randomised comparison against a Swift Dictionary: inserts, overwrites of every size, deletes
/// (backward shifts), expiries; many keys share one slot so tables grow and shrink repeatedly.
@Suite struct ModelTests {
    struct RNG: RandomNumberGenerator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
    }

    @Test(arguments: [1, 2, 3])
    func randomOperationsMatchDictionary(seed: UInt64) {
        var rng = RNG(state: seed)
        let ks = Keyspace(databases: 2)
        var model: [[UInt8]: (value: [UInt8], expireAt: Int64?)] = [:]
        var now: Int64 = 1_000_000
        func key(_ i: Int) -> [UInt8] {
            // Half the keys share the {hot} tag (one slot), half spread over all slots.
            i % 2 == 0 ? Array("{hot}\(i)".utf8) : Array("k\(i)".utf8)
        }
        func value() -> [UInt8] {
            switch Int.random(in: 0..<10, using: &rng) {
            case 0: return Array("\(Int64.random(in: Int64.min...Int64.max, using: &rng))".utf8)
            case 1: return [UInt8](repeating: 0x61, count: Int.random(in: 60_000..<70_000, using: &rng))
            case 2: return []
            default: return (0..<Int.random(in: 1..<80, using: &rng)).map { _ in UInt8.random(in: 0...255, using: &rng) }
            }
        }
        for step in 0..<100_000 {
            let k = key(Int.random(in: 0..<3_000, using: &rng))
            if let e = model[k], let at = e.expireAt, now > at { model[k] = nil }
            switch Int.random(in: 0..<100, using: &rng) {
            case 0..<40:
                let v = value()
                let ttl: Int64? = Int.random(in: 0..<4, using: &rng) == 0 ? now + Int64.random(in: 1..<5_000, using: &rng) : nil
                ks.set(k, v, expireAt: ttl, now: now)
                model[k] = (v, ttl)
            case 40..<70:
                let deleted = withKey(k) { ks.delete(db: 0, key: $0, now: now) }
                #expect(deleted == (model[k] != nil))
                model[k] = nil
            case 70..<75:
                let at = now + Int64.random(in: -10..<3_000, using: &rng)
                let ok = withKey(k) { ks.setExpire(db: 0, key: $0, at: at, now: now) }
                #expect(ok == (model[k] != nil))
                if model[k] != nil { model[k]!.expireAt = at }
            case 75..<78:
                let ok = withKey(k) { ks.removeExpire(db: 0, key: $0, now: now) }
                #expect(ok == (model[k]?.expireAt != nil))
                if model[k] != nil { model[k]!.expireAt = nil }
            default:
                let got = ks.get(k, now: now)
                if got != model[k]?.value {
                    Issue.record("step \(step): mismatch for \(String(decoding: k, as: UTF8.self))")
                    return
                }
            }
            now += Int64.random(in: 0..<3, using: &rng)
            if step % 20_000 == 0 { #expect(ks.checkInvariants()) }
        }
        // Everything the model holds (and nothing else) is there.
        for (k, e) in model where e.expireAt.map({ now <= $0 }) ?? true {
            #expect(ks.get(k, now: now) == e.value)
        }
        _ = ks.activeExpireCycle(now: now + 1_000_000, timeBudgetMicros: 10_000_000)
        let persistent = model.values.filter { $0.expireAt == nil }.count
        #expect(ks.keyCount(db: 0) == persistent)
        #expect(ks.expiringKeyCount(db: 0) == 0)
        #expect(ks.checkInvariants())
    }

    @Test func growAndShrinkManyTimes() {
        let ks = Keyspace(databases: 1)
        for round in 0..<3 {
            for i in 0..<20_000 { ks.set("{s}\(i)", "\(round)") }
            #expect(ks.keyCount(db: 0) == 20_000)
            for i in 0..<20_000 where i % 100 != 0 { #expect(ks.del("{s}\(i)")) }
            #expect(ks.keyCount(db: 0) == 200)
            for i in stride(from: 0, to: 20_000, by: 100) { #expect(ks.get("{s}\(i)") == "\(round)") }
            let slot = withKey("{s}") { $0.slot }
            #expect(ks.databases[0].shards[slot].capacity < 1_000)  // grew past 25,000, shrank back
            #expect(ks.checkInvariants())
        }
    }
}
