import NIOCore

/// Encodes replies into a connection's output buffer in the protocol the client negotiated
/// (RESP2 by default, RESP3 after `HELLO 3`). Every reply is appended with a single write into the
/// buffer's spare capacity; the generic ByteBuffer write path costs measurably more per reply.
public struct RESPWriter {
    public var buffer: ByteBuffer
    /// 2 or 3.
    public var protocolVersion: Int

    public init(buffer: ByteBuffer, protocolVersion: Int = 2) {
        self.buffer = buffer
        self.protocolVersion = protocolVersion
    }

    @inlinable
    public var isRESP3: Bool { protocolVersion >= 3 }

    // MARK: - Raw building blocks

    /// Writes `prefix`, the decimal `value`, then CRLF: the shape of `:`, `*`, `$`, `%`, `~`, `>` lines.
    @inlinable
    public mutating func writeLengthLine(_ prefix: UInt8, _ value: Int) {
        buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: 24) { out in
            out[0] = prefix
            let n = RESPWriter.formatDecimal(value, into: out.baseAddress! + 1)
            out[n + 1] = 13
            out[n + 2] = 10
            return n + 3
        }
    }

    /// Formats `value` in decimal at `dest`; returns the number of bytes written (at most 20).
    @inlinable
    public static func formatDecimal(_ value: Int, into dest: UnsafeMutableRawPointer) -> Int {
        if value >= 0 && value < 10 {
            dest.storeBytes(of: UInt8(truncatingIfNeeded: value) &+ 48, as: UInt8.self)
            return 1
        }
        var magnitude = value.magnitude
        var tmp: (UInt64, UInt64, UInt64) = (0, 0, 0)  // 24 bytes of scratch, enough for 20 digits
        return withUnsafeMutableBytes(of: &tmp) { scratch in
            var i = 24
            repeat {
                i -= 1
                scratch[i] = UInt8(truncatingIfNeeded: magnitude % 10) &+ 48
                magnitude /= 10
            } while magnitude != 0
            var n = 0
            if value < 0 {
                dest.storeBytes(of: UInt8(ascii: "-"), as: UInt8.self)
                n = 1
            }
            let digits = 24 - i
            (dest + n).copyMemory(from: scratch.baseAddress! + i, byteCount: digits)
            return n + digits
        }
    }

    /// Appends bytes exactly as given (a pre-encoded reply).
    @inlinable
    public mutating func writeRaw(_ bytes: UnsafeRawBufferPointer) {
        buffer.writeBytes(bytes)
    }

    @inlinable
    public mutating func writeRaw(_ literal: StaticString) {
        buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: literal.utf8CodeUnitCount) { out in
            out.baseAddress!.copyMemory(from: literal.utf8Start, byteCount: literal.utf8CodeUnitCount)
            return literal.utf8CodeUnitCount
        }
    }

    // MARK: - Replies

    @inlinable
    public mutating func ok() { writeRaw("+OK\r\n") }

    /// `+<text>\r\n`. The text must not contain CR or LF.
    @inlinable
    public mutating func simpleString(_ literal: StaticString) {
        let n = literal.utf8CodeUnitCount
        buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: n + 3) { out in
            out[0] = UInt8(ascii: "+")
            (out.baseAddress! + 1).copyMemory(from: literal.utf8Start, byteCount: n)
            out[n + 1] = 13
            out[n + 2] = 10
            return n + 3
        }
    }

    public mutating func simpleString(_ text: String) {
        buffer.writeInteger(UInt8(ascii: "+"))
        writeSanitizedLine(text)
    }

    /// An error reply. `message` starts with its code, e.g. `"ERR syntax error"` or
    /// `"WRONGTYPE Operation against a key holding the wrong kind of value"`. CR and LF inside the
    /// message are replaced with spaces, as Redis does, so the reply stays one line.
    public mutating func error(_ message: String) {
        buffer.writeInteger(UInt8(ascii: "-"))
        writeSanitizedLine(message)
    }

    @inlinable
    public mutating func error(_ literal: StaticString) {
        let n = literal.utf8CodeUnitCount
        buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: n + 3) { out in
            out[0] = UInt8(ascii: "-")
            (out.baseAddress! + 1).copyMemory(from: literal.utf8Start, byteCount: n)
            out[n + 1] = 13
            out[n + 2] = 10
            return n + 3
        }
    }

    private mutating func writeSanitizedLine(_ text: String) {
        var text = text
        text.withUTF8 { utf8 in
            buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: utf8.count + 2) { out in
                for i in 0..<utf8.count {
                    let c = utf8[i]
                    out[i] = (c == 13 || c == 10) ? 32 : c
                }
                out[utf8.count] = 13
                out[utf8.count + 1] = 10
                return utf8.count + 2
            }
        }
    }

    @inlinable
    public mutating func integer(_ value: Int) { writeLengthLine(UInt8(ascii: ":"), value) }

    /// `$<len>\r\n<bytes>\r\n` with one copy into the output buffer.
    @inlinable
    public mutating func bulk(_ bytes: UnsafeRawBufferPointer) {
        let n = bytes.count
        buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: n + 26) { out in
            let p = out.baseAddress!
            p.storeBytes(of: UInt8(ascii: "$"), as: UInt8.self)
            var w = 1 + RESPWriter.formatDecimal(n, into: p + 1)
            p.storeBytes(of: 0x0A0D as UInt16, toByteOffset: w, as: UInt16.self)
            w += 2
            if n > 0 { (p + w).copyMemory(from: bytes.baseAddress!, byteCount: n) }
            w += n
            p.storeBytes(of: 0x0A0D as UInt16, toByteOffset: w, as: UInt16.self)
            return w + 2
        }
    }

    public mutating func bulk(_ text: String) {
        var text = text
        text.withUTF8 { bulk(UnsafeRawBufferPointer($0)) }
    }

    @inlinable
    public mutating func bulk(_ literal: StaticString) {
        bulk(UnsafeRawBufferPointer(start: literal.utf8Start, count: literal.utf8CodeUnitCount))
    }

    /// A bulk string holding the decimal text of `value` (how Redis returns an int-encoded string).
    @inlinable
    public mutating func bulkInteger(_ value: Int) {
        buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: 32) { out in
            let p = out.baseAddress!
            var digits: (UInt64, UInt64, UInt64) = (0, 0, 0)
            let n = withUnsafeMutableBytes(of: &digits) { RESPWriter.formatDecimal(value, into: $0.baseAddress!) }
            p.storeBytes(of: UInt8(ascii: "$"), as: UInt8.self)
            var w = 1 + RESPWriter.formatDecimal(n, into: p + 1)
            p.storeBytes(of: 0x0A0D as UInt16, toByteOffset: w, as: UInt16.self)
            w += 2
            withUnsafeBytes(of: &digits) { (p + w).copyMemory(from: $0.baseAddress!, byteCount: n) }
            w += n
            p.storeBytes(of: 0x0A0D as UInt16, toByteOffset: w, as: UInt16.self)
            return w + 2
        }
    }

    /// The null bulk string: `$-1` in RESP2, `_` in RESP3.
    @inlinable
    public mutating func null() {
        if isRESP3 { writeRaw("_\r\n") } else { writeRaw("$-1\r\n") }
    }

    /// The null array: `*-1` in RESP2, `_` in RESP3.
    @inlinable
    public mutating func nullArray() {
        if isRESP3 { writeRaw("_\r\n") } else { writeRaw("*-1\r\n") }
    }

    @inlinable
    public mutating func arrayHeader(_ count: Int) { writeLengthLine(UInt8(ascii: "*"), count) }

    /// A map of `count` pairs: `%` in RESP3, a flat array of 2×count in RESP2.
    @inlinable
    public mutating func mapHeader(_ count: Int) {
        if isRESP3 { writeLengthLine(UInt8(ascii: "%"), count) } else { writeLengthLine(UInt8(ascii: "*"), count * 2) }
    }

    /// A set: `~` in RESP3, an array in RESP2.
    @inlinable
    public mutating func setHeader(_ count: Int) {
        writeLengthLine(isRESP3 ? UInt8(ascii: "~") : UInt8(ascii: "*"), count)
    }

    /// An out-of-band push message header: `>` in RESP3, an array in RESP2.
    @inlinable
    public mutating func pushHeader(_ count: Int) {
        writeLengthLine(isRESP3 ? UInt8(ascii: ">") : UInt8(ascii: "*"), count)
    }

    /// A boolean: `#t`/`#f` in RESP3, the integer 1/0 in RESP2.
    @inlinable
    public mutating func boolean(_ value: Bool) {
        if isRESP3 { writeRaw(value ? "#t\r\n" : "#f\r\n") } else { writeRaw(value ? ":1\r\n" : ":0\r\n") }
    }

    /// A double: `,<text>` in RESP3, a bulk string in RESP2, with Redis's text (`inf`, `-inf`,
    /// integral values without a fraction, otherwise the shortest text that reads back the same).
    public mutating func double(_ value: Double) {
        let text = RESPWriter.formatDouble(value)
        if isRESP3 {
            buffer.writeInteger(UInt8(ascii: ","))
            buffer.writeString(text)
            writeRaw("\r\n")
        } else {
            bulk(text)
        }
    }

    /// Verbatim text (`=` in RESP3, e.g. INFO and CLIENT LIST), a bulk string in RESP2.
    public mutating func verbatim(_ text: String, format: StaticString = "txt") {
        if isRESP3 {
            var text = text
            let n = text.utf8.count + 4
            writeLengthLine(UInt8(ascii: "="), n)
            writeRaw(format)
            buffer.writeInteger(UInt8(ascii: ":"))
            text.withUTF8 { buffer.writeBytes($0) }
            writeRaw("\r\n")
        } else {
            bulk(text)
        }
    }

    /// Redis's text for a double: `inf`, `-inf`, `nan`, integers without a fraction when exact,
    /// otherwise the shortest round-trip text.
    public static func formatDouble(_ value: Double) -> String {
        if value.isNaN { return "nan" }
        if value.isInfinite { return value < 0 ? "-inf" : "inf" }
        if value == 0 { return value.sign == .minus ? "-0" : "0" }  // Int64(-0.0) would lose the sign
        if value == value.rounded(), abs(value) < 1e17 {
            return String(Int64(value))
        }
        return value.description
    }
}
