import Synchronization
import Testing
@testable import ServerConfig

private func dict(_ pairs: [(String, String)]) -> [String: String] {
    Dictionary(pairs, uniquingKeysWith: { a, _ in a })
}

@Suite("CONFIG GET")
struct ConfigGetTests {
    @Test func exactNames() throws {
        let c = Configuration()
        #expect(dict(c.get(pattern: "port")) == ["port": "6379"])
        #expect(c.get(pattern: "nonexistent").isEmpty)
        // Exact names are echoed as given (Redis 7.0 looks them up case-insensitively).
        #expect(c.get(pattern: "MAXMEMORY").map(\.0) == ["MAXMEMORY"])
        // Aliases answer under their own name.
        #expect(dict(c.get(pattern: "slave-read-only")) == ["slave-read-only": "yes"])
        // Hidden directives answer only to their exact name.
        #expect(dict(c.get(pattern: "key-load-delay")) == ["key-load-delay": "0"])
        #expect(c.get(pattern: "key-load-*").isEmpty)
    }

    @Test func formatting() throws {
        let c = Configuration()
        let all = dict(c.get(pattern: "*"))
        #expect(all["save"] == "3600 1 300 100 60 10000")
        #expect(all["bind"] == "* -::*")
        #expect(all["proto-max-bulk-len"] == "536870912")
        #expect(all["client-query-buffer-limit"] == "1073741824")
        #expect(all["maxmemory"] == "0")
        #expect(all["protected-mode"] == "yes")
        #expect(all["appendonly"] == "no")
        #expect(all["loglevel"] == "notice")
        #expect(all["requirepass"] == "")
        #expect(all["io-threads"] == "1")
        #expect(all["client-output-buffer-limit"] == "normal 0 0 0 slave 268435456 67108864 60 pubsub 33554432 8388608 60")
        #expect(all["dir"] == FilePaths.canonical(FilePaths.currentDirectory()))
        #expect(all["hash-max-listpack-entries"] == "512")
        #expect(all["hash-max-ziplist-entries"] == "512")  // 7.0 lists aliases too
        #expect(all["rename-command"] == nil)
        #expect(all["use-exit-on-panic"] == nil)  // hidden
        #expect(all.count == 192)  // 178 directives + 19 aliases - 5 hidden, as redis-server 7.0.15
    }

    @Test func patterns() throws {
        let c = Configuration()
        let names = Set(c.get(pattern: "maxmemory*").map(\.0))
        #expect(names == ["maxmemory", "maxmemory-policy", "maxmemory-samples", "maxmemory-eviction-tenacity",
                          "maxmemory-clients"])
        #expect(Set(c.get(pattern: "*-max-*-entries").map(\.0)).isSuperset(of: ["hash-max-listpack-entries",
                                                                                 "hash-max-ziplist-entries"]))
        #expect(Set(c.get(pattern: "h?").map(\.0)) == ["hz"])
        #expect(Set(c.get(pattern: "[pb]ind").map(\.0)) == ["bind"])
        #expect(Set(c.get(pattern: "PORT*").map(\.0)) == ["port"])  // case-insensitive
    }

    @Test func multiplePatternsWithoutDuplicates() throws {
        let c = Configuration()
        let pairs = c.get(patterns: ["port", "PORT", "po*", "hz", "maxmemory", "maxmemory*"])
        let names = pairs.map { $0.0.lowercased() }
        #expect(names.count == Set(names).count)
        #expect(Set(names) == ["port", "hz", "maxmemory", "maxmemory-policy", "maxmemory-samples",
                               "maxmemory-eviction-tenacity", "maxmemory-clients"])
    }

    @Test func effectiveIOThreads() {
        let c = Configuration()
        c.setEffectiveIOThreads(4)
        #expect(dict(c.get(pattern: "io-threads")) == ["io-threads": "4"])
        #expect(c.ioThreads == 0)
    }
}

@Suite("CONFIG SET")
struct ConfigSetTests {
    @Test func setsSeveralAtOnce() throws {
        let c = Configuration()
        let result = c.set([("hz", "50"), ("maxclients", "20"), ("requirepass", "pw"), ("loglevel", "WARNING"),
                            ("timeout", "7"), ("proto-max-bulk-len", "2mb")])
        #expect(try result.get() == [])
        #expect(c.hz == 50)
        #expect(c.maxClients == 20)
        #expect(c.requirePass == "pw")
        #expect(c.logLevel == .warning)
        #expect(c.timeoutSeconds == 7)
        #expect(c.protoMaxBulkLen == 2 << 20)
        #expect(dict(c.get(pattern: "proto-max-bulk-len")) == ["proto-max-bulk-len": "2097152"])
    }

    @Test func errors() {
        let c = Configuration()
        #expect(c.set([("foo", "1")]).failure?.message == "ERR Unknown option or number of arguments for CONFIG SET - 'foo'")
        #expect(c.set([("port", "7000")]).failure?.message
            == "ERR CONFIG SET failed (possibly related to argument 'port') - can't set immutable config")
        #expect(c.set([("hz", "abc")]).failure?.message
            == "ERR CONFIG SET failed (possibly related to argument 'hz') - argument couldn't be parsed into an integer")
        #expect(c.set([("HZ", "abc")]).failure?.message
            == "ERR CONFIG SET failed (possibly related to argument 'hz') - argument couldn't be parsed into an integer")
        #expect(c.set([("hz", "1"), ("HZ", "2")]).failure?.message
            == "ERR CONFIG SET failed (possibly related to argument 'HZ') - duplicate parameter")
        #expect(c.set([("protected-mode", "maybe")]).failure?.message
            == "ERR CONFIG SET failed (possibly related to argument 'protected-mode') - argument must be 'yes' or 'no'")
        #expect(c.set([("loglevel", "x")]).failure?.message
            == "ERR CONFIG SET failed (possibly related to argument 'loglevel') - argument(s) must be one of the following: debug, verbose, notice, warning")
        #expect(c.set([("maxmemory", "lots")]).failure?.message
            == "ERR CONFIG SET failed (possibly related to argument 'maxmemory') - argument must be a memory value")
        #expect(c.set([("dir", "/tmp")]).failure?.message
            == "ERR CONFIG SET failed (possibly related to argument 'dir') - can't set protected config")
        #expect(c.set([("replicaof", "127.0.0.1 6380")]).failure?.message
            == "ERR CONFIG SET failed (possibly related to argument 'replicaof') - can't set immutable config")
        #expect(c.set([("bind", "127.0.0.1")]).failure?.message
            == "ERR CONFIG SET failed (possibly related to argument 'bind') - can't set immutable config")
        // The first problem wins.
        #expect(c.set([("port", "1"), ("foo", "2")]).failure?.message
            == "ERR CONFIG SET failed (possibly related to argument 'port') - can't set immutable config")
        #expect(c.set([("foo", "1"), ("port", "2")]).failure?.message
            == "ERR Unknown option or number of arguments for CONFIG SET - 'foo'")
        // Redis matches names, never patterns, in CONFIG SET; include is not a config.
        #expect(c.set([("include", "/x")]).failure == .unknownOption("include"))
    }

    @Test func allOrNothing() {
        let c = Configuration()
        let before = c.values
        #expect(c.set([("hz", "20"), ("maxclients", "30"), ("timeout", "-1")]).failure
            == .failed(argument: "timeout", reason: "argument must be between 0 and 2147483647 inclusive"))
        #expect(c.values == before)
    }

    @Test func protectedConfigsWhenEnabled() throws {
        let dir = TempDir()
        let (c, _) = try loadArgs(["--enable-protected-configs", "local"])
        #expect(c.set([("dir", dir.path)]).failure?.message
            == "ERR CONFIG SET failed (possibly related to argument 'dir') - can't set protected config")
        _ = try c.set([("dir", dir.path), ("dbfilename", "x.rdb")], localClient: true).get()
        #expect(c.dir == dir.path)
        #expect(c.dbFilename == "x.rdb")
        #expect(c.set([("dir", dir.path + "/missing")], localClient: true).failure?.message
            == "ERR CONFIG SET failed (possibly related to argument 'dir') - No such file or directory")
    }

    @Test func hzClampedOnSet() throws {
        let c = Configuration()
        _ = try c.set([("hz", "1000")]).get()
        #expect(c.hz == 500)
        #expect(dict(c.get(pattern: "hz")) == ["hz": "500"])
    }

    @Test func multiArgValues() throws {
        let c = Configuration()
        _ = try c.set([("save", "100 10 20 30")]).get()
        #expect(c.savePoints == [SavePoint(seconds: 100, changes: 10), SavePoint(seconds: 20, changes: 30)])
        _ = try c.set([("save", "")]).get()
        #expect(c.savePoints.isEmpty)
        #expect(c.set([("save", "100")]).failure?.message
            == "ERR CONFIG SET failed (possibly related to argument 'save') - Invalid save parameters")
        _ = try c.set([("client-output-buffer-limit", "pubsub 64mb 16mb 30")]).get()
        #expect(c.value(of: "client-output-buffer-limit")
            == "normal 0 0 0 slave 268435456 67108864 60 pubsub 67108864 16777216 30")
    }

    @Test func unsupportedAndUnenforcedWarn() throws {
        let c = Configuration()
        #expect(try c.set([("notify-keyspace-events", "KEA")]).get()
            == ["Directive 'notify-keyspace-events' is recognised but not supported by Shoal yet; ignored"])
        #expect(c.value(of: "notify-keyspace-events") == "AKE")
        #expect(try c.set([("maxmemory-policy", "allkeys-lru")]).get()
            == ["Directive 'maxmemory-policy' is set to 'allkeys-lru' but Shoal does not act on it yet; the value is only stored"])
        #expect(try c.set([("maxmemory-policy", "noeviction")]).get() == [])
        // Persistence is enforced: no warning.
        #expect(try c.set([("appendonly", "yes")]).get() == [])
        #expect(c.set([("rdbchecksum", "no")]).failure?.message
            == "ERR CONFIG SET failed (possibly related to argument 'rdbchecksum') - can't set immutable config")
    }

    @Test("unimplemented directives read back as Redis prints them", arguments: [
        ("notify-keyspace-events", "KEA", "AKE"),
        ("notify-keyspace-events", "Kx", "xK"),
        ("notify-keyspace-events", "Ez$", "$zE"),
        ("notify-keyspace-events", "", ""),
        ("shutdown-on-sigterm", "nosave force now", "nosave now force"),
        ("shutdown-on-sigterm", "default save", "save"),
        ("shutdown-on-sigterm", "default", "default"),
        ("oom-score-adj", "relative", "yes"),
        ("hash-max-listpack-value", "1kb", "1024"),
        ("acl-pubsub-default", "ALLCHANNELS", "allchannels"),
        ("latency-tracking-info-percentiles", "50.5 99 99.99 100 0", "50.5 99 99.99 100 0"),
        ("latency-tracking-info-percentiles", "", ""),
        ("maxmemory-clients", "10%", "10%"),
        ("maxmemory-clients", "64mb", "67108864"),
        ("slave-read-only", "NO", "no"),
        ("list-max-listpack-size", "-5", "-5"),
    ])
    func normalizedValues(name: String, value: String, expected: String) throws {
        let c = Configuration()
        _ = try c.set([(name, value)]).get()
        #expect(c.value(of: name) == expected)
    }

    @Test func unimplementedValidationOnSet() {
        let c = Configuration()
        #expect(c.set([("slave-read-only", "maybe")]).failure?.message
            == "ERR CONFIG SET failed (possibly related to argument 'slave-read-only') - argument must be 'yes' or 'no'")
        #expect(c.set([("maxmemory-clients", "200%")]).failure?.message
            == "ERR CONFIG SET failed (possibly related to argument 'maxmemory-clients') - percentage argument must be less or equal to 100")
        #expect(c.set([("oom-score-adj-values", "1 2")]).failure?.message
            == "ERR CONFIG SET failed (possibly related to argument 'oom-score-adj-values') - wrong number of arguments")
    }

    @Test func observers() throws {
        let c = Configuration()
        let seen = Mutex<[String]>([])
        let hzValues = Mutex<[String]>([])
        let token = c.onChange { name in seen.withLock { $0.append(name) } }
        c.onChange("hz") { value in hzValues.withLock { $0.append(value) } }
        _ = try c.set([("hz", "20"), ("timeout", "0"), ("loglevel", "debug")]).get()  // timeout unchanged
        #expect(seen.withLock { $0 } == ["hz", "loglevel"])
        #expect(hzValues.withLock { $0 } == ["20"])
        // Via an alias, observers see the canonical name.
        _ = try c.set([("slave-read-only", "no")]).get()
        #expect(seen.withLock { $0 }.last == "replica-read-only")
        // Failed sets notify nobody.
        _ = c.set([("hz", "30"), ("timeout", "x")])
        #expect(hzValues.withLock { $0 } == ["20"])
        c.removeObserver(token)
        _ = try c.set([("hz", "40")]).get()
        #expect(seen.withLock { $0 }.count == 3)
        #expect(hzValues.withLock { $0 } == ["20", "40"])
    }

    @Test func observerMayReadConfiguration() throws {
        let c = Configuration()
        let read = Mutex(0)
        c.onChange { _ in read.withLock { $0 = c.hz } }
        _ = try c.set([("hz", "33")]).get()
        #expect(read.withLock { $0 } == 33)
    }

    @Test func concurrentReadersAndWriters() async throws {
        let c = Configuration()
        await withTaskGroup(of: Void.self) { group in
            for i in 0..<8 {
                group.addTask {
                    for j in 0..<200 {
                        if i % 2 == 0 {
                            _ = c.set([("hz", String(1 + (j % 100))), ("maxclients", String(100 + j))])
                        } else {
                            _ = c.get(patterns: ["hz", "max*"])
                            #expect((1...100).contains(c.hz))
                        }
                    }
                }
            }
        }
    }
}

extension Result {
    var failure: Failure? {
        if case .failure(let e) = self { return e }
        return nil
    }
}
