/// The lexical rules of redis.conf, as Redis implements them in sds.c / util.c.
public enum ConfigSyntax {
    @inline(__always)
    static func isSpace(_ c: UInt8) -> Bool {
        c == 0x20 || (c >= 0x09 && c <= 0x0D)  // isspace() in the C locale
    }

    @inline(__always)
    static func hexValue(_ c: UInt8) -> UInt8? {
        switch c {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return c - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return c - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return c - UInt8(ascii: "A") + 10
        default: return nil
        }
    }

    /// Splits a line into arguments exactly like `sdssplitargs`: blanks separate arguments,
    /// `"double quotes"` allow `\n \r \t \b \a \\ \"` and `\xHH` escapes, `'single quotes'`
    /// allow `\'`; a closing quote must be followed by a blank or the end of the line.
    /// - Returns: nil on unbalanced quotes (Redis: "Unbalanced quotes in configuration line").
    public static func splitArgs(_ line: String) -> [String]? {
        splitArgs(Array(line.utf8))?.map { String(decoding: $0, as: UTF8.self) }
    }

    /// Byte-level `sdssplitargs`.
    public static func splitArgs(_ p: [UInt8]) -> [[UInt8]]? {
        var args: [[UInt8]] = []
        var i = 0
        let n = p.count
        @inline(__always) func at(_ k: Int) -> UInt8 { k < n ? p[k] : 0 }
        while true {
            while i < n && isSpace(p[i]) { i += 1 }
            if i >= n { return args }
            var current: [UInt8] = []
            var inDouble = false, inSingle = false, done = false
            while !done {
                let c = at(i)
                if inDouble {
                    if c == UInt8(ascii: "\\") && at(i + 1) == UInt8(ascii: "x"),
                       let hi = hexValue(at(i + 2)), let lo = hexValue(at(i + 3)) {
                        current.append(hi * 16 + lo)
                        i += 3
                    } else if c == UInt8(ascii: "\\") && at(i + 1) != 0 {
                        i += 1
                        switch at(i) {
                        case UInt8(ascii: "n"): current.append(0x0A)
                        case UInt8(ascii: "r"): current.append(0x0D)
                        case UInt8(ascii: "t"): current.append(0x09)
                        case UInt8(ascii: "b"): current.append(0x08)
                        case UInt8(ascii: "a"): current.append(0x07)
                        default: current.append(at(i))
                        }
                    } else if c == UInt8(ascii: "\"") {
                        if at(i + 1) != 0 && !isSpace(at(i + 1)) { return nil }
                        done = true
                    } else if c == 0 && i >= n {
                        return nil
                    } else {
                        current.append(c)
                    }
                } else if inSingle {
                    if c == UInt8(ascii: "\\") && at(i + 1) == UInt8(ascii: "'") {
                        i += 1
                        current.append(UInt8(ascii: "'"))
                    } else if c == UInt8(ascii: "'") {
                        if at(i + 1) != 0 && !isSpace(at(i + 1)) { return nil }
                        done = true
                    } else if c == 0 && i >= n {
                        return nil
                    } else {
                        current.append(c)
                    }
                } else {
                    switch c {
                    case 0x20, 0x0A, 0x0D, 0x09: done = true
                    case 0 where i >= n: done = true
                    case UInt8(ascii: "\""): inDouble = true
                    case UInt8(ascii: "'"): inSingle = true
                    default: current.append(c)
                    }
                }
                if i < n { i += 1 }
            }
            args.append(current)
        }
    }

    /// Quotes a string the way `sdscatrepr` does, so that `splitArgs` reads it back unchanged.
    public static func repr(_ s: String) -> String {
        var out = "\""
        for b in s.utf8 {
            switch b {
            case UInt8(ascii: "\\"): out += "\\\\"
            case UInt8(ascii: "\""): out += "\\\""
            case 0x0A: out += "\\n"
            case 0x0D: out += "\\r"
            case 0x09: out += "\\t"
            case 0x07: out += "\\a"
            case 0x08: out += "\\b"
            case 0x20...0x7E: out.unicodeScalars.append(Unicode.Scalar(b))
            default:
                let hex = Array("0123456789abcdef".utf8)
                out += "\\x"
                out.unicodeScalars.append(Unicode.Scalar(hex[Int(b >> 4)]))
                out.unicodeScalars.append(Unicode.Scalar(hex[Int(b & 15)]))
            }
        }
        return out + "\""
    }

    /// Redis's strict `string2ll`: optional `-`, no `+`, no blanks, no leading zeros, no overflow.
    public static func parseInteger(_ s: String) -> Int64? {
        let b = Array(s.utf8)
        guard !b.isEmpty, b.count < 21 else { return nil }
        if b == [UInt8(ascii: "0")] { return 0 }
        var i = 0
        var negative = false
        if b[0] == UInt8(ascii: "-") {
            negative = true
            i = 1
            if b.count == 1 { return nil }
        }
        guard b[i] >= UInt8(ascii: "1"), b[i] <= UInt8(ascii: "9") else { return nil }
        var v: UInt64 = 0
        while i < b.count {
            let c = b[i]
            guard c >= UInt8(ascii: "0"), c <= UInt8(ascii: "9") else { return nil }
            let (m, o1) = v.multipliedReportingOverflow(by: 10)
            let (a, o2) = m.addingReportingOverflow(UInt64(c - UInt8(ascii: "0")))
            if o1 || o2 { return nil }
            v = a
            i += 1
        }
        if negative {
            if v > UInt64(Int64.max) + 1 { return nil }
            return v == UInt64(Int64.max) + 1 ? Int64.min : -Int64(v)
        }
        return v > UInt64(Int64.max) ? nil : Int64(v)
    }

    /// Redis's `memtoull`: digits followed by an optional unit — `b`, `k` (1000), `kb` (1024),
    /// `m`, `mb`, `g`, `gb`, case-insensitive. No sign, no blanks; nil on error or overflow.
    public static func parseMemory(_ s: String) -> UInt64? {
        let b = Array(s.utf8)
        if b.first == UInt8(ascii: "-") { return nil }
        var i = 0
        while i < b.count, b[i] >= UInt8(ascii: "0"), b[i] <= UInt8(ascii: "9") { i += 1 }
        let unit = String(decoding: b[i...], as: UTF8.self).lowercased()
        let mul: UInt64
        switch unit {
        case "", "b": mul = 1
        case "k": mul = 1000
        case "kb": mul = 1024
        case "m": mul = 1000 * 1000
        case "mb": mul = 1024 * 1024
        case "g": mul = 1000 * 1000 * 1000
        case "gb": mul = 1024 * 1024 * 1024
        default: return nil
        }
        guard i < 128 else { return nil }
        // strtoull of the digits; an empty digit string reads as 0, as in C.
        var v: UInt64 = 0
        for c in b[0..<i] {
            let (m, o1) = v.multipliedReportingOverflow(by: 10)
            let (a, o2) = m.addingReportingOverflow(UInt64(c - UInt8(ascii: "0")))
            v = (o1 || o2) ? UInt64.max : a  // strtoull saturates at ULLONG_MAX
            if o1 || o2 { break }
        }
        if v > UInt64.max / mul { return nil }
        return v * mul
    }

    /// `yesnotoi`: case-insensitive `yes` / `no`.
    public static func parseYesNo(_ s: String) -> Bool? {
        switch s.lowercased() {
        case "yes": return true
        case "no": return false
        default: return nil
        }
    }
}
