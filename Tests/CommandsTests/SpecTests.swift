import Testing
import Keyspace
@testable import Commands

@Suite struct SpecTests {
    let all = stringCommands + genericCommands

    func spec(_ name: String) -> CommandSpec? { all.first { $0.name == name } }

    @Test func namesAreUniqueAndLowercase() {
        let names = all.map(\.name)
        #expect(Set(names).count == names.count)
        #expect(names.allSatisfy { $0 == $0.lowercased() })
        for name in ["get", "set", "setnx", "setex", "psetex", "getset", "getdel", "getex", "mget", "mset", "msetnx",
                     "incr", "decr", "incrby", "decrby", "incrbyfloat", "append", "strlen", "getrange", "substr",
                     "setrange", "del", "unlink", "exists", "type", "ttl", "pttl", "expire", "pexpire", "expireat",
                     "pexpireat", "expiretime", "pexpiretime", "persist", "touch", "keys", "scan", "randomkey",
                     "rename", "renamenx", "copy", "dbsize", "flushdb", "flushall", "select", "swapdb", "object"] {
            #expect(spec(name) != nil, "\(name)")
        }
    }

    @Test func commandInfoFacts() {
        // (arity, flags, first, last, step) as Redis 7.0 COMMAND INFO reports them.
        let facts: [(String, Int, [String], Int, Int, Int)] = [
            ("get", 2, ["readonly", "fast"], 1, 1, 1),
            ("set", -3, ["write", "denyoom"], 1, 1, 1),
            ("mget", -2, ["readonly", "fast"], 1, -1, 1),
            ("mset", -3, ["write", "denyoom"], 1, -1, 2),
            ("del", -2, ["write"], 1, -1, 1),
            ("rename", 3, ["write"], 1, 2, 1),
            ("copy", -3, ["write", "denyoom"], 1, 2, 1),
            ("keys", 2, ["readonly"], 0, 0, 0),
            ("scan", -2, ["readonly"], 0, 0, 0),
            ("select", 2, ["loading", "stale", "fast"], 0, 0, 0),
            ("expire", -3, ["write", "fast"], 1, 1, 1),
            ("getrange", 4, ["readonly"], 1, 1, 1),
        ]
        for (name, arity, flags, first, last, step) in facts {
            guard let s = spec(name) else { Issue.record("missing \(name)"); continue }
            #expect(s.arity == arity, "\(name)")
            #expect(s.flags == flags, "\(name)")
            #expect(s.keys.first == first && s.keys.last == last && s.keys.step == step, "\(name)")
        }
        let object = spec("object")!
        #expect(object.arity == -2)
        #expect(Set(object.subcommands.map(\.name)) == ["encoding", "freq", "idletime", "refcount", "help"])
        let encoding = object.subcommands.first { $0.name == "encoding" }!
        #expect(encoding.arity == 3 && encoding.keys.first == 2 && encoding.keys.last == 2)
    }

    @Test func lockingModes() {
        #expect(spec("get")!.access == .keys)
        #expect(spec("scan")!.access == .selfManaged)
        for name in ["keys", "dbsize", "flushdb", "flushall", "swapdb", "randomkey"] {
            #expect(spec(name)!.access == .all, "\(name)")
        }
        #expect(spec("select")!.access == .none)
    }
}
