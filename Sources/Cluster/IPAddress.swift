/// IP address validation and normalisation for CLUSTER MEET, the way Redis does it with
/// inet_pton + inet_ntop: the node table holds the canonical text so "::1" and "0::1" are one node.
enum IPAddress {
    /// The canonical text of `text`, or nil when it is neither an IPv4 nor an IPv6 address.
    static func normalize(_ text: String) -> String? {
        if let v4 = parseIPv4(Substring(text)) { return formatIPv4(v4) }
        if let v6 = parseIPv6(text) { return formatIPv6(v6) }
        return nil
    }

    /// inet_pton's IPv4: four decimal parts, no leading zeros, each at most 255.
    static func parseIPv4(_ text: Substring) -> [UInt8]? {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 4 else { return nil }
        var out: [UInt8] = []
        for part in parts {
            guard !part.isEmpty, part.count <= 3, part.allSatisfy({ $0.isASCII && $0.isNumber }) else { return nil }
            if part.count > 1 && part.first == "0" { return nil }
            guard let value = Int(part), value <= 255 else { return nil }
            out.append(UInt8(value))
        }
        return out
    }

    static func formatIPv4(_ b: [UInt8]) -> String { b.map { String($0) }.joined(separator: ".") }

    static func parseIPv6(_ text: String) -> [UInt16]? {
        guard text.contains(":") else { return nil }
        var head: [UInt16] = []
        var tail: [UInt16] = []
        var sawDouble = false
        var halves: [String] = [text]
        let chars = Array(text)
        for i in 0..<max(chars.count - 1, 0) where chars[i] == ":" && chars[i + 1] == ":" {
            halves = [String(chars[..<i]), String(chars[(i + 2)...])]
            break
        }
        if halves.count == 2 {
            sawDouble = true
            if halves[1].contains("::") || halves[0].hasSuffix(":") || halves[1].hasPrefix(":") { return nil }
        }
        func groups(_ s: String, allowV4: Bool) -> [UInt16]? {
            if s.isEmpty { return [] }
            let parts = s.split(separator: ":", omittingEmptySubsequences: false)
            var out: [UInt16] = []
            for (i, p) in parts.enumerated() {
                if allowV4 && i == parts.count - 1 && p.contains(".") {
                    guard let v4 = parseIPv4(p) else { return nil }
                    out.append(UInt16(v4[0]) << 8 | UInt16(v4[1]))
                    out.append(UInt16(v4[2]) << 8 | UInt16(v4[3]))
                    continue
                }
                guard !p.isEmpty, p.count <= 4, let v = UInt16(p, radix: 16) else { return nil }
                out.append(v)
            }
            return out
        }
        if sawDouble {
            guard let h = groups(halves[0], allowV4: false), let t = groups(halves[1], allowV4: true) else { return nil }
            head = h
            tail = t
            guard head.count + tail.count <= 7 else { return nil }
            return head + [UInt16](repeating: 0, count: 8 - head.count - tail.count) + tail
        }
        guard let all = groups(text, allowV4: true), all.count == 8 else { return nil }
        return all
    }

    /// inet_ntop's IPv6 text: lowercase, the longest run (2+) of zero groups as "::", and the
    /// IPv4-mapped / -compatible forms with a dotted tail.
    static func formatIPv6(_ w: [UInt16]) -> String {
        var bestBase = -1, bestLen = 0, curBase = -1, curLen = 0
        for i in 0..<8 {
            if w[i] == 0 {
                if curBase < 0 { curBase = i; curLen = 1 } else { curLen += 1 }
            } else if curBase >= 0 {
                if curLen > bestLen { bestBase = curBase; bestLen = curLen }
                curBase = -1
            }
        }
        if curBase >= 0 && curLen > bestLen { bestBase = curBase; bestLen = curLen }
        if bestLen < 2 { bestBase = -1 }
        var out = ""
        var i = 0
        while i < 8 {
            if i == bestBase {
                out += "::"
                i += bestLen
                continue
            }
            if i == 6 && bestBase == 0 && (bestLen == 6 || (bestLen == 5 && w[5] == 0xffff)) {
                if !out.hasSuffix(":") { out += ":" }
                out += "\(w[6] >> 8).\(w[6] & 0xff).\(w[7] >> 8).\(w[7] & 0xff)"
                break
            }
            if i != 0 && !out.hasSuffix(":") { out += ":" }
            out += String(w[i], radix: 16)
            i += 1
        }
        return out
    }
}
