#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// A JSON value with ordered object keys (stable output).
public indirect enum JSON: Sendable, Equatable {
    case null
    case bool(Bool)
    case int(Int)
    case double(Double)
    case string(String)
    case array([JSON])
    case object([(String, JSON)])

    public static func == (a: JSON, b: JSON) -> Bool { a.render() == b.render() }

    public static func opt(_ v: Int?) -> JSON { v.map { .int($0) } ?? .null }
    public static func opt(_ v: String?) -> JSON { v.map { .string($0) } ?? .null }

    public func render(indent: Int? = nil) -> String {
        var out = ""
        write(&out, indent: indent, level: 0)
        return out
    }

    private func write(_ out: inout String, indent: Int?, level: Int) {
        let nl = indent.map { "\n" + String(repeating: " ", count: $0 * (level + 1)) } ?? ""
        let end = indent.map { "\n" + String(repeating: " ", count: $0 * level) } ?? ""
        switch self {
        case .null: out += "null"
        case .bool(let b): out += b ? "true" : "false"
        case .int(let i): out += String(i)
        case .double(let d): out += d.isFinite ? formatFixed(d, 3) : "null"
        case .string(let s): JSON.quote(s, into: &out)
        case .array(let a):
            if a.isEmpty { out += "[]"; return }
            out += "["
            for (i, v) in a.enumerated() {
                if i > 0 { out += "," }
                out += nl
                v.write(&out, indent: indent, level: level + 1)
            }
            out += end + "]"
        case .object(let o):
            if o.isEmpty { out += "{}"; return }
            out += "{"
            for (i, (k, v)) in o.enumerated() {
                if i > 0 { out += "," }
                out += nl
                JSON.quote(k, into: &out)
                out += indent == nil ? ":" : ": "
                v.write(&out, indent: indent, level: level + 1)
            }
            out += end + "}"
        }
    }

    private static func quote(_ s: String, into out: inout String) {
        out += "\""
        for u in s.unicodeScalars {
            switch u {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if u.value < 0x20 {
                    let h = String(u.value, radix: 16)
                    out += "\\u" + String(repeating: "0", count: 4 - h.count) + h
                } else {
                    out.unicodeScalars.append(u)
                }
            }
        }
        out += "\""
    }
}

/// `d` with `places` decimals (no Foundation).
public func formatFixed(_ d: Double, _ places: Int) -> String {
    guard d.isFinite else { return String(d) }
    var scale = 1.0
    for _ in 0..<places { scale *= 10 }
    let neg = d < 0
    let v = (abs(d) * scale).rounded()
    guard v < 9e17 else { return String(d) }
    let i = Int(v)
    var intPart = String(i / Int(scale))
    if neg && i != 0 { intPart = "-" + intPart }
    if places == 0 { return intPart }
    let frac = String(i % Int(scale))
    return intPart + "." + String(repeating: "0", count: places - frac.count) + frac
}

/// 1234567 -> "1.2M", 12345 -> "12.3k"
public func humanCount(_ n: Double) -> String {
    if n >= 1e9 { return formatFixed(n / 1e9, 1) + "G" }
    if n >= 1e6 { return formatFixed(n / 1e6, 1) + "M" }
    if n >= 1e4 { return formatFixed(n / 1e3, 1) + "k" }
    return String(Int(n.rounded()))
}

public func humanBytes(_ n: Int) -> String {
    let d = Double(n)
    if n >= 1 << 30 { return formatFixed(d / Double(1 << 30), 2) + " GiB" }
    if n >= 1 << 20 { return formatFixed(d / Double(1 << 20), 2) + " MiB" }
    if n >= 1 << 10 { return formatFixed(d / Double(1 << 10), 1) + " KiB" }
    return "\(n) B"
}

public func humanDuration(_ seconds: Double) -> String {
    guard seconds.isFinite, seconds >= 0 else { return "?" }
    let s = Int(seconds.rounded())
    if s >= 3600 { return "\(s / 3600)h\(pad2((s % 3600) / 60))m" }
    return "\(s / 60):\(pad2(s % 60))"
}

private func pad2(_ n: Int) -> String { n < 10 ? "0\(n)" : "\(n)" }

public func monotonicSeconds() -> Double {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
}

/// Where output goes: human text to stdout (stderr with `--json`, which keeps stdout for the JSON
/// document), errors to stderr.
public final class Console {
    public let jsonMode: Bool
    public let humanFD: Int32
    public var quiet = false

    public init(json: Bool) {
        jsonMode = json
        humanFD = json ? 2 : 1
    }

    public var humanIsTTY: Bool { isatty(humanFD) != 0 }

    public func write(_ s: String, fd: Int32) {
        var bytes = Array(s.utf8)
        var off = 0
        while off < bytes.count {
            let n = bytes.withUnsafeMutableBytes { Glibc.write(fd, $0.baseAddress! + off, $0.count - off) }
            if n < 0 { if errno == EINTR { continue }; return }
            off += n
        }
        bytes.removeAll()
    }

    /// A line of human output.
    public func log(_ s: String) {
        if quiet { return }
        write(s + "\n", fd: humanFD)
    }

    /// Human output without a newline (prompts, progress).
    public func raw(_ s: String) {
        if quiet { return }
        write(s, fd: humanFD)
    }

    public func error(_ s: String) { write(s + "\n", fd: 2) }

    public func emit(_ json: JSON) { write(json.render(indent: 2) + "\n", fd: 1) }

    /// Asks a yes/no question on the human stream; true only for "yes".
    public func confirm(_ question: String) -> Bool {
        raw("\(question) (type 'yes' to accept): ")
        guard let line = readLine(strippingNewline: true) else {
            log("")
            return false
        }
        return line.trimmingCharacters() == "yes"
    }
}

extension String {
    func trimmingCharacters() -> String {
        var s = Substring(self)
        while let f = s.first, f == " " || f == "\t" || f == "\r" || f == "\n" { s.removeFirst() }
        while let l = s.last, l == " " || l == "\t" || l == "\r" || l == "\n" { s.removeLast() }
        return String(s)
    }
}

/// Progress of a migration: a redrawn bar with keys/s and ETA on a terminal, a plain log line
/// every few seconds otherwise.
public final class Progress {
    let console: Console
    let totalSlots: Int
    let totalKeys: Int
    let tty: Bool
    let start = monotonicSeconds()
    var lastDraw = 0.0
    let interval: Double
    public private(set) var slotsDone = 0
    public private(set) var keysMoved = 0
    public var bytesSent: Int?
    var drewBar = false

    public init(console: Console, totalSlots: Int, totalKeys: Int, logInterval: Double = 2.0) {
        self.console = console
        self.totalSlots = totalSlots
        self.totalKeys = totalKeys
        tty = console.humanIsTTY
        interval = tty ? 0.1 : logInterval
    }

    public func add(keys: Int = 0, slots: Int = 0) {
        keysMoved += keys
        slotsDone += slots
        tick()
    }

    public func set(keys: Int, slots: Int) {
        keysMoved = keys
        slotsDone = slots
        tick()
    }

    func tick(force: Bool = false) {
        let now = monotonicSeconds()
        if !force && now - lastDraw < interval { return }
        lastDraw = now
        let elapsed = max(now - start, 1e-6)
        let rate = Double(keysMoved) / elapsed
        let fraction: Double
        if totalKeys > 0 {
            fraction = min(1, Double(keysMoved) / Double(totalKeys))
        } else {
            fraction = totalSlots > 0 ? Double(slotsDone) / Double(totalSlots) : 1
        }
        var eta = "?"
        if fraction >= 1 { eta = "0:00" } else if fraction > 0 { eta = humanDuration(elapsed / fraction - elapsed) }
        let bytes = bytesSent.map { "  \(humanBytes($0))" } ?? ""
        if tty {
            let width = 28
            let filled = Int((fraction * Double(width)).rounded(.down))
            let bar = String(repeating: "=", count: filled) + (filled < width ? ">" : "")
                + String(repeating: " ", count: max(0, width - filled - 1))
            console.raw("\r[\(bar)] \(slotsDone)/\(totalSlots) slots  \(keysMoved)/\(totalKeys) keys\(bytes)  "
                        + "\(humanCount(rate)) keys/s  ETA \(eta)   ")
            drewBar = true
        } else {
            console.log("progress: \(slotsDone)/\(totalSlots) slots, \(keysMoved)/\(totalKeys) keys\(bytes), "
                        + "\(Int(rate.rounded())) keys/s, elapsed \(formatFixed(elapsed, 1))s, ETA \(eta)")
        }
    }

    public func finish() {
        tick(force: true)
        if tty && drewBar { console.raw("\n") }
    }

    public var elapsed: Double { monotonicSeconds() - start }
}
