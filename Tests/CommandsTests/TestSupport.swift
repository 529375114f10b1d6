import Keyspace
import NIOCore
import RESP
@testable import Commands

/// Runs commands against a keyspace the way the dispatcher does (table lookup, subcommands,
/// arity), capturing the exact reply bytes.
final class Harness {
    let keyspace: Keyspace
    let stats = CommandStats()
    var db = 0
    var now: Int64 = 1_700_000_000_000
    var protocolVersion = 2
    var limits = CommandLimits()
    let encodings = EncodingLimits()
    /// Set `blocked.value` above 0 to have `signalKeyReady` record keys (as if a client waited).
    let blocked = BlockedClientCount()
    var mayBlock = true
    /// What the last command asked for if it wanted to block, and every key signalled ready.
    var lastBlock: BlockRequest?
    var readyKeys: [String] = []
    let table: [String: CommandSpec]

    init(databases: Int = 16, concurrent: Bool = false) {
        keyspace = Keyspace(databases: databases, concurrent: concurrent)
        var t: [String: CommandSpec] = [:]
        let all = stringCommands + genericCommands + listCommands + hashCommands + setCommands + sortedSetCommands
        for spec in all {
            precondition(t[spec.name] == nil, "duplicate \(spec.name)")
            t[spec.name] = spec
        }
        table = t
    }

    @discardableResult
    func run(_ args: String...) -> String {
        String(decoding: runBytes(args.map { Array($0.utf8) }), as: UTF8.self)
    }

    func run(_ args: [String]) -> String {
        String(decoding: runBytes(args.map { Array($0.utf8) }), as: UTF8.self)
    }

    func runBytes(_ args: [[UInt8]]) -> [UInt8] {
        let (storage, views) = Harness.argumentViews(args)
        defer { storage.forEach { $0.deallocate() } }
        let name = String(decoding: args[0], as: UTF8.self).lowercased()
        guard var spec = table[name] else { return Array("-ERR unknown command\r\n".utf8) }
        if !spec.subcommands.isEmpty {
            guard args.count >= 2 else { return Array("-ERR wrong number of arguments for '\(name)' command\r\n".utf8) }
            let sub = String(decoding: args[1], as: UTF8.self).lowercased()
            guard let s = spec.subcommands.first(where: { $0.name == sub }) else {
                return Array("-ERR unknown subcommand '\(sub)'. Try OBJECT HELP.\r\n".utf8)
            }
            spec = s
        }
        let arity = spec.arity
        if arity >= 0 ? args.count != arity : args.count < -arity {
            return Array("-ERR wrong number of arguments for '\(name)' command\r\n".utf8)
        }
        return views.withUnsafeBufferPointer { argv -> [UInt8] in
            var ctx = CommandContext(
                args: ArgumentList(base: argv.baseAddress!, count: argv.count),
                reply: RESPWriter(buffer: ByteBufferAllocator().buffer(capacity: 64), protocolVersion: protocolVersion),
                keyspace: keyspace, db: db, now: now, stats: stats, limits: limits)
            ctx.encodings = encodings
            ctx.blockedClients = blocked
            ctx.mayBlock = mayBlock
            spec.handler(&ctx)
            db = ctx.db
            lastBlock = ctx.blockRequest
            readyKeys += ctx.readyKeys.map { String(decoding: $0.key, as: UTF8.self) }
            return Array(ctx.reply.buffer.readableBytesView)
        }
    }

    /// Each argument copied into its own allocation, like views into a read buffer; the caller
    /// deallocates `storage`.
    static func argumentViews(_ args: [[UInt8]]) -> (storage: [UnsafeMutableRawBufferPointer], views: [UnsafeRawBufferPointer]) {
        let storage = args.map { a -> UnsafeMutableRawBufferPointer in
            let p = UnsafeMutableRawBufferPointer.allocate(byteCount: max(a.count, 1), alignment: 1)
            a.withUnsafeBytes { p.copyMemory(from: $0) }
            return p
        }
        let views = zip(storage, args).map { UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer($0.0)[0..<$0.1.count]) }
        return (storage, views)
    }

    func encoding(_ key: String) -> String { run("OBJECT", "ENCODING", key) }

    /// Key indices the command table reports for an invocation (what the dispatcher locks).
    func keyIndices(_ args: String...) -> [Int] { keyIndices(args) }

    func keyIndices(_ args: [String]) -> [Int] {
        let (storage, views) = Harness.argumentViews(args.map { Array($0.utf8) })
        defer { storage.forEach { $0.deallocate() } }
        return views.withUnsafeBufferPointer {
            table[args[0].lowercased()]!.keys.indices(in: ArgumentList(base: $0.baseAddress!, count: $0.count))
        }
    }
}

/// RESP encodings for expected replies.
enum R {
    static let ok = "+OK\r\n"
    static let null = "$-1\r\n"
    static let null3 = "_\r\n"
    static func int(_ v: Int) -> String { ":\(v)\r\n" }
    static func bulk(_ s: String) -> String { "$\(s.utf8.count)\r\n\(s)\r\n" }
    static func err(_ s: String) -> String { "-\(s)\r\n" }
    static func simple(_ s: String) -> String { "+\(s)\r\n" }
    static func array(_ items: [String]) -> String { "*\(items.count)\r\n" + items.joined() }
    static let wrongType = err("WRONGTYPE Operation against a key holding the wrong kind of value")
    static let syntax = err("ERR syntax error")
    static let notInteger = err("ERR value is not an integer or out of range")
    static let notFloat = err("ERR value is not a valid float")
}
