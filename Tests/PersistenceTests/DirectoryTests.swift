import Foundation
import RDB
import Testing
@testable import Persistence

@Suite struct DirectoryTests {
    func manifestText(_ tmp: TempDir) -> String {
        String(decoding: tmp.read("appendonlydir/appendonly.aof.manifest"), as: UTF8.self)
    }

    func writeAll(_ fd: Int32, _ bytes: [UInt8]) {
        _ = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
    }

    /// Writes a base as the rewrite would, at the directory's temp path.
    func writeTempBase(_ d: AOFDirectory, _ bytes: [UInt8]) {
        let fd = open(d.rewriteTempPath(), O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        writeAll(fd, bytes)
        fsync(fd)
        close(fd)
    }

    @Test func openForAppendCreatesTheFirstIncr() throws {
        let tmp = TempDir()
        let d = AOFDirectory(dir: tmp.path, dirname: "appendonlydir", filename: "appendonly.aof")
        var logs: [String] = []
        d.log = { logs.append($0) }
        let fd = try d.openForAppend()
        writeAll(fd, resp("SET", "a", "1"))
        close(fd)
        #expect(manifestText(tmp) == "file appendonly.aof.1.incr.aof seq 1 type i\n")
        #expect(logs == ["Creating AOF incr file appendonly.aof.1.incr.aof on server start"])
        #expect(d.exists())
        #expect(d.manifestPath == "\(tmp.path)/appendonlydir/appendonly.aof.manifest")

        // A restart appends to the same file.
        let again = AOFDirectory(dir: tmp.path, dirname: "appendonlydir", filename: "appendonly.aof")
        again.log = { logs.append($0) }
        let fd2 = try again.openForAppend()
        writeAll(fd2, resp("SET", "b", "2"))
        close(fd2)
        #expect(logs.last == "Opening AOF incr file appendonly.aof.1.incr.aof on server start")
        #expect(tmp.read("appendonlydir/appendonly.aof.1.incr.aof") == resp("SET", "a", "1") + resp("SET", "b", "2"))
        #expect(again.totalSize() == (resp("SET", "a", "1") + resp("SET", "b", "2")).count)
        #expect(again.baseSize() == 0)
    }

    @Test func rewriteRotatesAndRetiresFiles() throws {
        let tmp = TempDir()
        let d = AOFDirectory(dir: tmp.path, dirname: "appendonlydir", filename: "appendonly.aof")
        let fd1 = try d.openForAppend()
        writeAll(fd1, resp("SET", "a", "1"))

        let fd2 = try d.beginRewrite()
        #expect(manifestText(tmp) == "file appendonly.aof.1.incr.aof seq 1 type i\nfile appendonly.aof.2.incr.aof seq 2 type i\n")
        close(fd1)
        writeAll(fd2, resp("SET", "b", "2"))
        // A crash here loads both INCRs.
        #expect(try loadAll(AOFDirectory(dir: tmp.path, dirname: "appendonlydir", filename: "appendonly.aof")).commands
                == ["SET a 1", "SET b 2"])

        writeTempBase(d, resp("SET", "a", "1"))
        try d.finishRewrite(preamble: false)
        #expect(manifestText(tmp) == "file appendonly.aof.1.base.aof seq 1 type b\nfile appendonly.aof.2.incr.aof seq 2 type i\n")
        #expect(tmp.list("appendonlydir") == ["appendonly.aof.1.base.aof", "appendonly.aof.2.incr.aof", "appendonly.aof.manifest"])
        #expect(d.baseSize() == resp("SET", "a", "1").count)
        #expect(d.totalSize() == d.baseSize() + resp("SET", "b", "2").count)

        // A failed rewrite leaves its INCR listed; the next one retires both.
        let fd3 = try d.beginRewrite()
        close(fd2)
        writeTempBase(d, [])
        d.abortRewrite()
        #expect(!FileManager.default.fileExists(atPath: d.rewriteTempPath()))
        let fd4 = try d.beginRewrite()
        close(fd3)
        #expect(d.manifest.incrs.map(\.seq) == [2, 3, 4])
        var rdb: [UInt8] = []
        let w = RDBFileWriter { rdb.append(contentsOf: $0) }
        try w.writeHeader(ctime: 1, usedMemory: 1, aofBase: true)
        try w.finish()
        writeTempBase(d, rdb)
        try d.finishRewrite(preamble: true)
        close(fd4)
        #expect(manifestText(tmp) == "file appendonly.aof.2.base.rdb seq 2 type b\nfile appendonly.aof.4.incr.aof seq 4 type i\n")
        #expect(tmp.list("appendonlydir") == ["appendonly.aof.2.base.rdb", "appendonly.aof.4.incr.aof", "appendonly.aof.manifest"])
    }

    @Test func historyCanBeKept() throws {
        let tmp = TempDir()
        let d = AOFDirectory(dir: tmp.path, dirname: "appendonlydir", filename: "appendonly.aof")
        close(try d.openForAppend())
        for _ in 0..<2 {
            close(try d.beginRewrite())
            writeTempBase(d, resp("PING"))
            try d.finishRewrite(preamble: false, keepHistory: true)
        }
        // Redis's order (compare Fixtures/history.manifest): base, history newest first, incrs.
        #expect(manifestText(tmp) == """
            file appendonly.aof.2.base.aof seq 2 type b
            file appendonly.aof.2.incr.aof seq 2 type h
            file appendonly.aof.1.base.aof seq 1 type h
            file appendonly.aof.1.incr.aof seq 1 type h
            file appendonly.aof.3.incr.aof seq 3 type i

            """)
        #expect(tmp.list("appendonlydir").count == 6)
        d.deleteHistory()
        #expect(tmp.list("appendonlydir") == ["appendonly.aof.2.base.aof", "appendonly.aof.3.incr.aof", "appendonly.aof.manifest"])
    }

    @Test func enablingRewriteKeepsStaleFilesOutUntilDone() throws {
        let tmp = TempDir()
        let d = AOFDirectory(dir: tmp.path, dirname: "appendonlydir", filename: "appendonly.aof")
        close(try d.openForAppend())
        let before = manifestText(tmp)
        let fd = try d.beginRewrite(enablingAOF: true)
        writeAll(fd, resp("SET", "live", "1"))
        #expect(manifestText(tmp) == before)
        writeTempBase(d, resp("SET", "snap", "1"))
        try d.finishRewrite(preamble: false)
        close(fd)
        #expect(manifestText(tmp) == "file appendonly.aof.1.base.aof seq 1 type b\nfile appendonly.aof.2.incr.aof seq 2 type i\n")
        #expect(try loadAll(AOFDirectory(dir: tmp.path, dirname: "appendonlydir", filename: "appendonly.aof")).commands
                == ["SET snap 1", "SET live 1"])
        #expect(tmp.list("appendonlydir") == ["appendonly.aof.1.base.aof", "appendonly.aof.2.incr.aof", "appendonly.aof.manifest"])
    }

    @Test func failedEnablingRewriteIsRetriedAsEnabling() throws {
        let tmp = TempDir()
        let d = AOFDirectory(dir: tmp.path, dirname: "appendonlydir", filename: "appendonly.aof")
        close(try d.openForAppend())
        let stale = manifestText(tmp)
        close(try d.beginRewrite(enablingAOF: true))
        d.abortRewrite()
        #expect(!tmp.exists("appendonlydir/temp-appendonly.aof.incr"))
        let fd = try d.beginRewrite()  // the caller now thinks the AOF is on
        #expect(manifestText(tmp) == stale)
        writeAll(fd, resp("SET", "x", "1"))
        close(fd)
        writeTempBase(d, [])
        try d.finishRewrite(preamble: false)
        #expect(manifestText(tmp) == "file appendonly.aof.1.base.aof seq 1 type b\nfile appendonly.aof.2.incr.aof seq 2 type i\n")
    }

    @Test func halfDoneUpgradeIsRedone() throws {
        // Redis's third upgrade case: the manifest was written, the move did not happen.
        let tmp = TempDir()
        mkdir("\(tmp.path)/appendonlydir", 0o755)
        tmp.write("appendonlydir/appendonly.aof.manifest", "file appendonly.aof seq 1 type b\n")
        tmp.write("appendonly.aof", resp("SET", "x", "1"))
        let d = AOFDirectory(dir: tmp.path, dirname: "appendonlydir", filename: "appendonly.aof")
        #expect(try loadAll(d).commands == ["SET x 1"])
        #expect(tmp.exists("appendonlydir/appendonly.aof"))
    }

    @Test func rewriteOfARedisDirectory() throws {
        let tmp = TempDir()
        tmp.copyFixture("redis-preamble")
        let d = AOFDirectory(dir: tmp.path, dirname: "appendonlydir", filename: "appendonly.aof")
        let fd = try d.openForAppend()
        close(fd)
        close(try d.beginRewrite())
        #expect(d.manifest.incrs.map(\.name) == ["appendonly.aof.2.incr.aof", "appendonly.aof.3.incr.aof"])
        writeTempBase(d, resp("SET", "z", "1"))
        try d.finishRewrite(preamble: false)
        #expect(manifestText(tmp) == "file appendonly.aof.3.base.aof seq 3 type b\nfile appendonly.aof.3.incr.aof seq 3 type i\n")
    }
}
