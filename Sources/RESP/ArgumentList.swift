/// The arguments of one parsed command: views into the connection's read buffer (or into the
/// parser's scratch space for inline commands). Valid only until the parser is asked for the next
/// command; a handler that needs bytes beyond its own execution must copy them.
public struct ArgumentList {
    public let base: UnsafePointer<UnsafeRawBufferPointer>
    public let count: Int

    @inlinable
    public init(base: UnsafePointer<UnsafeRawBufferPointer>, count: Int) {
        self.base = base
        self.count = count
    }

    @inlinable
    public subscript(index: Int) -> UnsafeRawBufferPointer {
        precondition(index >= 0 && index < count)
        return base[index]
    }
}

extension UnsafeRawBufferPointer {
    /// ASCII case-insensitive comparison with a literal such as `"EX"`; `literal` must be ASCII.
    @inlinable
    public func equalsIgnoringCase(_ literal: StaticString) -> Bool {
        guard count == literal.utf8CodeUnitCount else { return false }
        let other = literal.utf8Start
        for i in 0..<count {
            var a = self[i]
            if a >= 0x41 && a <= 0x5A { a |= 0x20 }
            var b = other[i]
            if b >= 0x41 && b <= 0x5A { b |= 0x20 }
            if a != b { return false }
        }
        return true
    }

    /// The bytes as a Swift string (invalid UTF-8 is repaired). For messages and names, not hot paths.
    public var string: String { String(decoding: self, as: UTF8.self) }

    /// Parses a signed 64-bit integer exactly as Redis's `string2ll` does: an optional `-`, no `+`,
    /// no spaces, no leading zeros, no overflow.
    @inlinable
    public func parseInt64() -> Int64? {
        let n = count
        if n == 0 || n > 20 { return nil }
        var i = 0
        var negative = false
        if self[0] == UInt8(ascii: "-") {
            negative = true
            i = 1
            if n == 1 { return nil }
        }
        if self[i] == UInt8(ascii: "0") {
            return (n == 1) ? 0 : nil
        }
        var value: UInt64 = 0
        while i < n {
            let d = self[i] &- UInt8(ascii: "0")
            if d > 9 { return nil }
            let (m, o1) = value.multipliedReportingOverflow(by: 10)
            let (a, o2) = m.addingReportingOverflow(UInt64(d))
            if o1 || o2 { return nil }
            value = a
            i += 1
        }
        if negative {
            if value > UInt64(Int64.max) + 1 { return nil }
            return value == UInt64(Int64.max) + 1 ? Int64.min : -Int64(value)
        }
        if value > UInt64(Int64.max) { return nil }
        return Int64(value)
    }
}
