import Commands
import Keyspace
import NIOConcurrencyHelpers
import RDB
import RESP

private typealias Arg = CommandArgument

/// DUMP, RESTORE, RESTORE-ASKING and MIGRATE: keys as Redis serialises them (RDB object + RDB
/// version + CRC64), so MIGRATE works between Shoal and redis-server both ways and
/// `redis-cli --cluster reshard` can move keys off and onto Shoal nodes.
extension ShoalServer {
    func keyMigrationCommands() -> [CommandSpec] {
        let restoreArguments = [
            Arg("key", .key), Arg("ttl", .integer), Arg("serialized-value", .string),
            Arg("replace", .pureToken, token: "REPLACE", optional: true, since: "3.0.0"),
            Arg("absttl", .pureToken, token: "ABSTTL", optional: true, since: "5.0.0"),
            Arg("seconds", .integer, token: "IDLETIME", optional: true, since: "5.0.0"),
            Arg("frequency", .integer, token: "FREQ", optional: true, since: "5.0.0"),
        ]
        let restoreComplexity = "O(1) to create the new key and additional O(N*M) to reconstruct the serialized value, where N is the number of Redis objects composing the value and M their average size. For small string values the time complexity is thus O(1)+O(1*M) where M is small, so simply O(1). However for sorted set values the complexity is O(N*M*log(N)) because inserting values into sorted sets is O(log(N))."
        return [
            CommandSpec(
                name: "dump", arity: 2, flags: ["readonly"], keys: KeyPositions(first: 1, last: 1, step: 1),
                aclCategories: ["keyspace"],
                summary: "Return a serialized version of the value stored at the specified key.", since: "2.6.0",
                group: "generic", complexity: "O(1) to access the key and additional O(N*M) to serialize it.",
                arguments: [Arg("key", .key)]
            ) { [unowned self] ctx in
                guard let entry = keyspace.lookup(db: ctx.db, key: ctx.key(1), now: ctx.now) else {
                    ctx.reply.null()
                    return
                }
                do {
                    let payload = try DumpPayload.encode(entry: entry, limits: rdbEncodingLimits)
                    payload.withUnsafeBytes { ctx.reply.bulk($0) }
                } catch {
                    ctx.reply.error("ERR \(error)")
                }
            },
            CommandSpec(
                name: "restore", arity: -4, flags: ["write", "denyoom"], keys: KeyPositions(first: 1, last: 1, step: 1),
                aclCategories: ["keyspace", "dangerous"],
                summary: "Create a key using the provided serialized value, previously obtained using DUMP.",
                since: "2.6.0", group: "generic", complexity: restoreComplexity, arguments: restoreArguments
            ) { [unowned self] ctx in restore(&ctx) },
            CommandSpec(
                name: "restore-asking", arity: -4, flags: ["write", "denyoom", "asking"],
                keys: KeyPositions(first: 1, last: 1, step: 1), aclCategories: ["keyspace", "dangerous"],
                summary: "An internal command for migrating keys in a cluster", since: "3.0.0", group: "server",
                complexity: restoreComplexity, arguments: restoreArguments
            ) { [unowned self] ctx in restore(&ctx) },
            CommandSpec(
                name: "migrate", arity: -6, flags: ["write", "movablekeys"],
                keys: KeyPositions(first: 3, last: 3, step: 1, finder: ShoalServer.migrateKeys),
                aclCategories: ["keyspace", "dangerous"],
                summary: "Atomically transfer a key from a Redis instance to another one.", since: "2.6.0",
                group: "generic",
                complexity: "This command actually executes a DUMP+DEL in the source instance, and a RESTORE in the target instance.",
                arguments: [
                    Arg("host", .string), Arg("port", .integer),
                    Arg("key_or_empty_string", .oneof, arguments: [
                        Arg("key", .key), Arg("empty_string", .pureToken, token: ""),
                    ]),
                    Arg("destination-db", .integer), Arg("timeout", .integer),
                    Arg("copy", .pureToken, token: "COPY", optional: true, since: "3.0.0"),
                    Arg("replace", .pureToken, token: "REPLACE", optional: true, since: "3.0.0"),
                    Arg("authentication", .oneof, optional: true, arguments: [
                        Arg("password", .string, token: "AUTH", optional: true, since: "4.0.7"),
                        Arg("username_password", .block, token: "AUTH2", optional: true, since: "6.0.0", arguments: [
                            Arg("username", .string), Arg("password", .string),
                        ]),
                    ]),
                    Arg("key", .key, token: "KEYS", optional: true, multiple: true, keySpecIndex: 1, since: "3.0.6"),
                ]
            ) { [unowned self] ctx in migrate(&ctx) },
        ]
    }

    /// MIGRATE's keys: argument 3, or everything after KEYS (when argument 3 is "").
    static let migrateKeys: @Sendable (ArgumentList) -> [Int] = { args in
        var i = 6
        while i < args.count {
            if args[i].equalsIgnoringCase("keys") {
                return args[3].count == 0 ? Array((i + 1)..<args.count) : []
            }
            if args[i].equalsIgnoringCase("auth") { i += 1 } else if args[i].equalsIgnoringCase("auth2") { i += 2 }
            i += 1
        }
        return args.count > 3 && args[3].count > 0 ? [3] : []
    }

    // MARK: RESTORE

    private func restore(_ ctx: inout CommandContext) {
        var replace = false
        var absoluteTTL = false
        var idle: Int64 = -1
        var frequency: Int64 = -1
        var j = 4
        while j < ctx.args.count {
            let more = ctx.args.count - j - 1
            let option = ctx.args[j]
            if option.equalsIgnoringCase("replace") {
                replace = true
            } else if option.equalsIgnoringCase("absttl") {
                absoluteTTL = true
            } else if option.equalsIgnoringCase("idletime") && more >= 1 && frequency == -1 {
                guard let n = ctx.args[j + 1].parseInt64() else { return ctx.reply.error(CommandError.notInteger) }
                guard n >= 0 else { return ctx.reply.error("ERR Invalid IDLETIME value, must be >= 0") }
                idle = n
                j += 1
            } else if option.equalsIgnoringCase("freq") && more >= 1 && idle == -1 {
                guard let n = ctx.args[j + 1].parseInt64() else { return ctx.reply.error(CommandError.notInteger) }
                guard n >= 0 && n <= 255 else { return ctx.reply.error("ERR Invalid FREQ value, must be >= 0 and <= 255") }
                frequency = n
                j += 1
            } else {
                return ctx.reply.error(CommandError.syntax)
            }
            j += 1
        }
        let key = ctx.key(1)
        let exists = keyspace.lookup(db: ctx.db, key: key, now: ctx.now, touch: false) != nil
        if !replace && exists { return ctx.reply.error("BUSYKEY Target key name already exists.") }
        guard let ttl = ctx.args[2].parseInt64() else { return ctx.reply.error(CommandError.notInteger) }
        guard ttl >= 0 else { return ctx.reply.error("ERR Invalid TTL value, must be >= 0") }
        let payload = ctx.args[3]
        guard DumpPayload.verify(payload) else {
            return ctx.reply.error("ERR DUMP payload version or checksum are wrong")
        }
        let value: RDBValue
        do {
            value = try DumpPayload.decode(payload)
        } catch {
            return ctx.reply.error("ERR Bad data format")
        }
        if replace && exists { _ = keyspace.delete(db: ctx.db, key: key, now: ctx.now) }
        let expireAt: Int64? = ttl == 0 ? nil : (absoluteTTL ? ttl : ctx.now + ttl)
        if let expireAt, expireAt <= ctx.now {
            // Already expired: nothing is created (an existing key was replaced by nothing).
            return ctx.reply.ok()
        }
        do {
            try store(value, key: key.bytes, db: ctx.db, expireAt: expireAt, into: keyspace,
                      limits: rdbEncodingLimits, now: ctx.now)
        } catch {
            return ctx.reply.error("ERR Bad data format")
        }
        if case .list = value { ctx.signalKeyReady(key.bytes) }
        if case .zset = value { ctx.signalKeyReady(key.bytes) }
        ctx.reply.ok()
    }

    // MARK: MIGRATE

    /// Runs on the event loop with the keys' slots locked, as redis-server blocks while it
    /// migrates: no write can slip between the copy and the deletion of a key.
    private func migrate(_ ctx: inout CommandContext) {
        var copy = false
        var replace = false
        var auth: [String] = []
        var keyIndices = [3]
        var j = 6
        while j < ctx.args.count {
            let more = ctx.args.count - 1 - j
            let option = ctx.args[j]
            if option.equalsIgnoringCase("copy") {
                copy = true
            } else if option.equalsIgnoringCase("replace") {
                replace = true
            } else if option.equalsIgnoringCase("auth") {
                guard more >= 1 else { return ctx.reply.error(CommandError.syntax) }
                auth = ["AUTH", ctx.args[j + 1].string]
                j += 1
            } else if option.equalsIgnoringCase("auth2") {
                guard more >= 2 else { return ctx.reply.error(CommandError.syntax) }
                auth = ["AUTH", ctx.args[j + 1].string, ctx.args[j + 2].string]
                j += 2
            } else if option.equalsIgnoringCase("keys") {
                guard ctx.args[3].count == 0 else {
                    return ctx.reply.error(
                        "ERR When using MIGRATE KEYS option, the key argument must be set to the empty string")
                }
                keyIndices = Array((j + 1)..<ctx.args.count)
                break
            } else {
                return ctx.reply.error(CommandError.syntax)
            }
            j += 1
        }
        guard var timeout = ctx.args[5].parseInt64(), let db = ctx.args[4].parseInt64(),
              let port = ctx.args[2].parseInt64() else {
            return ctx.reply.error(CommandError.notInteger)
        }
        if timeout <= 0 { timeout = 1000 }
        // The keys that exist, serialised now.
        var items: [(index: Int, ttl: Int64, payload: [UInt8])] = []
        for i in keyIndices {
            guard let entry = keyspace.lookup(db: ctx.db, key: ctx.key(i), now: ctx.now, touch: false) else { continue }
            do {
                let payload = try DumpPayload.encode(entry: entry, limits: rdbEncodingLimits)
                var ttl: Int64 = 0
                if let at = entry.expireAt { ttl = max(at - ctx.now, 1) }
                items.append((i, ttl, payload))
            } catch {
                return ctx.reply.error("ERR \(error)")
            }
        }
        if items.isEmpty { return ctx.reply.simpleString("NOKEY") }
        let host = ctx.args[1].string
        let restore = configuration.clusterEnabled ? "RESTORE-ASKING" : "RESTORE"
        var request: [UInt8] = []
        var expected = 0
        if !auth.isEmpty {
            request += RESPValue.encodeCommand(auth)
            expected += 1
        }
        request += RESPValue.encodeCommand(["SELECT", String(db)])
        expected += 1
        for item in items {
            var command: [[UInt8]] = [Array(restore.utf8), Array(ctx.args[item.index]), Array(String(item.ttl).utf8), item.payload]
            if replace { command.append(Array("REPLACE".utf8)) }
            request += RESPValue.encodeCommand(command)
        }
        let outcome: [RESPValue]
        do {
            let peer = try migrateConnections.connection(host: host, port: Int(port), timeoutMillis: Int(timeout))
            do {
                try peer.write(request)
                var replies: [RESPValue] = []
                for _ in 0..<(expected + items.count) { replies.append(try peer.readReply()) }
                outcome = replies
            } catch {
                migrateConnections.discard(host: host, port: Int(port))
                throw error
            }
        } catch {
            return ctx.reply.error("\(error)")
        }
        for reply in outcome.prefix(expected) {
            if case .error(let message) = reply {
                return ctx.reply.error("ERR Target instance replied with error: \(message)")
            }
        }
        var firstError: String?
        for (item, reply) in zip(items, outcome.dropFirst(expected)) {
            if case .error(let message) = reply {
                if firstError == nil { firstError = message }
            } else if !copy {
                _ = keyspace.delete(db: ctx.db, key: ctx.key(item.index), now: ctx.now)
            }
        }
        if let firstError { return ctx.reply.error("ERR Target instance replied with error: \(firstError)") }
        ctx.reply.ok()
    }
}

/// MIGRATE's cached connections to targets (Redis keeps them 10 s).
final class MigrateConnections: @unchecked Sendable {
    private let lock = NIOLock()
    private var cache: [String: PeerConnection] = [:]
    static let idleMillis: Int64 = 10_000

    func connection(host: String, port: Int, timeoutMillis: Int) throws -> PeerConnection {
        let name = "\(host):\(port)"
        let now = monotonicMillis()
        if let cached = lock.withLock({ cache.removeValue(forKey: name) }), now - cached.lastUse < Self.idleMillis {
            cached.lastUse = now
            lock.withLock { cache[name] = cached }
            return cached
        }
        let fresh = try PeerConnection(host: host, port: port, timeoutMillis: timeoutMillis)
        fresh.lastUse = now
        lock.withLock { cache[name] = fresh }
        return fresh
    }

    func discard(host: String, port: Int) {
        _ = lock.withLock { cache.removeValue(forKey: "\(host):\(port)") }
    }
}
