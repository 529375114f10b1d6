#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// LZF, the compression Redis applies to RDB strings longer than 20 bytes. The format is a
/// sequence of control bytes:
///
/// - `000LLLLL` then L+1 literal bytes (a run of 1...32 literals);
/// - `LLLOOOOO oooooooo` a back-reference of L+2 bytes (L in 1...6) starting `OOOOOoooooooo + 1`
///   bytes behind the output position;
/// - `111OOOOO llllllll oooooooo` the same with length 7 + l + 2 (up to 264 bytes).
///
/// A back-reference may overlap the bytes it produces (a run). Both directions check every index
/// against the buffers they were given: hostile input makes `decompress` return nil, never read or
/// write out of bounds.
public enum LZF {
    /// The most output one input byte can produce: a 3-byte reference yields 264 bytes.
    public static let maxExpansion = 88

    /// Decompresses `input` into `output`; returns the number of bytes written, or nil when the
    /// input is malformed or would not fit in `output`.
    public static func decompress(_ input: UnsafeRawBufferPointer, into output: UnsafeMutableRawBufferPointer) -> Int? {
        guard let ip0 = input.baseAddress, input.count > 0 else { return 0 }
        let inLen = input.count
        let outLen = output.count
        guard let op0 = output.baseAddress else { return nil }
        var ip = 0
        var op = 0
        while ip < inLen {
            let ctrl = Int(ip0.load(fromByteOffset: ip, as: UInt8.self))
            ip &+= 1
            if ctrl < 32 {
                let n = ctrl &+ 1
                if op &+ n > outLen || ip &+ n > inLen { return nil }
                (op0 + op).copyMemory(from: ip0 + ip, byteCount: n)
                ip &+= n
                op &+= n
            } else {
                var n = ctrl >> 5
                if n == 7 {
                    if ip >= inLen { return nil }
                    n &+= Int(ip0.load(fromByteOffset: ip, as: UInt8.self))
                    ip &+= 1
                }
                if ip >= inLen { return nil }
                let distance = ((ctrl & 0x1F) << 8) &+ Int(ip0.load(fromByteOffset: ip, as: UInt8.self)) &+ 1
                ip &+= 1
                n &+= 2
                if op &+ n > outLen || distance > op { return nil }
                let ref = op &- distance
                if distance >= n {
                    (op0 + op).copyMemory(from: op0 + ref, byteCount: n)
                } else {
                    // Overlapping: the reference repeats bytes it is producing.
                    var i = 0
                    while i < n {
                        op0.storeBytes(of: op0.load(fromByteOffset: ref &+ i, as: UInt8.self), toByteOffset: op &+ i, as: UInt8.self)
                        i &+= 1
                    }
                }
                op &+= n
            }
        }
        return op
    }

    /// Decompresses into a new array of exactly `length` bytes; nil unless the input decodes to
    /// exactly that many bytes.
    public static func decompress(_ input: [UInt8], length: Int) -> [UInt8]? {
        if length < 0 || length > input.count * maxExpansion { return nil }
        if length == 0 { return input.isEmpty ? [] : nil }
        var ok = false
        let out = [UInt8](unsafeUninitializedCapacity: length) { buf, count in
            let n = input.withUnsafeBytes { LZF.decompress($0, into: UnsafeMutableRawBufferPointer(buf)) }
            ok = n == length
            if !ok { memset(buf.baseAddress!, 0, length) }
            count = length
        }
        return ok ? out : nil
    }

    static let maxLiteral = 32
    static let maxOffset = 1 << 13
    static let maxReference = 264

    /// Compresses `input` into `output`; returns the compressed size, or 0 when the result would
    /// not fit in `output` (as `lzf_compress` does). `table` is scratch of at least
    /// `tableSize(for:)` 32-bit entries.
    public static func compress(
        _ input: UnsafeRawBufferPointer, into output: UnsafeMutableRawBufferPointer, table: UnsafeMutablePointer<UInt32>
    ) -> Int {
        guard let ip0 = input.baseAddress, let op0 = output.baseAddress, input.count > 0 else { return 0 }
        let inLen = input.count
        let outLen = output.count
        let bits = tableBits(for: inLen)
        let mask = (1 << bits) &- 1
        memset(table, 0, (1 << bits) * 4)
        var ip = 0
        var op = 0
        var literalStart = 0

        // Writes the literals in [literalStart, end) as runs of at most 32; false if they do not fit.
        @inline(__always)
        func flushLiterals(_ end: Int) -> Bool {
            while literalStart < end {
                let n = min(maxLiteral, end &- literalStart)
                if op &+ 1 &+ n > outLen { return false }
                op0.storeBytes(of: UInt8(truncatingIfNeeded: n &- 1), toByteOffset: op, as: UInt8.self)
                (op0 + (op &+ 1)).copyMemory(from: ip0 + literalStart, byteCount: n)
                op &+= 1 &+ n
                literalStart &+= n
            }
            return true
        }

        @inline(__always)
        func hash(_ at: Int) -> Int {
            let v = UInt32(ip0.load(fromByteOffset: at, as: UInt8.self)) << 16
                | UInt32(ip0.load(fromByteOffset: at &+ 1, as: UInt8.self)) << 8
                | UInt32(ip0.load(fromByteOffset: at &+ 2, as: UInt8.self))
            return Int(truncatingIfNeeded: (v &* 2_654_435_761) >> UInt32(32 &- bits)) & mask
        }

        while ip &+ 2 < inLen {
            let h = hash(ip)
            let candidate = Int(table[h]) &- 1
            table[h] = UInt32(truncatingIfNeeded: ip &+ 1)
            let distance = ip &- candidate
            if candidate >= 0 && distance <= maxOffset
                && ip0.load(fromByteOffset: candidate, as: UInt8.self) == ip0.load(fromByteOffset: ip, as: UInt8.self)
                && ip0.load(fromByteOffset: candidate &+ 1, as: UInt8.self) == ip0.load(fromByteOffset: ip &+ 1, as: UInt8.self)
                && ip0.load(fromByteOffset: candidate &+ 2, as: UInt8.self) == ip0.load(fromByteOffset: ip &+ 2, as: UInt8.self)
            {
                let limit = min(maxReference, inLen &- ip)
                var n = 3
                while n < limit
                    && ip0.load(fromByteOffset: candidate &+ n, as: UInt8.self) == ip0.load(fromByteOffset: ip &+ n, as: UInt8.self)
                {
                    n &+= 1
                }
                if !flushLiterals(ip) { return 0 }
                let off = distance &- 1
                let l = n &- 2
                if l < 7 {
                    if op &+ 2 > outLen { return 0 }
                    op0.storeBytes(of: UInt8(truncatingIfNeeded: (l << 5) | (off >> 8)), toByteOffset: op, as: UInt8.self)
                    op0.storeBytes(of: UInt8(truncatingIfNeeded: off), toByteOffset: op &+ 1, as: UInt8.self)
                    op &+= 2
                } else {
                    if op &+ 3 > outLen { return 0 }
                    op0.storeBytes(of: UInt8(truncatingIfNeeded: (7 << 5) | (off >> 8)), toByteOffset: op, as: UInt8.self)
                    op0.storeBytes(of: UInt8(truncatingIfNeeded: l &- 7), toByteOffset: op &+ 1, as: UInt8.self)
                    op0.storeBytes(of: UInt8(truncatingIfNeeded: off), toByteOffset: op &+ 2, as: UInt8.self)
                    op &+= 3
                }
                // Remember the positions at the end of the match, as liblzf does.
                let end = ip &+ n
                var j = max(ip &+ 1, end &- 2)
                while j < end && j &+ 2 < inLen {
                    table[hash(j)] = UInt32(truncatingIfNeeded: j &+ 1)
                    j &+= 1
                }
                ip = end
                literalStart = ip
            } else {
                ip &+= 1
            }
        }
        if !flushLiterals(inLen) { return 0 }
        return op
    }

    @inline(__always)
    static func tableBits(for count: Int) -> Int {
        var bits = 8
        while bits < 14 && (1 << bits) < count { bits &+= 1 }
        return bits
    }

    /// Entries of scratch table `compress` needs for an input of `count` bytes.
    public static func tableSize(for count: Int) -> Int { 1 << tableBits(for: count) }

    /// Compresses into a new array; nil when compression does not save at least `minSaving`
    /// bytes (tests, cold paths).
    public static func compress(_ input: [UInt8], minSaving: Int = 1) -> [UInt8]? {
        guard input.count > minSaving else { return nil }
        let table = UnsafeMutablePointer<UInt32>.allocate(capacity: tableSize(for: input.count))
        defer { table.deallocate() }
        var out = [UInt8](repeating: 0, count: input.count - minSaving)
        let n = input.withUnsafeBytes { i in
            out.withUnsafeMutableBytes { o in LZF.compress(i, into: o, table: table) }
        }
        if n == 0 { return nil }
        out.removeLast(out.count - n)
        return out
    }
}
