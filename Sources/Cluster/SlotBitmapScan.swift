/// Word-at-a-time scans of a slot bitmap. The node table walks bitmaps on every config save and
/// routing rebuild, so these skip empty (and full) 64-slot words instead of testing each bit.
extension SlotBitmap {
    @inline(__always)
    func forEachSlot(_ body: (Int) throws -> Void) rethrows {
        try words.withUnsafeBufferPointer { buffer in
            for w in 0..<buffer.count {
                var word = buffer[w]
                while word != 0 {
                    try body(w << 6 | word.trailingZeroBitCount)
                    word &= word &- 1
                }
            }
        }
    }

    /// Contiguous runs of set slots, in order.
    var ranges: [ClosedRange<Int>] {
        words.withUnsafeBufferPointer { buffer in
        var out: [ClosedRange<Int>] = []
        var start = -1
        for w in 0..<buffer.count {
            let word = buffer[w]
            let base = w << 6
            if word == 0 {
                if start >= 0 {
                    out.append(start...(base - 1))
                    start = -1
                }
                continue
            }
            if word == ~0 {
                if start < 0 { start = base }
                continue
            }
            var bits = word
            for bit in 0..<64 {
                if bits & 1 != 0 {
                    if start < 0 { start = base + bit }
                } else if start >= 0 {
                    out.append(start...(base + bit - 1))
                    start = -1
                }
                bits >>= 1
            }
        }
        if start >= 0 { out.append(start...(SlotBitmap.slotCount - 1)) }
        return out
        }
    }
}

extension SlotBitmap {
    /// The first set slot satisfying `predicate`, scanning only non-empty words.
    func firstSlot(where predicate: (Int) -> Bool) -> Int? {
        for w in 0..<words.count {
            var word = words[w]
            while word != 0 {
                let slot = w << 6 | word.trailingZeroBitCount
                if predicate(slot) { return slot }
                word &= word &- 1
            }
        }
        return nil
    }
}
