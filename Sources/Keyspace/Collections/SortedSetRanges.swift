/// A score interval as ZRANGEBYSCORE, ZCOUNT and ZREMRANGEBYSCORE take it (`(` makes a bound
/// exclusive; `-inf` / `+inf` are plain doubles).
public struct SortedSetScoreRange {
    public var min: Double
    public var max: Double
    public var minExclusive: Bool
    public var maxExclusive: Bool

    @inlinable
    public init(min: Double, max: Double, minExclusive: Bool = false, maxExclusive: Bool = false) {
        self.min = min
        self.max = max
        self.minExclusive = minExclusive
        self.maxExclusive = maxExclusive
    }

    @inlinable @inline(__always)
    public func aboveMin(_ v: Double) -> Bool { minExclusive ? v > min : v >= min }

    @inlinable @inline(__always)
    public func belowMax(_ v: Double) -> Bool { maxExclusive ? v < max : v <= max }

    @inlinable @inline(__always)
    public func contains(_ v: Double) -> Bool { aboveMin(v) && belowMax(v) }

    /// Ranges that can hold nothing whatever the set (Redis `zslIsInRange`'s first test).
    @inlinable
    public var isEmpty: Bool { min > max || (min == max && (minExclusive || maxExclusive)) }
}

/// One end of a lexicographic interval (`-`, `+`, `[member`, `(member`). The member bytes are a view
/// of a command argument, valid while the command runs.
public enum SortedSetLexBound {
    case minusInfinity
    case plusInfinity
    case value(UnsafeRawBufferPointer, exclusive: Bool)

    /// Redis's `sdscmplex` between a member and this bound.
    @inlinable @inline(__always)
    func compare(member: UnsafeRawBufferPointer) -> Int {
        switch self {
        case .minusInfinity: return 1
        case .plusInfinity: return -1
        case .value(let bound, _): return SortedSetBytes.compare(member, bound)
        }
    }

    @inlinable
    var exclusive: Bool {
        switch self {
        case .minusInfinity, .plusInfinity: return true
        case .value(_, let exclusive): return exclusive
        }
    }
}

/// A lexicographic interval as ZRANGEBYLEX, ZLEXCOUNT and ZREMRANGEBYLEX take it.
public struct SortedSetLexRange {
    public var min: SortedSetLexBound
    public var max: SortedSetLexBound

    @inlinable
    public init(min: SortedSetLexBound, max: SortedSetLexBound) {
        self.min = min
        self.max = max
    }

    @inlinable @inline(__always)
    public func aboveMin(_ member: UnsafeRawBufferPointer) -> Bool {
        let c = min.compare(member: member)
        return min.exclusive ? c > 0 : c >= 0
    }

    @inlinable @inline(__always)
    public func belowMax(_ member: UnsafeRawBufferPointer) -> Bool {
        let c = max.compare(member: member)
        return max.exclusive ? c < 0 : c <= 0
    }

    /// Ranges that can hold nothing (Redis compares the bounds with `sdscmplex`, where `-` and `+`
    /// equal only themselves).
    @inlinable
    public var isEmpty: Bool {
        let c: Int
        switch (min, max) {
        case (.minusInfinity, .minusInfinity), (.plusInfinity, .plusInfinity): c = 0
        case (.minusInfinity, _), (_, .plusInfinity): c = -1
        case (.plusInfinity, _), (_, .minusInfinity): c = 1
        case (.value(let a, _), .value(let b, _)): c = SortedSetBytes.compare(a, b)
        }
        return c > 0 || (c == 0 && (min.exclusive || max.exclusive))
    }
}

/// Lookups over the compact form that follow Redis's listpack walks (`zzlFirstInRange` ...).
extension CompactSortedSet {
    /// Index of the first element with a score in range, or nil.
    public func firstIndex(in range: SortedSetScoreRange) -> Int? {
        if range.isEmpty { return nil }
        var offset = startOffset
        var i = 0
        while offset < endOffset {
            let e = element(at: offset)
            if range.aboveMin(e.score) { return range.belowMax(e.score) ? i : nil }
            offset = e.next
            i += 1
        }
        return nil
    }

    /// Index of the last element with a score in range, or nil.
    public func lastIndex(in range: SortedSetScoreRange) -> Int? {
        if range.isEmpty { return nil }
        var offset = startOffset
        var i = 0
        var last: Int? = nil
        while offset < endOffset {
            let e = element(at: offset)
            if !range.belowMax(e.score) { break }
            if range.aboveMin(e.score) { last = i }
            offset = e.next
            i += 1
        }
        return last
    }

    /// Redis's `zzlIsInLexRange`: the range is not empty, the last member is above min and the
    /// first below max.
    func mayHold(_ range: SortedSetLexRange) -> Bool {
        let n = count
        if range.isEmpty || n == 0 { return false }
        if !range.belowMax(element(at: startOffset).member) { return false }
        let lastOffset = offset(ofIndex: n - 1)
        return range.aboveMin(element(at: lastOffset).member)
    }

    /// The run Redis walks forward for a lex range: from the first member above min while members
    /// stay below max. Returns (first index, length) or nil.
    public func forwardLexRun(_ range: SortedSetLexRange) -> (first: Int, count: Int)? {
        if !mayHold(range) { return nil }
        var offset = startOffset
        var i = 0
        while offset < endOffset {
            let e = element(at: offset)
            if range.aboveMin(e.member) {
                var n = 0
                var o = offset
                while o < endOffset {
                    let f = element(at: o)
                    if !range.belowMax(f.member) { break }
                    n += 1
                    o = f.next
                }
                return n == 0 ? nil : (i, n)
            }
            offset = e.next
            i += 1
        }
        return nil
    }

    /// The run Redis walks backward: from the last member below max while members stay above min.
    /// Returns (last index, length) or nil.
    public func backwardLexRun(_ range: SortedSetLexRange) -> (last: Int, count: Int)? {
        if !mayHold(range) { return nil }
        return withOffsets { offsets in
            var i = offsets.count - 1
            while i >= 0 {
                let m = element(at: offsets[i]).member
                if range.belowMax(m) {
                    var n = 0
                    var j = i
                    while j >= 0 && range.aboveMin(element(at: offsets[j]).member) {
                        n += 1
                        j -= 1
                    }
                    return n == 0 ? nil : (i, n)
                }
                i -= 1
            }
            return nil
        }
    }
}
