// Field access for BusCodec.decode. Every read stays inside `raw`: the fixed-offset readers are only
// called once the decoder has checked the message is long enough (the header length, or the
// type's expected length), and the `precondition`s below turn a mistake in those checks into a
// clean trap instead of a read past the buffer (the fuzz target runs with them enabled).

#if canImport(Cluster)
import Cluster
#endif

struct BusReader {
    let raw: UnsafeRawBufferPointer

    init(_ raw: UnsafeRawBufferPointer) { self.raw = raw }

    var count: Int { raw.count }

    @inline(__always)
    private func check(_ offset: Int, _ width: Int) {
        precondition(offset >= 0 && width <= raw.count && offset <= raw.count - width, "BusReader read out of bounds")
    }

    func u8(_ offset: Int) -> UInt8 {
        check(offset, 1)
        return raw[offset]
    }

    func u16(_ offset: Int) -> UInt16 {
        check(offset, 2)
        return UInt16(bigEndian: raw.loadUnaligned(fromByteOffset: offset, as: UInt16.self))
    }

    func u32(_ offset: Int) -> UInt32 {
        check(offset, 4)
        return UInt32(bigEndian: raw.loadUnaligned(fromByteOffset: offset, as: UInt32.self))
    }

    func u64(_ offset: Int) -> UInt64 {
        check(offset, 8)
        return UInt64(bigEndian: raw.loadUnaligned(fromByteOffset: offset, as: UInt64.self))
    }

    func hasSignature() -> Bool {
        check(0, 4)
        return raw[0] == 0x52 && raw[1] == 0x43 && raw[2] == 0x6D && raw[3] == 0x62  // "RCmb"
    }

    func bytes(_ range: Range<Int>) -> [UInt8] {
        check(range.lowerBound, range.count)
        return Array(UnsafeRawBufferPointer(rebasing: raw[range]))
    }

    /// Byte i bit j (least significant first) is slot 8i+j, so the bitmap read as little-endian
    /// 64-bit words is exactly `SlotBitmap.words`.
    func slots(at offset: Int) -> SlotBitmap {
        check(offset, BusLayout.slotBitmapLength)
        var bitmap = SlotBitmap()
        bitmap.words.withUnsafeMutableBufferPointer { words in
            for i in 0..<words.count {
                words[i] = UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: offset + i * 8, as: UInt64.self))
            }
        }
        return bitmap
    }

    /// 40 graphic ASCII bytes (see the header of BusCodec.swift for why not any bytes).
    func name(at offset: Int, field: @autoclosure () -> String, type: MessageType) throws(BusDecodeError) -> NodeName {
        check(offset, BusLayout.nameLength)
        let bytes = UnsafeRawBufferPointer(rebasing: raw[offset..<offset + BusLayout.nameLength])
        for byte in bytes where byte < 0x21 || byte > 0x7E {
            throw BusDecodeError(.badName, "\(BusCodec.describe(type)) with a \(field()) that is not 40 printable ASCII bytes (byte 0x\(String(byte, radix: 16)))", type: type)
        }
        guard let name = NodeName(String(decoding: bytes, as: UTF8.self)) else {
            throw BusDecodeError(.badName, "\(BusCodec.describe(type)) with an unreadable \(field())", type: type)
        }
        return name
    }

    /// nil for 40 zero bytes (`slaveof` of a master), otherwise a name as `name(at:)` requires.
    func optionalName(at offset: Int, field: @autoclosure () -> String, type: MessageType) throws(BusDecodeError) -> NodeName? {
        check(offset, BusLayout.nameLength)
        let bytes = UnsafeRawBufferPointer(rebasing: raw[offset..<offset + BusLayout.nameLength])
        if bytes.allSatisfy({ $0 == 0 }) { return nil }
        return try name(at: offset, field: field(), type: type)
    }

    /// The UTF-8 text before the first NUL within `width` bytes; the NUL is required.
    func terminatedString(at offset: Int, width: Int, field: @autoclosure () -> String, type: MessageType) throws(BusDecodeError) -> String {
        check(offset, width)
        let bytes = UnsafeRawBufferPointer(rebasing: raw[offset..<offset + width])
        guard let end = bytes.firstIndex(of: 0) else {
            throw BusDecodeError(.badString, "\(BusCodec.describe(type)) with a \(field()) not NUL-terminated within its \(width) bytes", type: type)
        }
        if end == 0 { return "" }
        guard let text = String(validating: UnsafeRawBufferPointer(rebasing: bytes[0..<end]), as: UTF8.self) else {
            throw BusDecodeError(.badString, "\(BusCodec.describe(type)) with a \(field()) that is not UTF-8", type: type)
        }
        return text
    }
}
