import Commands
import Keyspace
import Persistence
import RDB
import NIOCore
import RESP

/// The form a command is logged in (see `CommandPropagator.propagate`).
enum PropagationRule: UInt8 {
    case verbatim, relativeExpire, setWithExpiry, set, getex, incrbyfloat, hincrbyfloat, restore, spop
    case blockingPop, blmove, brpoplpush, migrate

    init(command name: String) {
        switch name {
        case "expire", "pexpire", "expireat", "pexpireat": self = .relativeExpire
        case "setex", "psetex": self = .setWithExpiry
        case "set": self = .set
        case "getex": self = .getex
        case "incrbyfloat": self = .incrbyfloat
        case "hincrbyfloat": self = .hincrbyfloat
        case "restore", "restore-asking": self = .restore
        case "spop": self = .spop
        case "blpop", "brpop", "bzpopmin", "bzpopmax": self = .blockingPop
        case "blmove": self = .blmove
        case "brpoplpush": self = .brpoplpush
        case "migrate": self = .migrate
        default: self = .verbatim
        }
    }
}

/// Sends every write, in the form it took effect, to the append-only file (replicas will read the
/// same stream). Redis's rules (`propagateNow`, `rewriteClientCommandVector`): a command is
/// propagated when it changed the data set; relative times become absolute ones, so replaying the
/// file later gives the same expiries; random choices (SPOP) become what was chosen; MIGRATE
/// becomes the DEL of the keys that left. Called with the command's slot locks still held, so
/// records of one slot are in the order the commands ran.
final class CommandPropagator: @unchecked Sendable {
    let aof: AOFWriter
    let keyspace: Keyspace

    init(aof: AOFWriter, keyspace: Keyspace) {
        self.aof = aof
        self.keyspace = keyspace
    }

    func emit(db: Int, _ args: [[UInt8]]) {
        aof.append(db: db, args)
    }

    /// A key deleted by expiry (lazily or by the active cycle).
    func expired(db: Int, key: UnsafeRawBufferPointer) {
        aof.append(db: db, [Self.del, Array(key)])
    }

    /// Keys removed without a command of their own (slots handed to another node, PURGESLOTS).
    func deleted(db: Int, keys: [[UInt8]]) {
        var i = 0
        while i < keys.count {
            let end = min(i + 128, keys.count)
            aof.append(db: db, [Self.del] + keys[i..<end])
            i = end
        }
    }

    /// A key arriving whole from another node (CLUSTER IMPORTKEYS): RESTORE ... REPLACE ABSTTL.
    func restored(db: Int, key: [UInt8], object: [UInt8], expireAt: Int64?) {
        let encoder = RDBEncoder()
        encoder.out.append(object)
        DumpPayload.seal(encoder)
        emit(db: db, [Self.restore, key, Array(String(expireAt ?? 0).utf8), encoder.out.array, Self.replace, Self.absTTL])
    }

    /// Elements added to an existing collection (a big value arriving in parts): the commands
    /// that add them, 64 elements a command as Redis's rewrite batches them.
    func added(db: Int, key: [UInt8], value: RDBValue) {
        for command in Self.commands(adding: value, to: key) { emit(db: db, command) }
    }

    static func commands(adding value: RDBValue, to key: [UInt8]) -> [[[UInt8]]] {
        var out: [[[UInt8]]] = []
        func batched(_ name: String, _ items: [[UInt8]], per: Int) {
            var i = 0
            while i < items.count {
                let end = min(i + 64 * per, items.count)
                out.append([Array(name.utf8), key] + items[i..<end])
                i = end
            }
        }
        switch value {
        case .string(let s): out.append([Self.set, key, s])
        case .list(let elements): batched("RPUSH", elements, per: 1)
        case .set(let members): batched("SADD", members, per: 1)
        case .hash(let pairs): batched("HSET", pairs.flatMap { [$0.0, $0.1] }, per: 2)
        case .zset(let elements):
            batched("ZADD", elements.flatMap { [Array(Self.score($0.1).utf8), $0.0] }, per: 2)
        }
        return out
    }

    static func score(_ d: Double) -> String {
        if d.isInfinite { return d > 0 ? "inf" : "-inf" }
        return "\(d)"
    }

    static let del = Array("DEL".utf8)
    static let set = Array("SET".utf8)
    static let pxat = Array("PXAT".utf8)
    static let pexpireat = Array("PEXPIREAT".utf8)
    static let persist = Array("PERSIST".utf8)
    static let keepTTL = Array("KEEPTTL".utf8)
    static let srem = Array("SREM".utf8)
    static let restore = Array("RESTORE".utf8)
    static let replace = Array("REPLACE".utf8)
    static let absTTL = Array("ABSTTL".utf8)

    /// One executed write command that changed something. `replyStart` is where its reply begins
    /// in the connection's output (SPOP's popped members are read back from it).
    func propagate(_ entry: UnsafeMutablePointer<CommandTable.Entry>, _ ctx: inout CommandContext, replyStart: Int) {
        let args = ctx.args
        let db = ctx.db
        switch entry.pointee.propagation {
        case .verbatim:
            verbatim(args, db: db)
        case .relativeExpire:
            expiryOf(ctx.key(1), db: db, now: ctx.now)
        case .setWithExpiry:
            setWithExpiry(key: ctx.key(1), value: args[3], db: db, now: ctx.now)
        case .set:
            if Self.hasRelativeOrAbsoluteExpiry(args) {
                setWithExpiry(key: ctx.key(1), value: args[2], db: db, now: ctx.now)
            } else {
                verbatim(args, db: db)
            }
        case .getex:
            expiryOf(ctx.key(1), db: db, now: ctx.now, persistWhenNone: true)
        case .incrbyfloat:
            // The value as stored, so the replay does not depend on float formatting.
            guard let text = stringValue(ctx.key(1), db: db, now: ctx.now) else { return verbatim(args, db: db) }
            emit(db: db, [Self.set, Array(args[1]), text, Self.keepTTL])
        case .hincrbyfloat:
            // The new value is the reply: HSET it, as Redis does.
            guard let value = Self.bulkStrings(in: ctx.reply.buffer, from: replyStart).first else { return }
            emit(db: db, [Array("HSET".utf8), Array(args[1]), Array(args[2]), value])
        case .restore:
            restoreAbsolute(args, key: ctx.key(1), db: db, now: ctx.now)
        case .spop:
            let members = Self.bulkStrings(in: ctx.reply.buffer, from: replyStart)
            if members.isEmpty { return }
            var i = 0
            while i < members.count {
                let end = min(i + 1024, members.count)
                emit(db: db, [Self.srem, Array(args[1])] + members[i..<end])
                i = end
            }
        case .blockingPop:
            // Served: the pop from the key that had something (the reply's first element).
            guard let key = Self.bulkStrings(in: ctx.reply.buffer, from: replyStart).first else { return }
            emit(db: db, [Array(entry.pointee.name.dropFirst().uppercased().utf8), key])
        case .blmove:
            emit(db: db, [Array("LMOVE".utf8)] + (1...4).map { Array(args[$0]) })
        case .brpoplpush:
            emit(db: db, [Array("RPOPLPUSH".utf8), Array(args[1]), Array(args[2])])
        case .migrate:
            migrated(args, db: db, now: ctx.now)
        }
    }

    private func verbatim(_ args: ArgumentList, db: Int) {
        aof.append(db: db, UnsafeBufferPointer(start: args.base, count: args.count))
    }

    /// The key's expiry as it now stands (its slot known from the dispatcher: no second hash).
    private func expiryOf(_ key: Key, db: Int, now: Int64, persistWhenNone: Bool = false) {
        switch keyspace.expireTime(db: db, key: key, now: now) {
        case .none:
            emit(db: db, [Self.del, Array(key.bytes)])
        case .some(.none):
            if persistWhenNone { emit(db: db, [Self.persist, Array(key.bytes)]) }
        case .some(.some(let at)):
            emit(db: db, [Self.pexpireat, Array(key.bytes), Array(String(at).utf8)])
        }
    }

    private func setWithExpiry(key: Key, value: UnsafeRawBufferPointer, db: Int, now: Int64) {
        switch keyspace.expireTime(db: db, key: key, now: now) {
        case .none:
            // Set with a time already past: the key is gone, as the replay must leave it.
            emit(db: db, [Self.del, Array(key.bytes)])
        case .some(.none):
            emit(db: db, [Self.set, Array(key.bytes), Array(value)])
        case .some(.some(let at)):
            emit(db: db, [Self.set, Array(key.bytes), Array(value), Self.pxat, Array(String(at).utf8)])
        }
    }

    private func stringValue(_ key: Key, db: Int, now: Int64) -> [UInt8]? {
        guard let e = keyspace.lookup(db: db, key: key, now: now, touch: false), e.isString else { return nil }
        return e.withStringBytes { Array($0) }
    }

    /// RESTORE key ttl payload [REPLACE] [ABSTTL] ...: always REPLACE ABSTTL with the stored expiry.
    private func restoreAbsolute(_ args: ArgumentList, key: Key, db: Int, now: Int64) {
        guard case .some(let expiry) = keyspace.expireTime(db: db, key: key, now: now) else { return }
        emit(db: db, [Self.restore, Array(key.bytes), Array(String(expiry ?? 0).utf8), Array(args[3]), Self.replace, Self.absTTL])
    }

    /// MIGRATE host port key|"" db timeout [COPY] [REPLACE] [AUTH ..] [KEYS k ...]: the keys no
    /// longer here were moved (COPY leaves them, and then nothing changed here).
    private func migrated(_ args: ArgumentList, db: Int, now: Int64) {
        var keys: [[UInt8]] = []
        var i = 6
        var keysAt = -1
        while i < args.count {
            if args[i].equalsIgnoringCase("KEYS") { keysAt = i + 1; break }
            if args[i].equalsIgnoringCase("AUTH") { i += 2; continue }
            if args[i].equalsIgnoringCase("AUTH2") { i += 3; continue }
            i += 1
        }
        let candidates = keysAt > 0 ? Array(keysAt..<args.count) : [3]
        for index in candidates where !keyspace.exists(db: db, key: Key(args[index]), now: now) {
            keys.append(Array(args[index]))
        }
        if !keys.isEmpty { deleted(db: db, keys: keys) }
    }

    static func hasRelativeOrAbsoluteExpiry(_ args: ArgumentList) -> Bool {
        var i = 3
        while i < args.count {
            let a = args[i]
            if a.equalsIgnoringCase("EX") || a.equalsIgnoringCase("PX") || a.equalsIgnoringCase("EXAT")
                || a.equalsIgnoringCase("PXAT")
            {
                return true
            }
            i += 1
        }
        return false
    }

    /// The bulk strings of a reply (a bulk, or an array / set of bulks), from `start` in `buffer`.
    static func bulkStrings(in buffer: ByteBuffer, from start: Int) -> [[UInt8]] {
        guard let bytes = buffer.getBytes(at: start, length: buffer.writerIndex - start) else { return [] }
        var out: [[UInt8]] = []
        var i = 0
        func line() -> Int? {
            var n = 0
            var negative = false
            i += 1
            if i < bytes.count && bytes[i] == UInt8(ascii: "-") { negative = true; i += 1 }
            while i < bytes.count && bytes[i] != 13 {
                n = n * 10 + Int(bytes[i] &- 48)
                i += 1
            }
            i += 2
            return negative ? nil : n
        }
        while i < bytes.count {
            switch bytes[i] {
            case UInt8(ascii: "*"), UInt8(ascii: "~"):
                _ = line()
            case UInt8(ascii: "$"):
                guard let n = line(), i + n <= bytes.count else { return out }
                out.append(Array(bytes[i..<i + n]))
                i += n + 2
            default:
                return out
            }
        }
        return out
    }
}
