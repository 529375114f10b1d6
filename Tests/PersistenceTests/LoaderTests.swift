import Foundation
import RDB
import Testing
@testable import Persistence

@Suite struct LoaderTests {
    /// A directory whose manifest lists `files` (base first when its name says so).
    func makeDir(_ tmp: TempDir, _ files: [(String, [UInt8])]) -> AOFDirectory {
        mkdir("\(tmp.path)/appendonlydir", 0o755)
        var m = AOFManifest()
        var seq = 0
        for (name, bytes) in files {
            tmp.write("appendonlydir/\(name)", bytes)
            if name.contains(".base.") {
                m.base = AOFManifestEntry(name: name, seq: 1, type: .base)
            } else {
                seq += 1
                m.incrs.append(AOFManifestEntry(name: name, seq: seq, type: .incr))
            }
        }
        tmp.write("appendonlydir/appendonly.aof.manifest", m.serialized())
        return AOFDirectory(dir: tmp.path, dirname: "appendonlydir", filename: "appendonly.aof")
    }

    func loadError(_ d: AOFDirectory, truncated: Bool = true) -> String? {
        do {
            _ = try loadAll(d, truncated: truncated)
            return nil
        } catch {
            return "\(error)"
        }
    }

    @Test func replaysBaseThenIncrs() throws {
        let tmp = TempDir()
        let d = makeDir(tmp, [("appendonly.aof.1.base.aof", resp("SELECT", "0") + resp("SET", "a", "1")),
                              ("appendonly.aof.1.incr.aof", Array("#TS:1700000000\r\n".utf8) + resp("SET", "b", "2")),
                              ("appendonly.aof.2.incr.aof", []),
                              ("appendonly.aof.3.incr.aof", resp("DEL", "a") + Array("#TS:17".utf8))])
        let r = try loadAll(d)
        #expect(r.commands == ["SELECT 0", "SET a 1", "SET b 2", "DEL a"])
        #expect(r.summary.commands == 4)
        #expect(r.summary.files == 3)
        #expect(r.summary.truncatedAt == nil)
        #expect(r.logs.contains { $0.hasPrefix("DB loaded from base file appendonly.aof.1.base.aof: ") && $0.hasSuffix(" seconds") })
        #expect(r.logs.contains { $0.hasPrefix("DB loaded from incr file appendonly.aof.3.incr.aof: ") })
    }

    @Test func truncatedTailIsCutWhenAllowed() throws {
        let tmp = TempDir()
        let good = resp("SET", "a", "1") + resp("SET", "b", "2")
        let d = makeDir(tmp, [("appendonly.aof.1.incr.aof", good + Array("*3\r\n$3\r\nSET\r\n$1\r\nc\r\n$1".utf8))])
        let r = try loadAll(d)
        #expect(r.commands == ["SET a 1", "SET b 2"])
        #expect(r.summary.truncatedAt == good.count)
        #expect(tmp.read("appendonlydir/appendonly.aof.1.incr.aof") == good)
        #expect(r.logs.contains("!!! Warning: short read while loading the AOF file appendonly.aof.1.incr.aof!!!"))
        #expect(r.logs.contains("!!! Truncating the AOF appendonly.aof.1.incr.aof at offset \(good.count) !!!"))
        #expect(r.logs.contains("AOF appendonly.aof.1.incr.aof loaded anyway because aof-load-truncated is enabled"))
        // Loads cleanly now.
        #expect(try loadAll(d).summary.truncatedAt == nil)
    }

    @Test func truncatedTailIsAnErrorOtherwise() throws {
        let tmp = TempDir()
        let bytes = resp("SET", "a", "1") + Array("*2\r\n$3\r\nDEL\r\n$1\r\n".utf8)
        let d = makeDir(tmp, [("appendonly.aof.1.incr.aof", bytes)])
        #expect(loadError(d, truncated: false) == "Unexpected end of file reading the append only file appendonly.aof.1.incr.aof. You can: 1) Make a backup of your AOF file, then use ./redis-check-aof --fix <filename.manifest>. 2) Alternatively you can set the 'aof-load-truncated' configuration option to yes and restart the server.")
        #expect(tmp.read("appendonlydir/appendonly.aof.1.incr.aof") == bytes)  // untouched
    }

    @Test func truncationOnlyRepairsTheLastFile() throws {
        let tmp = TempDir()
        let d = makeDir(tmp, [("appendonly.aof.1.incr.aof", resp("SET", "a", "1") + Array("*1\r\n".utf8)),
                              ("appendonly.aof.2.incr.aof", resp("SET", "b", "1"))])
        #expect(loadError(d) == "Fatal error: the truncated file is not the last file")
    }

    @Test func badFormatText() throws {
        let tmp = TempDir()
        let d = makeDir(tmp, [("appendonly.aof.1.incr.aof", resp("SET", "a", "1") + Array("SET b 2\r\n".utf8))])
        #expect(loadError(d) == "Bad file format reading the append only file appendonly.aof.1.incr.aof: make a backup of your AOF file, then use ./redis-check-aof --fix <filename.manifest>")
    }

    @Test func hostileLengthsFailCleanly() throws {
        let bad = "Bad file format"
        let short = "Unexpected end of file"
        let cases: [(String, String)] = [
            ("*999999999999\r\n$1\r\na\r\n", bad),
            ("*99999999999999999999999\r\n", bad),
            ("*-1\r\n", bad),
            ("*0\r\n", bad),
            ("*\r\n", bad),
            ("*2\r\n$-5\r\nhello\r\n", bad),
            ("*1\r\n$abc\r\n", bad),
            ("*1\r\n$3\nfoo\r\n", bad),
            ("*1\r\n$3\r\nfooXY", bad),
            ("*1\r\n$999999999\r\nfoo\r\n", bad),
            ("*1\r\n:3\r\n", bad),
            ("*1\r\n$1000000\r\nabc\r\n", short),
            ("*2147483647\r\n$1\r\na\r\n", short),
            ("*", short),
            ("*1\r\n$3\r\nfoo", short),
            ("*1\r\n$3\r\nfoo\r", short),
        ]
        for (text, expected) in cases {
            let tmp = TempDir()
            let d = makeDir(tmp, [("appendonly.aof.1.incr.aof", Array(text.utf8))])
            let error = loadError(d, truncated: false)
            #expect(error?.hasPrefix(expected) == true, "\(text.debugDescription): \(error ?? "no error")")
        }
    }

    @Test func incompleteTransactionIsReverted() throws {
        let tmp = TempDir()
        let head = resp("MULTI") + resp("SET", "a", "1") + resp("INCR", "a") + resp("exec") + resp("SET", "b", "2")
        let d = makeDir(tmp, [("appendonly.aof.1.incr.aof", head + resp("MULTI") + resp("SET", "c", "3"))])
        let r = try loadAll(d)
        #expect(r.commands == ["SET a 1", "INCR a", "SET b 2"])
        #expect(r.summary.commands == 3)
        #expect(r.logs.contains("Revert incomplete MULTI/EXEC transaction in AOF file appendonly.aof.1.incr.aof"))
        #expect(r.summary.truncatedAt == head.count)
        #expect(tmp.read("appendonlydir/appendonly.aof.1.incr.aof") == head)
    }

    @Test func largeValuesAndManyCommandsAcrossBuffers() throws {
        let tmp = TempDir()
        var bytes: [UInt8] = []
        let big = [UInt8]((0..<3_000_000).map { UInt8(truncatingIfNeeded: $0 &* 7) })
        for i in 0..<50_000 { bytes += resp("SET", "key:\(i)", String(repeating: "v", count: i % 50)) }
        bytes += resp([Array("SET".utf8), Array("big".utf8), big])
        for i in 0..<1000 { bytes += resp("INCR", "n\(i)") }
        let d = makeDir(tmp, [("appendonly.aof.1.incr.aof", bytes)])
        var count = 0
        var sawBig = false
        _ = try AOFLoader(directory: d, loadTruncated: false).load(rdb: { _ in }, command: { args in
            if args[1] == Array("big".utf8) { sawBig = args[2] == big }
            if count < 50_000 { #expect(args[1] == Array("key:\(count)".utf8)) }
            count += 1
        }, log: { _ in })
        #expect(count == 51_001)
        #expect(sawBig)
    }

    @Test func missingFileIsFatal() throws {
        let tmp = TempDir()
        let d = makeDir(tmp, [("appendonly.aof.1.incr.aof", resp("PING"))])
        unlink("\(tmp.path)/appendonlydir/appendonly.aof.1.incr.aof")
        #expect(loadError(d) == "Unable to obtain the AOF file appendonly.aof.1.incr.aof length. stat: No such file or directory")
    }

    /// An RDB preamble as our RDBFileWriter writes it.
    func preamble(keys: [String: String], db: Int = 0) throws -> [UInt8] {
        var out: [UInt8] = []
        let w = RDBFileWriter { out.append(contentsOf: $0) }
        try w.writeHeader(ctime: 1_700_000_000, usedMemory: 1000, aofBase: true)
        try w.selectDatabase(db, keys: keys.count, expires: 0)
        for (k, v) in keys.sorted(by: { $0.key < $1.key }) { try w.writeKey(Array(k.utf8), value: .string(Array(v.utf8))) }
        try w.finish()
        return out
    }

    @Test func rdbPreambleBase() throws {
        let tmp = TempDir()
        let keys = Dictionary(uniqueKeysWithValues: (0..<20_000).map { ("key\($0)", String(repeating: "x", count: $0 % 300)) })
        let rdb = try preamble(keys: keys)
        let d = makeDir(tmp, [("appendonly.aof.1.base.rdb", rdb), ("appendonly.aof.1.incr.aof", resp("SET", "after", "1"))])
        let r = try loadAll(d)
        #expect(r.keys.count == keys.count)
        #expect(r.commands == ["SET after 1"])
        #expect(r.logs.first == "Reading RDB base file on AOF loading...")

        // The fast form: the reader's summary says where the RDB ended and how many keys it had.
        var commands = 0
        let summary = try AOFLoader(directory: d, loadTruncated: false).load(rdbReader: { reader in
            try reader.read { _ in }
        }, rawCommand: { args in
            #expect(args.count == 3)
            commands += 1
        }, log: { _ in })
        #expect(summary.rdbPreambleKeys == keys.count)
        #expect(commands == 1)
    }

    @Test func commandsAfterThePreambleInABase() throws {
        // Redis allows them (an old-style preamble AOF); rdbchecksum yes and no.
        for checksum in [true, false] {
            let tmp = TempDir()
            var rdb: [UInt8] = []
            let w = RDBFileWriter(checksum: checksum) { rdb.append(contentsOf: $0) }
            try w.writeHeader(ctime: 1, usedMemory: 1, aofBase: true)
            try w.selectDatabase(0, keys: 1, expires: 0)
            // A value holding 0xFF bytes, to tempt a naive end search.
            try w.writeKey(Array("k".utf8), value: .string([0xFF, 0, 0, 0, 0, 0, 0, 0, 0, 0xFF] + [UInt8](repeating: 0xFF, count: 300_000)))
            try w.finish()
            let d = makeDir(tmp, [("appendonly.aof.1.base.rdb", rdb + resp("SET", "tail", "1") + resp("SET", "tail", "2"))])
            let r = try loadAll(d)
            #expect(r.keys == ["k"])
            #expect(r.commands == ["SET tail 1", "SET tail 2"], "checksum \(checksum)")
        }
    }

    @Test func legacySingleFileIsUpgraded() throws {
        let tmp = TempDir()
        let rdb = try preamble(keys: ["old": "1"])
        tmp.write("appendonly.aof", rdb + resp("SELECT", "0") + resp("SET", "new", "2"))
        let d = AOFDirectory(dir: tmp.path, dirname: "appendonlydir", filename: "appendonly.aof")
        #expect(d.exists())
        var dirLogs: [String] = []
        d.log = { dirLogs.append($0) }
        let r = try loadAll(d)
        #expect(r.keys == ["old"])
        #expect(r.commands == ["SELECT 0", "SET new 2"])
        #expect(r.logs.prefix(2) == ["Reading RDB preamble from AOF file...", "Reading the remaining AOF tail..."])
        #expect(dirLogs == ["Successfully migrated an old-style AOF file (appendonly.aof) into the AOF directory (appendonlydir)."])
        #expect(!tmp.exists("appendonly.aof"))
        #expect(tmp.list("appendonlydir") == ["appendonly.aof", "appendonly.aof.manifest"])
        #expect(String(decoding: tmp.read("appendonlydir/appendonly.aof.manifest"), as: UTF8.self) == "file appendonly.aof seq 1 type b\n")

        // Opening for append adds the first INCR next to it.
        let fd = try d.openForAppend()
        defer { close(fd) }
        #expect(String(decoding: tmp.read("appendonlydir/appendonly.aof.manifest"), as: UTF8.self)
                == "file appendonly.aof seq 1 type b\nfile appendonly.aof.1.incr.aof seq 1 type i\n")
    }

    @Test func loadsDirectoriesWrittenByRedis() throws {
        let tmp = TempDir()
        tmp.copyFixture("redis-preamble")
        let r = try loadAll(AOFDirectory(dir: tmp.path, dirname: "appendonlydir", filename: "appendonly.aof"))
        #expect(r.keys.sorted() == ["a", "l"])
        #expect(r.commands.count == 6)
        #expect(Array(r.commands.prefix(5)) == ["SELECT 0", "set c d", "SELECT 3", "set k v with space", "SELECT 0"])
        #expect(r.commands.last?.hasPrefix("PEXPIREAT a ") == true)
        #expect(r.summary.files == 2)

        let tmp2 = TempDir()
        tmp2.copyFixture("redis-plain-ts")
        let r2 = try loadAll(AOFDirectory(dir: tmp2.path, dirname: "appendonlydir", filename: "my file.aof"))
        #expect(r2.keys.isEmpty)
        #expect(r2.commands == ["SELECT 0", "HMSET h f v g w", "SET a b", "SELECT 0", "set c d"])
    }

    @Test func nothingToLoad() throws {
        let tmp = TempDir()
        let d = AOFDirectory(dir: tmp.path, dirname: "appendonlydir", filename: "appendonly.aof")
        #expect(!d.exists())
        let r = try loadAll(d)
        #expect(r.summary.files == 0 && r.commands.isEmpty)
    }
}
