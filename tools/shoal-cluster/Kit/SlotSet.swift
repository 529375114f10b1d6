/// The 16384 hash slots of a Redis Cluster.
public let clusterSlots = 16384

/// A set of hash slots as a bitmap.
public struct SlotSet: Sendable, Equatable, Hashable, Sequence {
    private var words: [UInt64]
    public private(set) var count: Int

    public init() {
        words = Array(repeating: 0, count: clusterSlots / 64)
        count = 0
    }

    public init<S: Sequence>(_ slots: S) where S.Element == Int {
        self.init()
        for s in slots { insert(s) }
    }

    public init(ranges: [ClosedRange<Int>]) {
        self.init()
        for r in ranges { for s in r { insert(s) } }
    }

    public var isEmpty: Bool { count == 0 }

    public func contains(_ slot: Int) -> Bool {
        guard slot >= 0 && slot < clusterSlots else { return false }
        return words[slot >> 6] & (1 << UInt64(slot & 63)) != 0
    }

    @discardableResult
    public mutating func insert(_ slot: Int) -> Bool {
        precondition(slot >= 0 && slot < clusterSlots, "slot \(slot) out of range")
        let bit: UInt64 = 1 << UInt64(slot & 63)
        if words[slot >> 6] & bit != 0 { return false }
        words[slot >> 6] |= bit
        count += 1
        return true
    }

    @discardableResult
    public mutating func remove(_ slot: Int) -> Bool {
        guard contains(slot) else { return false }
        words[slot >> 6] &= ~(1 << UInt64(slot & 63))
        count -= 1
        return true
    }

    public func union(_ other: SlotSet) -> SlotSet {
        var out = self
        for s in other { out.insert(s) }
        return out
    }

    public var complement: SlotSet {
        var out = SlotSet()
        for s in 0..<clusterSlots where !contains(s) { out.insert(s) }
        return out
    }

    /// Ascending slots.
    public func makeIterator() -> AnyIterator<Int> {
        var word = 0
        var bits: UInt64 = words.isEmpty ? 0 : words[0]
        let words = self.words
        return AnyIterator {
            while bits == 0 {
                word += 1
                if word >= words.count { return nil }
                bits = words[word]
            }
            let tz = bits.trailingZeroBitCount
            bits &= bits - 1
            return word * 64 + tz
        }
    }

    public var sorted: [Int] { Array(self) }

    /// Maximal runs of consecutive slots, ascending.
    public var ranges: [ClosedRange<Int>] { slotRanges(sorted) }

    /// `0-5460,5462` (redis-cli's style without brackets).
    public var rangeText: String { rangesText(ranges) }
}

/// Maximal runs of consecutive values of an ascending list.
public func slotRanges(_ ascending: [Int]) -> [ClosedRange<Int>] {
    var out: [ClosedRange<Int>] = []
    var start = -1, last = -2
    for s in ascending {
        if s == last + 1 {
            last = s
        } else {
            if start >= 0 { out.append(start...last) }
            start = s
            last = s
        }
    }
    if start >= 0 { out.append(start...last) }
    return out
}

/// Groups consecutive slots of a list in its own order (not sorted): [3,4,5,9,8] -> 3-5, 9, 8.
public func runsInOrder(_ slots: [Int]) -> [ClosedRange<Int>] {
    var out: [ClosedRange<Int>] = []
    for s in slots {
        if let l = out.last, l.upperBound + 1 == s {
            out[out.count - 1] = l.lowerBound...s
        } else {
            out.append(s...s)
        }
    }
    return out
}

public func rangesText(_ ranges: [ClosedRange<Int>]) -> String {
    ranges.map { $0.count == 1 ? "\($0.lowerBound)" : "\($0.lowerBound)-\($0.upperBound)" }
        .joined(separator: ",")
}

// MARK: - Key hash slots

private let crc16Table: [UInt16] = {
    var t = [UInt16](repeating: 0, count: 256)
    for i in 0..<256 {
        var crc = UInt16(i) << 8
        for _ in 0..<8 {
            crc = (crc & 0x8000) != 0 ? (crc << 1) ^ 0x1021 : crc << 1
        }
        t[i] = crc
    }
    return t
}()

/// CRC16-CCITT (XMODEM), the cluster's key hash.
public func crc16(_ bytes: some Collection<UInt8>) -> UInt16 {
    var crc: UInt16 = 0
    for b in bytes {
        crc = (crc << 8) ^ crc16Table[Int(UInt8(truncatingIfNeeded: crc >> 8) ^ b)]
    }
    return crc
}

/// The hash slot of a key, honouring `{hash tags}`.
public func keyHashSlot(_ key: [UInt8]) -> Int {
    if let open = key.firstIndex(of: UInt8(ascii: "{")),
       let close = key[(open + 1)...].firstIndex(of: UInt8(ascii: "}")), close > open + 1 {
        return Int(crc16(key[(open + 1)..<close]) & 0x3FFF)
    }
    return Int(crc16(key) & 0x3FFF)
}
