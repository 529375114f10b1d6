/// The node table's records: what this node knows about every node of the cluster (itself
/// included) and about each bus connection. Internal: the public surface is `ClusterState`.

extension NodeFlags {
    /// PFAIL or FAIL, as a plain bit test.
    var unreachable: Bool { rawValue & (NodeFlags.possiblyFailed.rawValue | NodeFlags.failed.rawValue) != 0 }
    @inline(__always) func has(_ f: NodeFlags) -> Bool { rawValue & f.rawValue != 0 }
}

/// A deterministic generator: simulations replay exactly from a seed, and node names / election
/// delays come from here rather than from the system RNG.
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// A master's claim that some node looked unreachable to it (`clusterNodeFailReport`).
struct FailureReport {
    var reporter: NodeName
    var time: Int64
}

/// `clusterNode`. A class because links, replicas and the slot table refer to the same record and
/// a rename (handshake completion) must be seen by all of them.
final class ClusterNode {
    var name: NodeName
    var flags: NodeFlags
    /// ctime: when the record was created; handshake nodes expire relative to it.
    let createTime: Int64
    var ip = ""
    var port = 0
    var busPort = 0
    var plaintextPort = 0
    var hostname = ""
    var humanNodename = ""
    var shardID: String
    var slots = SlotBitmap()
    var slotCount = 0
    weak var replicaOf: ClusterNode?
    var replicas: [ClusterNode] = []
    var configEpoch: UInt64 = 0
    var pingSent: Int64 = 0
    var pongReceived: Int64 = 0
    var dataReceived: Int64 = 0
    var failTime: Int64 = 0
    /// When we last voted for one of this master's replicas.
    var votedTime: Int64 = 0
    var replicationOffset: UInt64 = 0
    var replicationOffsetTime: Int64 = 0
    var failureReports: [FailureReport] = []
    /// Our outbound connection ("to" in CLUSTER LINKS); what we send requests on.
    var link: ClusterLink?
    /// The peer's connection to us ("from"), once a message on it named this node.
    var inboundLink: ClusterLink?
    /// The peer sent us an extension newer than Redis 7.0 knows (human-nodename, forgotten-node,
    /// shard-id), so it will not log a warning for each one we send back.
    var speaksNewExtensions = false
    /// Consecutive failed connection attempts, for the reconnect backoff.
    var connectFailures = 0
    var nextConnectTime: Int64 = 0

    init(name: NodeName, flags: NodeFlags, shardID: String, now: Int64) {
        self.name = name
        self.flags = flags
        self.shardID = shardID
        self.createTime = now
    }

    // Plain bit tests: these run for every node on every tick and message, and OptionSet's
    // generic algebra is slow in debug builds.
    @inline(__always) func has(_ f: NodeFlags) -> Bool { flags.rawValue & f.rawValue != 0 }
    var isMaster: Bool { has(.master) }
    var isReplica: Bool { has(.replica) }
    var inHandshake: Bool { has(.handshake) }
    var isMyself: Bool { has(.myself) }
    /// PFAIL ("timed out" in Redis's words).
    var timedOut: Bool { has(.possiblyFailed) }
    var failed: Bool { has(.failed) }
    /// PFAIL or FAIL.
    var unreachable: Bool { flags.rawValue & (NodeFlags.possiblyFailed.rawValue | NodeFlags.failed.rawValue) != 0 }
    var hasAddress: Bool { !has(.noAddress) }
}

/// `clusterLink`: one TCP connection of the bus, as far as the protocol cares.
final class ClusterLink {
    let id: LinkID
    let inbound: Bool
    /// Outbound: the node we dialled. Inbound: the node that identified itself on it, if any.
    weak var node: ClusterNode?
    let createTime: Int64
    /// Outbound links are unusable until the shell reports `outboundConnected`.
    var connected: Bool
    var peerIP: String
    var localIP: String
    /// The first message on a fresh outbound link carries the post-7.0 extensions once, as a probe:
    /// a Shoal or 7.2+ peer answers with its own and from then on gets them always; a 7.0 peer
    /// logs a single "unknown extension" warning per connection instead of one per message.
    var probeExtensions: Bool

    init(id: LinkID, inbound: Bool, node: ClusterNode?, now: Int64, peerIP: String = "", localIP: String = "") {
        self.id = id
        self.inbound = inbound
        self.node = node
        self.createTime = now
        self.connected = inbound
        self.peerIP = peerIP
        self.localIP = localIP
        self.probeExtensions = !inbound
    }
}
