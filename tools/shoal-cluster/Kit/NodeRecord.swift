/// `HOST:PORT` as given on the command line (IPv6 as `[::1]:7000` or `::1:7000`).
public struct HostPort: Sendable, Hashable, CustomStringConvertible {
    public var host: String
    public var port: Int

    public init(host: String, port: Int) {
        self.host = host
        self.port = port
    }

    /// Parses `host:port`, ignoring a trailing `@cport`.
    public init?(_ text: String) {
        var t = Substring(text)
        if let at = t.lastIndex(of: "@") { t = t[..<at] }
        guard let colon = t.lastIndex(of: ":"), let p = Int(t[t.index(after: colon)...]), p > 0, p < 65536
        else { return nil }
        var h = t[..<colon]
        if h.hasPrefix("[") && h.hasSuffix("]") { h = h.dropFirst().dropLast() }
        guard !h.isEmpty else { return nil }
        host = String(h)
        port = p
    }

    public var description: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }
}

/// One line of `CLUSTER NODES`.
public struct NodeRecord: Sendable, Equatable {
    public var id: String
    public var host: String
    public var port: Int
    public var busPort: Int
    public var hostname: String?
    public var flags: [String]
    /// nil for masters (`-`)
    public var masterId: String?
    public var pingSent: Int64
    public var pongReceived: Int64
    public var configEpoch: Int64
    public var linkState: String
    public var slots: SlotSet
    /// slot -> node id the slot is migrating to (only reported on the `myself` line)
    public var migrating: [Int: String]
    /// slot -> node id the slot is importing from (only reported on the `myself` line)
    public var importing: [Int: String]

    public func has(_ flag: String) -> Bool { flags.contains(flag) }
    public var isMyself: Bool { has("myself") }
    public var isReplica: Bool { has("slave") }
    public var isMaster: Bool { has("master") }
    public var isFailed: Bool { has("fail") }
    public var hasNoAddress: Bool { has("noaddr") }
    public var address: HostPort { HostPort(host: host, port: port) }

    /// The slot tokens the way they appear on the line, for configuration signatures.
    public var slotTokens: [String]
}

public struct ParseError: Error, CustomStringConvertible, Sendable {
    public var description: String
    public init(_ d: String) { description = d }
}

/// Parses the text of `CLUSTER NODES` (one node per line; Redis 7 address `ip:port@cport[,hostname]`).
public func parseClusterNodes(_ text: String) throws -> [NodeRecord] {
    var out: [NodeRecord] = []
    for raw in text.split(whereSeparator: { $0.isNewline }) {
        let f = raw.split(separator: " ", omittingEmptySubsequences: true)
        if f.isEmpty { continue }
        guard f.count >= 8 else { throw ParseError("invalid CLUSTER NODES line: \(raw)") }
        let id = String(f[0])
        // address: ip:port@cport[,hostname]
        var addr = Substring(f[1])
        var hostname: String?
        if let comma = addr.firstIndex(of: ",") {
            let h = addr[addr.index(after: comma)...]
            hostname = h.isEmpty ? nil : String(h)
            addr = addr[..<comma]
        }
        var busPort = 0
        if let at = addr.lastIndex(of: "@") {
            busPort = Int(addr[addr.index(after: at)...]) ?? 0
            addr = addr[..<at]
        }
        guard let colon = addr.lastIndex(of: ":"), let port = Int(addr[addr.index(after: colon)...]) else {
            throw ParseError("invalid address in CLUSTER NODES line: \(raw)")
        }
        let host = String(addr[..<colon])
        let flags = f[2].split(separator: ",").map(String.init)
        let master = f[3] == "-" ? nil : String(f[3])
        var rec = NodeRecord(
            id: id, host: host, port: port, busPort: busPort, hostname: hostname, flags: flags,
            masterId: master, pingSent: Int64(f[4]) ?? 0, pongReceived: Int64(f[5]) ?? 0,
            configEpoch: Int64(f[6]) ?? 0, linkState: String(f[7]), slots: SlotSet(), migrating: [:],
            importing: [:], slotTokens: [])
        for tok in f.dropFirst(8) {
            if tok.hasPrefix("[") {
                var body = tok.dropFirst()
                if body.hasSuffix("]") { body = body.dropLast() }
                if let r = body.range(of: "->-") {
                    guard let s = Int(body[..<r.lowerBound]) else { throw ParseError("bad slot token \(tok)") }
                    rec.migrating[s] = String(body[r.upperBound...])
                } else if let r = body.range(of: "-<-") {
                    guard let s = Int(body[..<r.lowerBound]) else { throw ParseError("bad slot token \(tok)") }
                    rec.importing[s] = String(body[r.upperBound...])
                }
                continue
            }
            rec.slotTokens.append(String(tok))
            if let dash = tok.firstIndex(of: "-") {
                guard let a = Int(tok[..<dash]), let b = Int(tok[tok.index(after: dash)...]), a <= b,
                      a >= 0, b < clusterSlots
                else { throw ParseError("bad slot range \(tok)") }
                for s in a...b { rec.slots.insert(s) }
            } else {
                guard let s = Int(tok), s >= 0, s < clusterSlots else { throw ParseError("bad slot \(tok)") }
                rec.slots.insert(s)
            }
        }
        out.append(rec)
    }
    return out
}

/// redis-cli's configuration signature of one node's view: for every node that claims slots,
/// `id:tok,tok...` (slot tokens sorted as text), the entries sorted and joined by `|`.
/// Every node of a consistent cluster gives the same signature. nil when no node has slots.
public func configSignature(_ records: [NodeRecord]) -> String? {
    let entries = records.compactMap { r -> String? in
        guard !r.slotTokens.isEmpty else { return nil }
        return r.id + ":" + r.slotTokens.sorted().joined(separator: ",")
    }.sorted()
    return entries.isEmpty ? nil : entries.joined(separator: "|")
}

/// `INFO` text as field -> value (section headers and blank lines skipped).
public func parseInfo(_ text: String) -> [String: String] {
    var out: [String: String] = [:]
    for line in text.split(whereSeparator: { $0.isNewline }) {
        if line.hasPrefix("#") { continue }
        guard let c = line.firstIndex(of: ":") else { continue }
        out[String(line[..<c])] = String(line[line.index(after: c)...])
    }
    return out
}
