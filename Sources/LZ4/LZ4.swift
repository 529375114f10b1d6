import CLZ4

/// Errors from the LZ4 block codec and the `LZ4Block` frame.
public enum LZ4Error: Error, Equatable, Sendable {
    /// The input is larger than liblz4 accepts (`LZ4_MAX_INPUT_SIZE`, about 2 GiB).
    case inputTooLarge(Int)
    /// A size given by the caller or read from a frame is negative or larger than allowed.
    case invalidSize(Int)
    /// liblz4 reported malformed compressed data, or it did not decode to exactly the expected size.
    case corruptData
    /// A frame is shorter than its header says.
    case truncated(needed: Int, available: Int)
    /// A frame does not start with the `LZ4Block` magic.
    case badMagic
    /// A frame has a format version this code does not understand.
    case unsupportedVersion(UInt8)
    /// A frame declares more raw bytes than the caller allows.
    case rawLengthExceedsLimit(length: Int, limit: Int)
    /// A frame's compressed length is impossible for its raw length.
    case inconsistentLengths(raw: Int, compressed: Int)
    /// The checksum of the decoded bytes does not match the frame's.
    case checksumMismatch(expected: UInt32, actual: UInt32)
}

/// A thin wrapper over liblz4's block API (`LZ4_compress_default` / `LZ4_decompress_safe`).
///
/// The block format carries no sizes of its own: callers store the original size beside the
/// compressed bytes (``LZ4Block`` does that, with a checksum).
public enum LZ4 {
    /// The largest input liblz4 compresses in one block (`LZ4_MAX_INPUT_SIZE`).
    public static let maxInputSize = Int(LZ4_MAX_INPUT_SIZE)

    /// The worst-case decompressed/compressed ratio of an LZ4 block is a little under 255:1
    /// (each extra match-length byte adds at most 255 output bytes). A claimed original size above
    /// `compressedSize * 255 + 64` cannot be genuine, so it is rejected before any allocation.
    public static func maxDecompressedSize(forCompressedSize n: Int) -> Int {
        let (product, overflow) = n.multipliedReportingOverflow(by: 255)
        return overflow ? Int.max : product &+ 64
    }

    /// The largest compressed size of `n` input bytes (`LZ4_compressBound`); 0 if `n` is out of range.
    @inlinable
    public static func compressBound(_ n: Int) -> Int {
        guard n >= 0, n <= maxInputSize else { return 0 }
        return Int(LZ4_compressBound(Int32(n)))
    }

    /// Compresses `input` as one LZ4 block and APPENDS the compressed bytes to `output`.
    ///
    /// - Returns: the number of bytes appended.
    @discardableResult
    public static func compress(_ input: UnsafeRawBufferPointer, into output: inout [UInt8]) throws(LZ4Error) -> Int {
        guard input.count <= maxInputSize else { throw .inputTooLarge(input.count) }
        let bound = compressBound(input.count)
        let start = output.count
        if input.isEmpty {
            // liblz4 encodes an empty block as a single zero token.
            output.append(0)
            return 1
        }
        var written = 0
        output.append(contentsOf: repeatElement(0, count: bound))
        output.withUnsafeMutableBytes { out in
            let dst = out.baseAddress!.advanced(by: start).assumingMemoryBound(to: CChar.self)
            let src = input.baseAddress!.assumingMemoryBound(to: CChar.self)
            written = Int(LZ4_compress_default(src, dst, Int32(input.count), Int32(bound)))
        }
        guard written > 0 else {
            output.removeSubrange(start...)
            throw .corruptData  // cannot happen with a compressBound-sized buffer
        }
        output.removeSubrange((start + written)...)
        return written
    }

    /// Compresses `input` into a new array.
    public static func compress(_ input: UnsafeRawBufferPointer) throws(LZ4Error) -> [UInt8] {
        var out: [UInt8] = []
        try compress(input, into: &out)
        return out
    }

    /// Compresses a byte array.
    public static func compress(_ input: [UInt8]) throws(LZ4Error) -> [UInt8] {
        let result: Result<[UInt8], LZ4Error> = input.withUnsafeBytes { raw in
            do throws(LZ4Error) { return .success(try compress(raw)) } catch { return .failure(error) }
        }
        return try result.get()
    }

    /// Decompresses one LZ4 block whose original size the caller knows.
    ///
    /// Throws unless `input` decodes to exactly `originalSize` bytes. `originalSize` is checked
    /// against `maxInputSize` and against what `input.count` bytes can possibly expand to, so a
    /// lying size never causes a large allocation.
    public static func decompress(_ input: UnsafeRawBufferPointer, originalSize: Int) throws(LZ4Error) -> [UInt8] {
        guard originalSize >= 0, originalSize <= maxInputSize else { throw .invalidSize(originalSize) }
        guard input.count <= Int(Int32.max) else { throw .inputTooLarge(input.count) }
        guard originalSize <= maxDecompressedSize(forCompressedSize: input.count) else {
            throw .invalidSize(originalSize)
        }
        if originalSize == 0 {
            // The only valid encoding of nothing is the single zero token.
            guard input.count == 1, input[0] == 0 else { throw .corruptData }
            return []
        }
        guard !input.isEmpty else { throw .corruptData }
        var result = [UInt8](repeating: 0, count: originalSize)
        let decoded = result.withUnsafeMutableBytes { out -> Int32 in
            LZ4_decompress_safe(
                input.baseAddress!.assumingMemoryBound(to: CChar.self),
                out.baseAddress!.assumingMemoryBound(to: CChar.self),
                Int32(input.count),
                Int32(originalSize)
            )
        }
        guard decoded == Int32(originalSize) else { throw .corruptData }
        return result
    }

    /// Decompresses a byte array.
    public static func decompress(_ input: [UInt8], originalSize: Int) throws(LZ4Error) -> [UInt8] {
        let result: Result<[UInt8], LZ4Error> = input.withUnsafeBytes { raw in
            do throws(LZ4Error) { return .success(try decompress(raw, originalSize: originalSize)) } catch { return .failure(error) }
        }
        return try result.get()
    }
}
