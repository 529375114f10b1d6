@testable import Cluster

/// Shared helpers for the unit tests: node tables set up from nodes.conf text, links opened by
/// answering `.connect`, and messages built as a peer would send them.
let T0: Int64 = 1_700_000_000_000

func nodeName(_ c: Character) -> NodeName { NodeName(String(repeating: c, count: 40))! }

func testSettings(timeout: Int64 = 15_000, port: Int = 7000) -> ClusterSettings {
    var s = ClusterSettings(port: port, busPort: port + 10000)
    s.nodeTimeout = timeout
    return s
}

func bitmap(_ ranges: ClosedRange<Int>...) -> SlotBitmap {
    var b = SlotBitmap()
    for r in ranges { for s in r { b[s] = true } }
    return b
}

/// A nodes.conf line in Redis's format.
func confLine(
    _ c: Character, ip: String, flags: String, master: Character? = nil, epoch: UInt64 = 0, slots: String = ""
) -> String {
    let m = master.map { String(repeating: $0, count: 40) } ?? "-"
    return "\(String(repeating: c, count: 40)) \(ip):7000@17000 \(flags) \(m) 0 0 \(epoch) connected\(slots.isEmpty ? "" : " " + slots)"
}

func loadState(_ lines: [String], currentEpoch: UInt64 = 0, timeout: Int64 = 15_000, now: Int64 = T0) throws -> ClusterState {
    let text = lines.joined(separator: "\n") + "\nvars currentEpoch \(currentEpoch) lastVoteEpoch 0\n"
    return try ClusterState(nodesConfig: text, settings: testSettings(timeout: timeout), now: now, seed: 42)
}

/// Runs a tick and completes every outbound connection it asks for. Returns link id per node.
@discardableResult
func connectAll(_ state: ClusterState, now: Int64) -> [NodeName: LinkID] {
    var links: [NodeName: LinkID] = [:]
    for effect in state.tick(now: now) {
        if case .connect(let link, _, _) = effect {
            let node = state.nodeOrder.first { $0.link?.id == link }!
            links[node.name] = link
            _ = state.outboundConnected(link, localIP: "10.0.0.1", now: now)
        }
    }
    return links
}

func sentMessages(_ effects: [ClusterEffect]) -> [(link: LinkID, message: ClusterMessage)] {
    effects.compactMap { if case .send(let l, let m) = $0 { (l, m) } else { nil } }
}

func gossipOf(_ message: ClusterMessage) -> (entries: [GossipEntry], extensions: [PingExtension]) {
    if case .gossip(let e, let x) = message.body { return (e, x) }
    return ([], [])
}

/// A message as the peer `sender` would send it about itself.
func peerMessage(
    _ type: MessageType, from sender: NodeName, currentEpoch: UInt64 = 0, configEpoch: UInt64 = 0,
    slots: SlotBitmap = SlotBitmap(), replicaOf: NodeName? = nil, flags: NodeFlags = [.master],
    gossip: [GossipEntry] = [], extensions: [PingExtension] = [], body: MessageBody? = nil,
    messageFlags: MessageFlags = []
) -> ClusterMessage {
    let header = MessageHeader(
        type: type, sender: sender, port: 7000, busPort: 17000, currentEpoch: currentEpoch,
        configEpoch: configEpoch, slots: slots, replicaOf: replicaOf,
        flags: flags.union(.myself).subtracting(replicaOf == nil ? [] : .master), messageFlags: messageFlags)
    return ClusterMessage(header: header, body: body ?? .gossip(gossip, extensions: extensions))
}

func gossipAbout(_ name: NodeName, flags: NodeFlags, ip: String = "10.0.0.9") -> GossipEntry {
    GossipEntry(name: name, pingSent: 0, pongReceived: 0, ip: ip, port: 7000, busPort: 17000, flags: flags)
}
