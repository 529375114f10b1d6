/// What the cluster state machine exchanges with its shell (the bus transport and the CLUSTER
/// commands): settings in, effects out, and the read-only views the node needs to route commands.
///
/// The state machine never touches a socket, a file or a clock: the shell passes `now` (Unix time
/// in milliseconds) into every call and carries out the effects it returns, in order.

/// A bus connection, named by the state machine (outbound, via `.connect`) or by
/// `inboundAccepted` (inbound). Never reused within one process.
public typealias LinkID = Int

public enum EndpointType: String, Sendable {
    case ip = "ip"
    case hostname = "hostname"
    case unknownEndpoint = "unknown-endpoint"
}

/// The cluster directives of redis.conf that the protocol reads (names in comments).
public struct ClusterSettings: Sendable, Equatable {
    public var port: Int  // port: the client port announced to peers
    public var busPort: Int  // cluster-port, or port + 10000
    public var nodeTimeout: Int64 = 15_000  // cluster-node-timeout, ms
    public var announceIP: String = ""  // cluster-announce-ip
    public var announcePort: Int = 0  // cluster-announce-port (0 = port)
    public var announceBusPort: Int = 0  // cluster-announce-bus-port (0 = busPort)
    public var announceHostname: String = ""  // cluster-announce-hostname
    public var humanNodename: String = ""  // cluster-announce-human-nodename
    public var preferredEndpointType: EndpointType = .ip  // cluster-preferred-endpoint-type
    public var requireFullCoverage = true  // cluster-require-full-coverage
    public var allowReadsWhenDown = false  // cluster-allow-reads-when-down
    public var replicaValidityFactor = 10  // cluster-replica-validity-factor
    public var replicaNoFailover = false  // cluster-replica-no-failover
    public var migrationBarrier = 1  // cluster-migration-barrier
    public var allowReplicaMigration = true  // cluster-allow-replica-migration

    public init(port: Int, busPort: Int) {
        self.port = port
        self.busPort = busPort
    }
}

public enum ClusterLogLevel: Sendable {
    case debug, verbose, notice, warning
}

/// What the shell must do after a call into the state machine.
public enum ClusterEffect: Sendable, Equatable {
    /// Open an outbound bus connection; report `outboundConnected` or `linkClosed` for `link`.
    case connect(LinkID, ip: String, busPort: Int)
    case send(LinkID, ClusterMessage)
    /// Close a link; the state machine has already forgotten it (no `linkClosed` needed).
    case close(LinkID)
    /// nodes.conf content changed: write `nodesConfig()` atomically (temp file, fsync, rename).
    case saveConfig
    /// Slot owners, roles, addresses or the cluster state changed: republish `routingTable()`.
    case routingChanged
    case log(ClusterLogLevel, String)
}

/// A CLUSTER command refused: `message` is the whole Redis error line, e.g. "ERR Slot 5 is already busy".
public struct ClusterCommandError: Error, Sendable, Equatable {
    public let message: String
    public init(_ message: String) { self.message = message }
}

/// An immutable snapshot of who serves which slot, read by the command dispatcher on every keyed
/// command (built by the state machine, published by the shell on `.routingChanged`).
public final class RoutingTable: Sendable {
    public static let unassigned: Int16 = -1

    /// cluster_state:ok as this node sees it.
    public let clusterOK: Bool
    /// Index into `endpoints` of the owner of each slot (16384 entries), or `unassigned`.
    public let owner: [Int16]
    /// The index of this node in `endpoints`; slots owned by it are served.
    public let myIndex: Int16
    /// For a replica: its master's index (its slots are served to READONLY clients), else -1.
    public let myMasterIndex: Int16
    /// What `-MOVED <slot> <endpoint>` and `-ASK` print for each node: "ip:port", "hostname:port"
    /// or ":port" (unknown-endpoint: empty, as Redis 7.0) according to cluster-preferred-endpoint-type.
    public let endpoints: [String]
    /// Reads are served while the cluster is down (cluster-allow-reads-when-down).
    public let allowReadsWhenDown: Bool
    /// Slots this node is migrating away: slot -> target index (for `-ASK`). Issue 5 fills these.
    public let migrating: [Int: Int16]
    /// Slots this node is importing: served to clients that sent ASKING.
    public let importing: Set<Int>

    public init(
        clusterOK: Bool, owner: [Int16], myIndex: Int16, myMasterIndex: Int16, endpoints: [String],
        allowReadsWhenDown: Bool, migrating: [Int: Int16] = [:], importing: Set<Int> = []
    ) {
        precondition(owner.count == SlotBitmap.slotCount)
        self.clusterOK = clusterOK
        self.owner = owner
        self.myIndex = myIndex
        self.myMasterIndex = myMasterIndex
        self.endpoints = endpoints
        self.allowReadsWhenDown = allowReadsWhenDown
        self.migrating = migrating
        self.importing = importing
    }

    /// The table of a node outside any cluster: nothing assigned, state fail.
    public static func empty() -> RoutingTable {
        RoutingTable(
            clusterOK: false, owner: [Int16](repeating: unassigned, count: SlotBitmap.slotCount),
            myIndex: 0, myMasterIndex: -1, endpoints: ["?:0"], allowReadsWhenDown: false)
    }
}

/// One node as CLUSTER SLOTS / SHARDS / REPLICAS describe it.
public struct NodeEndpoint: Sendable, Equatable {
    public var name: NodeName
    public var ip: String
    public var port: Int
    public var hostname: String  // "" when none announced
    public var isMaster: Bool
    public var replicationOffset: UInt64
    /// "online", "fail" or "loading" (CLUSTER SHARDS health, as Redis 7.0 prints it).
    public var health: String
    /// What CLUSTER SLOTS puts first for this node, per cluster-preferred-endpoint-type.
    public var preferredEndpoint: String

    public init(
        name: NodeName, ip: String, port: Int, hostname: String, isMaster: Bool,
        replicationOffset: UInt64, health: String, preferredEndpoint: String
    ) {
        self.name = name
        self.ip = ip
        self.port = port
        self.hostname = hostname
        self.isMaster = isMaster
        self.replicationOffset = replicationOffset
        self.health = health
        self.preferredEndpoint = preferredEndpoint
    }
}

/// A contiguous run of slots with one master (CLUSTER SLOTS): master first, then its replicas
/// that are not failed.
public struct SlotRangeOwner: Sendable, Equatable {
    public var start: Int
    public var end: Int
    public var nodes: [NodeEndpoint]
    public init(start: Int, end: Int, nodes: [NodeEndpoint]) {
        self.start = start
        self.end = end
        self.nodes = nodes
    }
}

/// One shard (CLUSTER SHARDS): its slot ranges and all its nodes, master first.
public struct ShardDescription: Sendable, Equatable {
    public var ranges: [ClosedRange<Int>]
    public var nodes: [NodeEndpoint]
    public init(ranges: [ClosedRange<Int>], nodes: [NodeEndpoint]) {
        self.ranges = ranges
        self.nodes = nodes
    }
}

/// One bus link (CLUSTER LINKS).
public struct LinkDescription: Sendable, Equatable {
    public var direction: String  // "to" | "from"
    public var node: NodeName
    public var createTime: Int64  // ms
    public var events: String  // "r", "w", "rw" or ""
    public var sendBufferAllocated: Int
    public var sendBufferUsed: Int
    public init(
        direction: String, node: NodeName, createTime: Int64, events: String,
        sendBufferAllocated: Int, sendBufferUsed: Int
    ) {
        self.direction = direction
        self.node = node
        self.createTime = createTime
        self.events = events
        self.sendBufferAllocated = sendBufferAllocated
        self.sendBufferUsed = sendBufferUsed
    }
}
