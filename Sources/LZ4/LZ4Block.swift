/// A self-describing, checksummed LZ4 frame, used for slot-migration batches between Shoal nodes.
///
/// Layout (all integers little-endian), 16-byte header then payload:
///
/// | offset | size | field |
/// |---|---|---|
/// | 0 | 3 | magic `"SLZ"` |
/// | 3 | 1 | format version (`1`) |
/// | 4 | 4 | raw (uncompressed) length |
/// | 8 | 4 | payload length |
/// | 12 | 4 | CRC-32C of the raw bytes |
/// | 16 | payload length | LZ4 block, or the raw bytes themselves when payload length == raw length |
///
/// The encoder stores the input uncompressed when LZ4 would not make it smaller, so a payload
/// exactly as long as the raw data is always "stored". The decoder validates everything before
/// it allocates: the raw length against the caller's maximum and against what the payload could
/// expand to, the payload length against `LZ4_compressBound`, and the checksum after decoding.
/// A frame is accepted whole or rejected whole.
public enum LZ4Block {
    public static let magic: (UInt8, UInt8, UInt8) = (0x53, 0x4C, 0x5A)  // "SLZ"
    public static let version: UInt8 = 1
    public static let headerSize = 16
    /// The default cap on a frame's raw length when decoding (256 MiB).
    public static let defaultMaxRawLength = 256 << 20

    /// A parsed frame header.
    public struct Header: Equatable, Sendable {
        public var rawLength: Int
        public var payloadLength: Int
        public var checksum: UInt32
        /// Header plus payload.
        public var frameLength: Int { LZ4Block.headerSize + payloadLength }
        /// True when the payload is the raw bytes, not an LZ4 block.
        public var isStored: Bool { payloadLength == rawLength }
    }

    // MARK: Encoding

    /// Appends one frame holding `input` to `output`.
    /// - Returns: the number of bytes appended.
    @discardableResult
    public static func encode(_ input: UnsafeRawBufferPointer, into output: inout [UInt8]) throws(LZ4Error) -> Int {
        guard input.count <= LZ4.maxInputSize, input.count <= Int(UInt32.max) else {
            throw .inputTooLarge(input.count)
        }
        let start = output.count
        output.reserveCapacity(start + headerSize + LZ4.compressBound(input.count))
        output.append(magic.0)
        output.append(magic.1)
        output.append(magic.2)
        output.append(version)
        appendLE(UInt32(input.count), to: &output)
        appendLE(0, to: &output)  // payload length, patched below
        appendLE(CRC32C.checksum(input), to: &output)
        var payloadLength = 0
        if !input.isEmpty {
            payloadLength = try LZ4.compress(input, into: &output)
            if payloadLength >= input.count {
                output.removeSubrange((start + headerSize)...)
                output.append(contentsOf: input)
                payloadLength = input.count
            }
        }
        let len = UInt32(payloadLength)
        output[start + 8] = UInt8(truncatingIfNeeded: len)
        output[start + 9] = UInt8(truncatingIfNeeded: len >> 8)
        output[start + 10] = UInt8(truncatingIfNeeded: len >> 16)
        output[start + 11] = UInt8(truncatingIfNeeded: len >> 24)
        return output.count - start
    }

    /// Encodes `input` as one frame.
    public static func encode(_ input: [UInt8]) throws(LZ4Error) -> [UInt8] {
        var out: [UInt8] = []
        let result: Result<Int, LZ4Error> = input.withUnsafeBytes { raw in
            do throws(LZ4Error) { return .success(try encode(raw, into: &out)) } catch { return .failure(error) }
        }
        _ = try result.get()
        return out
    }

    // MARK: Decoding

    /// Reads a frame header from the start of `bytes`.
    /// - Returns: nil when fewer than `headerSize` bytes are available (read more and retry).
    /// - Throws: on a bad magic, an unknown version or impossible lengths.
    public static func readHeader(_ bytes: UnsafeRawBufferPointer, maxRawLength: Int = defaultMaxRawLength) throws(LZ4Error) -> Header? {
        guard bytes.count >= headerSize else {
            // Reject a wrong magic as early as possible, even on a short read.
            let known = [magic.0, magic.1, magic.2, version]
            for i in 0..<min(bytes.count, 3) where bytes[i] != known[i] { throw .badMagic }
            return nil
        }
        guard bytes[0] == magic.0, bytes[1] == magic.1, bytes[2] == magic.2 else { throw .badMagic }
        guard bytes[3] == version else { throw .unsupportedVersion(bytes[3]) }
        let raw = Int(readLE(bytes, at: 4))
        let payload = Int(readLE(bytes, at: 8))
        let checksum = readLE(bytes, at: 12)
        guard raw <= maxRawLength else { throw .rawLengthExceedsLimit(length: raw, limit: maxRawLength) }
        guard raw <= LZ4.maxInputSize else { throw .invalidSize(raw) }
        if payload != raw {
            // An LZ4 block: never longer than the bound, and it cannot expand beyond ~255:1.
            guard raw > 0, payload > 0, payload <= LZ4.compressBound(raw),
                  raw <= LZ4.maxDecompressedSize(forCompressedSize: payload)
            else { throw .inconsistentLengths(raw: raw, compressed: payload) }
        }
        return Header(rawLength: raw, payloadLength: payload, checksum: checksum)
    }

    /// Decodes the frame at the start of `bytes`.
    /// - Returns: the raw bytes and how many input bytes the frame occupied (more frames may follow).
    public static func decodeFrame(
        _ bytes: UnsafeRawBufferPointer, maxRawLength: Int = defaultMaxRawLength
    ) throws(LZ4Error) -> (bytes: [UInt8], consumed: Int) {
        guard let header = try readHeader(bytes, maxRawLength: maxRawLength) else {
            throw .truncated(needed: headerSize, available: bytes.count)
        }
        guard bytes.count >= header.frameLength else {
            throw .truncated(needed: header.frameLength, available: bytes.count)
        }
        let payload = UnsafeRawBufferPointer(rebasing: bytes[headerSize..<header.frameLength])
        let raw: [UInt8]
        if header.isStored {
            raw = Array(payload)
        } else {
            raw = try LZ4.decompress(payload, originalSize: header.rawLength)
        }
        let actual = raw.withUnsafeBytes { CRC32C.checksum($0) }
        guard actual == header.checksum else { throw .checksumMismatch(expected: header.checksum, actual: actual) }
        return (raw, header.frameLength)
    }

    /// Decodes a buffer that must hold exactly one frame.
    public static func decode(_ frame: [UInt8], maxRawLength: Int = defaultMaxRawLength) throws(LZ4Error) -> [UInt8] {
        let result: Result<(bytes: [UInt8], consumed: Int), LZ4Error> = frame.withUnsafeBytes { raw in
            do throws(LZ4Error) { return .success(try decodeFrame(raw, maxRawLength: maxRawLength)) } catch { return .failure(error) }
        }
        let (bytes, consumed) = try result.get()
        guard consumed == frame.count else {
            throw .inconsistentLengths(raw: bytes.count, compressed: frame.count - headerSize)
        }
        return bytes
    }

    // MARK: Helpers

    @inline(__always)
    static func appendLE(_ v: UInt32, to out: inout [UInt8]) {
        out.append(UInt8(truncatingIfNeeded: v))
        out.append(UInt8(truncatingIfNeeded: v >> 8))
        out.append(UInt8(truncatingIfNeeded: v >> 16))
        out.append(UInt8(truncatingIfNeeded: v >> 24))
    }

    @inline(__always)
    static func readLE(_ b: UnsafeRawBufferPointer, at i: Int) -> UInt32 {
        UInt32(b[i]) | UInt32(b[i + 1]) << 8 | UInt32(b[i + 2]) << 16 | UInt32(b[i + 3]) << 24
    }
}
