import ArgumentParser
import ShoalClusterKit

#if canImport(Glibc)
import Glibc
#endif

extension MigrationMode: ExpressibleByArgument {}

/// Options every command takes.
struct CommonOptions: ParsableArguments {
    @Option(name: [.customShort("a"), .long], help: "Password to AUTH with (default: $REDISCLI_AUTH).")
    var auth: String?

    @Option(help: "ACL user name to AUTH with (AUTH user password).")
    var user: String?

    @Flag(help: "Print one JSON document on stdout; the human output goes to stderr.")
    var json = false

    @Flag(name: [.short, .long], help: "Answer yes to every question.")
    var yes = false

    @Flag(name: [.short, .long], help: "More output (per-slot plan lines, fix steps).")
    var verbose = false

    func toolOptions() -> ToolOptions {
        var o = ToolOptions()
        let password = auth ?? getenvString("REDISCLI_AUTH")
        if let p = password { o.credentials = Credentials(user: user, password: p) }
        o.yes = yes
        o.verbose = verbose
        return o
    }
}

/// Options of the commands that move slots.
struct MoveOptions: ParsableArguments {
    @Flag(help: "Print the plan (slots from where to where, keys, estimated bytes) and change nothing.")
    var dryRun = false

    @Option(help: "How slots move: auto (whole-slot migration between Shoal nodes, keys otherwise), keys (SETSLOT + MIGRATE, works with redis-server), slots (CLUSTER MIGRATESLOTS).")
    var migration: MigrationMode = .auto

    @Option(help: "Keys per GETKEYSINSLOT / MIGRATE (redis-cli's --cluster-pipeline).")
    var pipeline = 10

    @Option(help: "Slots opened and moved together in keys mode; their commands are pipelined.")
    var window = 256

    @Option(help: "Source/target pairs that migrate keys at the same time (their pipelines interleave).")
    var parallel = 4

    @Option(help: "MIGRATE timeout in milliseconds (redis-cli's --cluster-timeout).")
    var timeout = 60_000

    @Flag(help: "Overwrite keys that already exist on the target (redis-cli's --cluster-replace).")
    var replace = false

    @Option(help: "Keys sampled per slot (MEMORY USAGE) for the byte estimate of --dry-run; 0: none.")
    var sampleKeys = 3

    func apply(_ o: inout ToolOptions) {
        o.dryRun = dryRun
        o.migration = migration
        o.pipeline = max(1, pipeline)
        o.window = max(1, window)
        o.parallel = max(1, parallel)
        o.timeoutMs = max(1, timeout)
        o.replace = replace
        o.sampleKeys = max(0, sampleKeys)
    }
}

func getenvString(_ name: String) -> String? {
    guard let p = getenv(name) else { return nil }
    return String(cString: p)
}

func parseAddress(_ s: String) throws -> HostPort {
    guard let hp = HostPort(s) else {
        throw ValidationError("Invalid address \(s): pass HOST:PORT (ie. 127.0.0.1:7000)")
    }
    return hp
}

/// Runs one command: the human output as it goes, the JSON document at the end with --json,
/// exit status 1 on failure.
func runTool(_ command: String, _ common: CommonOptions, _ configure: (inout ToolOptions) -> Void = { _ in },
             _ body: (ClusterManager) throws -> CommandResult) throws {
    let console = Console(json: common.json)
    var options = common.toolOptions()
    configure(&options)
    let manager = ClusterManager(console: console, options: options)
    do {
        let result = try body(manager)
        if common.json { console.emit(result.json) }
        if !result.ok { throw ExitCode(1) }
    } catch let e as ExitCode {
        throw e
    } catch {
        console.error("\(error)")
        if common.json {
            console.emit(.object([("command", .string(command)), ("ok", .bool(false)), ("error", .string("\(error)"))]))
        }
        throw ExitCode(1)
    }
}

@main
struct ShoalCluster: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "shoal-cluster",
        abstract: "Create, check, fix, reshard and rebalance a Redis Cluster of Shoal and/or redis-server nodes.",
        discussion: """
            The commands of `redis-cli --cluster`, with their algorithms. Slots move with whole-slot \
            migration (CLUSTER MIGRATESLOTS) when both ends are Shoal nodes, and with SETSLOT / MIGRATE \
            (pipelined, several slots at a time) otherwise, so a plain Redis 7 cluster works too. An \
            interrupted keys-mode run leaves at most one window of slots open: `fix` finishes them.
            """,
        subcommands: [Create.self, Check.self, Info.self, Fix.self, Reshard.self, Rebalance.self, AddNode.self,
                      DelNode.self, Call.self])
}

struct Create: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Create a cluster from empty cluster-enabled nodes.")
    @Argument(help: "HOST:PORT of every node.") var nodes: [String]
    @Option(help: "Replicas per master.") var replicas = 0
    @Flag(help: "Print the planned layout and change nothing.") var dryRun = false
    @Option(help: "Seconds to wait for the nodes to agree after CLUSTER MEET.") var joinTimeout = 120.0
    @Option(help: "Seed for the anti-affinity shuffle (reproducible layouts).") var seed: UInt64?
    @OptionGroup var common: CommonOptions

    func run() throws {
        let addrs = try nodes.map(parseAddress)
        try runTool("create", common, {
            $0.dryRun = dryRun
            $0.joinTimeout = joinTimeout
            $0.seed = seed
        }) { try $0.create(addrs, replicas: replicas) }
    }
}

struct Check: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Check the cluster: configuration agreement, open slots, slot coverage.")
    @Argument(help: "HOST:PORT of any node.") var node: String
    @OptionGroup var common: CommonOptions
    func run() throws {
        let a = try parseAddress(node)
        try runTool("check", common) { try $0.checkCommand(at: a) }
    }
}

struct Info: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Keys, slots and replicas per master.")
    @Argument(help: "HOST:PORT of any node.") var node: String
    @OptionGroup var common: CommonOptions
    func run() throws {
        let a = try parseAddress(node)
        try runTool("info", common) { try $0.infoCommand(at: a) }
    }
}

struct Fix: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Fix open slots (finish or close interrupted migrations) and unowned slots.")
    @Argument(help: "HOST:PORT of any node.") var node: String
    @Flag(help: "Print what would be done and change nothing.") var dryRun = false
    @Flag(help: "Overwrite keys that exist on both nodes with different values.") var replace = false
    @Flag(help: "Fix even when some masters are unreachable (may lose data).") var fixWithUnreachableMasters = false
    @Option(help: "Keys per GETKEYSINSLOT / MIGRATE.") var pipeline = 10
    @Option(help: "MIGRATE timeout in milliseconds.") var timeout = 60_000
    @OptionGroup var common: CommonOptions
    func run() throws {
        let a = try parseAddress(node)
        try runTool("fix", common, {
            $0.dryRun = dryRun
            $0.replace = replace
            $0.fixWithUnreachableMasters = fixWithUnreachableMasters
            $0.pipeline = max(1, pipeline)
            $0.timeoutMs = max(1, timeout)
        }) { try $0.fix(at: a) }
    }
}

struct Reshard: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Move N slots from some masters to one master.")
    @Argument(help: "HOST:PORT of any node.") var node: String
    @Option(help: "Source node ids (full, unique prefix or HOST:PORT), comma separated, or 'all'.") var from: String
    @Option(help: "Target node id (full, unique prefix or HOST:PORT).") var to: String
    @Option(help: "Number of slots to move.") var slots: Int
    @OptionGroup var move: MoveOptions
    @OptionGroup var common: CommonOptions
    func run() throws {
        let a = try parseAddress(node)
        try runTool("reshard", common, { move.apply(&$0) }) {
            try $0.reshard(at: a, from: from, to: to, slots: slots)
        }
    }
}

struct Rebalance: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Even out the slots of the masters, by weight.")
    @Argument(help: "HOST:PORT of any node.") var node: String
    @Option(parsing: .upToNextOption, help: "NODE=WEIGHT (node id, unique prefix or HOST:PORT); default weight 1.")
    var weight: [String] = []
    @Flag(help: "Give slots to masters that have none.") var useEmptyMasters = false
    @Option(help: "Only rebalance when a node is off by more than PCT percent.") var threshold: Float = 2
    @OptionGroup var move: MoveOptions
    @OptionGroup var common: CommonOptions
    func run() throws {
        let a = try parseAddress(node)
        try runTool("rebalance", common, { move.apply(&$0) }) {
            try $0.rebalance(at: a, weights: weight, useEmptyMasters: useEmptyMasters, threshold: threshold)
        }
    }
}

struct AddNode: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "add-node", abstract: "Add an empty node to the cluster.")
    @Argument(help: "HOST:PORT of the new node.") var newNode: String
    @Argument(help: "HOST:PORT of a node of the cluster.") var existing: String
    @Option(help: "Make the new node a replica of this master (id, unique prefix or HOST:PORT).") var replicaOf: String?
    @Flag(help: "Make the new node a replica of the master with the fewest replicas.") var replica = false
    @Option(help: "Seconds to wait for the cluster to know the new node.") var joinTimeout = 120.0
    @OptionGroup var common: CommonOptions
    func run() throws {
        let n = try parseAddress(newNode), e = try parseAddress(existing)
        try runTool("add-node", common, { $0.joinTimeout = joinTimeout }) {
            try $0.addNode(n, existing: e, replicaOf: replicaOf, asReplica: replica)
        }
    }
}

struct DelNode: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "del-node", abstract: "Remove an empty node: FORGET everywhere, then CLUSTER RESET SOFT on it.")
    @Argument(help: "HOST:PORT of a node of the cluster.") var node: String
    @Argument(help: "Id of the node to remove (full, unique prefix or HOST:PORT).") var id: String
    @OptionGroup var common: CommonOptions
    func run() throws {
        let a = try parseAddress(node)
        try runTool("del-node", common) { try $0.delNode(at: a, id: id) }
    }
}

struct Call: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Run a command on every node.")
    @Flag(help: "Only masters.") var onlyMasters = false
    @Flag(help: "Only replicas.") var onlyReplicas = false
    @OptionGroup var common: CommonOptions
    @Argument(help: "HOST:PORT of any node.") var node: String
    @Argument(parsing: .captureForPassthrough, help: "The command and its arguments.") var command: [String]
    func validate() throws {
        if command.isEmpty { throw ValidationError("Missing the command to call.") }
        if onlyMasters && onlyReplicas { throw ValidationError("--only-masters and --only-replicas exclude each other.") }
    }
    func run() throws {
        let a = try parseAddress(node)
        let targets: ClusterManager.CallTargets = onlyMasters ? .masters : onlyReplicas ? .replicas : .all
        try runTool("call", common) { try $0.callCommand(at: a, args: command, targets: targets) }
    }
}
