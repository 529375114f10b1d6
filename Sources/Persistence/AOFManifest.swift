/// What a file of a multi-part AOF is for: the snapshot the others apply to (base), the command
/// logs since (incr), or a leftover of an earlier rewrite waiting to be deleted (history).
public enum AOFFileType: Character, Sendable {
    case base = "b", history = "h", incr = "i"
}

public struct AOFManifestEntry: Equatable, Sendable {
    public var name: String
    public var seq: Int
    public var type: AOFFileType

    public init(name: String, seq: Int, type: AOFFileType) {
        self.name = name
        self.seq = seq
        self.type = type
    }
}

/// An error of the AOF layer. `description` is the text redis-server 7.0 logs for the same
/// failure where it has one (tests and operators compare them).
public struct AOFError: Error, CustomStringConvertible, Sendable {
    public let description: String
    /// For manifest errors: the 1-based line and its (trimmed) text, as Redis logs them.
    public var lineNumber: Int?
    public var lineText: String?

    public init(_ description: String, lineNumber: Int? = nil, lineText: String? = nil) {
        self.description = description
        self.lineNumber = lineNumber
        self.lineText = lineText
    }
}

/// The list of files making up an AOF (`<appendfilename>.manifest`), with Redis 7.0's text form.
public struct AOFManifest: Equatable, Sendable {
    public var base: AOFManifestEntry?
    /// Ascending seq: the order the files are replayed in.
    public var incrs: [AOFManifestEntry] = []
    /// Newest first, as Redis keeps them.
    public var history: [AOFManifestEntry] = []

    public init() {}

    /// Redis reads the manifest with a 1024-byte fgets buffer, so a longer line cannot be valid.
    static let maxLine = 1024

    /// Parses a manifest as `aofLoadManifestFromFile` does: one `file <name> seq <n> type <t>` per
    /// line (keys in any order, case-insensitive, unknown key pairs ignored), `#` comments, names
    /// quoted like `sdssplitargs`. Every line, the last included, must end with a newline.
    public static func parse(_ text: [UInt8]) throws(AOFError) -> AOFManifest {
        if text.isEmpty { throw AOFError("Found an empty AOF manifest") }
        var manifest = AOFManifest()
        var maxIncrSeq = 0
        var lineNumber = 0
        var start = 0
        while start < text.count {
            lineNumber += 1
            var stop = start
            while stop < text.count && text[stop] != UInt8(ascii: "\n") { stop += 1 }
            let hasNewline = stop < text.count
            defer { start = stop + 1 }
            if text[start] == UInt8(ascii: "#") { continue }
            if !hasNewline || stop + 1 - start > maxLine {
                throw AOFError("The AOF manifest file contains too long line", lineNumber: lineNumber)
            }
            let line = trimmed(text[start..<stop])
            let lineText = String(decoding: line, as: UTF8.self)
            func fail(_ message: String) -> AOFError {
                AOFError(message, lineNumber: lineNumber, lineText: lineText)
            }
            guard !line.isEmpty, let argv = splitArgs(line), argv.count >= 6, argv.count % 2 == 0 else {
                throw fail("Invalid AOF manifest file format")
            }
            var name: [UInt8]? = nil
            var seq = 0
            var typeByte: UInt8 = 0
            for i in stride(from: 0, to: argv.count, by: 2) {
                switch String(decoding: argv[i], as: UTF8.self).lowercased() {
                case "file":
                    name = argv[i + 1]
                    if argv[i + 1].contains(UInt8(ascii: "/")) || argv[i + 1].contains(UInt8(ascii: "\\")) {
                        throw fail("File can't be a path, just a filename")
                    }
                case "seq": seq = atoll(argv[i + 1])
                case "type": typeByte = argv[i + 1].first ?? 0
                default: break  // forward compatibility: later versions may add keys
                }
            }
            guard let name, seq != 0, typeByte != 0 else { throw fail("Invalid AOF manifest file format") }
            let entryName = String(decoding: name, as: UTF8.self)
            switch typeByte {
            case UInt8(ascii: "b"):
                if manifest.base != nil { throw fail("Found duplicate base file information") }
                manifest.base = AOFManifestEntry(name: entryName, seq: seq, type: .base)
            case UInt8(ascii: "h"):
                manifest.history.append(AOFManifestEntry(name: entryName, seq: seq, type: .history))
            case UInt8(ascii: "i"):
                if seq <= maxIncrSeq { throw fail("Found a non-monotonic sequence number") }
                maxIncrSeq = seq
                manifest.incrs.append(AOFManifestEntry(name: entryName, seq: seq, type: .incr))
            default:
                throw fail("Unknown AOF file type")
            }
        }
        return manifest
    }

    /// The text `getAofManifestAsString` writes: base, then history, then incrs.
    public func serialized() -> String {
        var out = ""
        for entry in (base.map { [$0] } ?? []) + history + incrs {
            out += "file \(Self.quotedIfNeeded(entry.name)) seq \(entry.seq) type \(entry.type.rawValue)\n"
        }
        return out
    }

    /// The file names the loader replays, in order (base first).
    public var loadOrder: [AOFManifestEntry] { (base.map { [$0] } ?? []) + incrs }

    // MARK: - sds-compatible quoting

    /// C `isspace` in the C locale.
    static func isSpace(_ b: UInt8) -> Bool { b == 0x20 || (b >= 0x09 && b <= 0x0d) }
    static func isPrint(_ b: UInt8) -> Bool { b >= 0x20 && b <= 0x7e }

    static func trimmed(_ s: ArraySlice<UInt8>) -> ArraySlice<UInt8> {
        func trim(_ b: UInt8) -> Bool {
            b == UInt8(ascii: " ") || b == UInt8(ascii: "\t") || b == UInt8(ascii: "\r") || b == UInt8(ascii: "\n")
        }
        var lo = s.startIndex, hi = s.endIndex
        while lo < hi && trim(s[lo]) { lo += 1 }
        while hi > lo && trim(s[hi - 1]) { hi -= 1 }
        return s[lo..<hi]
    }

    /// A name is written bare unless `sdsneedsrepr` would quote it (spaces, quotes, backslashes,
    /// control or non-ASCII bytes); then it is written the way `sdscatrepr` escapes it.
    static func quotedIfNeeded(_ name: String) -> String {
        let bytes = Array(name.utf8)
        let needs = bytes.contains { $0 == UInt8(ascii: "\\") || $0 == UInt8(ascii: "\"") || !isPrint($0) || isSpace($0) }
        if !needs { return name }
        var out: [UInt8] = [UInt8(ascii: "\"")]
        let hex = Array("0123456789abcdef".utf8)
        for b in bytes {
            switch b {
            case UInt8(ascii: "\\"), UInt8(ascii: "\""): out += [UInt8(ascii: "\\"), b]
            case 0x0a: out += Array("\\n".utf8)
            case 0x0d: out += Array("\\r".utf8)
            case 0x09: out += Array("\\t".utf8)
            case 0x07: out += Array("\\a".utf8)
            case 0x08: out += Array("\\b".utf8)
            default:
                if isPrint(b) { out.append(b) } else { out += [UInt8(ascii: "\\"), UInt8(ascii: "x"), hex[Int(b >> 4)], hex[Int(b & 15)]] }
            }
        }
        out.append(UInt8(ascii: "\""))
        return String(decoding: out, as: UTF8.self)
    }

    /// `sdssplitargs`: blank-separated tokens, "double quoted" with \n \r \t \b \a \xHH and \c
    /// escapes, or 'single quoted' with only \' escaped. A closing quote must be followed by a
    /// blank or the end; an unterminated quote makes the whole line invalid (nil).
    static func splitArgs(_ line: ArraySlice<UInt8>) -> [[UInt8]]? {
        let s = Array(line)
        func at(_ i: Int) -> UInt8 { i < s.count ? s[i] : 0 }
        func hexValue(_ b: UInt8) -> UInt8? {
            switch b {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): return b - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): return b - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): return b - UInt8(ascii: "A") + 10
            default: return nil
            }
        }
        var args: [[UInt8]] = []
        var p = 0
        while true {
            while p < s.count && s[p] != 0 && isSpace(s[p]) { p += 1 }
            if at(p) == 0 { return args }
            var current: [UInt8] = []
            var inDouble = false, inSingle = false, done = false
            while !done {
                let c = at(p)
                if inDouble {
                    if c == UInt8(ascii: "\\") && at(p + 1) == UInt8(ascii: "x"),
                       let hi = hexValue(at(p + 2)), let lo = hexValue(at(p + 3)) {
                        current.append(hi * 16 + lo)
                        p += 3
                    } else if c == UInt8(ascii: "\\") && at(p + 1) != 0 {
                        p += 1
                        switch s[p] {
                        case UInt8(ascii: "n"): current.append(0x0a)
                        case UInt8(ascii: "r"): current.append(0x0d)
                        case UInt8(ascii: "t"): current.append(0x09)
                        case UInt8(ascii: "b"): current.append(0x08)
                        case UInt8(ascii: "a"): current.append(0x07)
                        default: current.append(s[p])
                        }
                    } else if c == UInt8(ascii: "\"") {
                        if at(p + 1) != 0 && !isSpace(at(p + 1)) { return nil }
                        done = true
                    } else if c == 0 {
                        return nil
                    } else {
                        current.append(c)
                    }
                } else if inSingle {
                    if c == UInt8(ascii: "\\") && at(p + 1) == UInt8(ascii: "'") {
                        p += 1
                        current.append(UInt8(ascii: "'"))
                    } else if c == UInt8(ascii: "'") {
                        if at(p + 1) != 0 && !isSpace(at(p + 1)) { return nil }
                        done = true
                    } else if c == 0 {
                        return nil
                    } else {
                        current.append(c)
                    }
                } else {
                    switch c {
                    case UInt8(ascii: " "), 0x0a, 0x0d, 0x09, 0: done = true
                    case UInt8(ascii: "\""): inDouble = true
                    case UInt8(ascii: "'"): inSingle = true
                    default: current.append(c)
                    }
                }
                if at(p) != 0 { p += 1 }
            }
            args.append(current)
        }
    }

    /// C `atoll`: optional blanks and sign, then digits up to the first non-digit (0 if none).
    static func atoll(_ s: [UInt8]) -> Int {
        var i = 0
        while i < s.count && isSpace(s[i]) { i += 1 }
        var negative = false
        if i < s.count && (s[i] == UInt8(ascii: "-") || s[i] == UInt8(ascii: "+")) {
            negative = s[i] == UInt8(ascii: "-")
            i += 1
        }
        var v = 0
        while i < s.count, s[i] >= UInt8(ascii: "0"), s[i] <= UInt8(ascii: "9") {
            let (m, o1) = v.multipliedReportingOverflow(by: 10)
            let (a, o2) = m.addingReportingOverflow(Int(s[i] - UInt8(ascii: "0")))
            if o1 || o2 { return negative ? Int.min : Int.max }
            v = a
            i += 1
        }
        return negative ? -v : v
    }
}
