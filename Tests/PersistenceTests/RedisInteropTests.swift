import Foundation
import RDB
import Testing
@testable import Persistence

/// A directory Shoal wrote (INCR, rewrite with an RDB preamble base, rotation) is one redis-server
/// 7.0 loads, and what redis-server appends to it afterwards Shoal loads back.
@Suite struct RedisInteropTests {
    static let redisServer = "/usr/bin/redis-server"
    static let redisCLI = "/usr/bin/redis-cli"

    func run(_ tool: String, _ args: [String]) throws -> String {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: tool)
        p.arguments = args
        let out = Pipe()
        p.standardOutput = out
        p.standardError = FileHandle.nullDevice
        try p.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: redisServer)
                   && FileManager.default.isExecutableFile(atPath: redisCLI)))
    func redisLoadsWhatShoalWrote() throws {
        let tmp = TempDir()
        let d = AOFDirectory(dir: tmp.path, dirname: "appendonlydir", filename: "appendonly.aof")
        let w = AOFWriter(fileDescriptor: try d.openForAppend(), policy: .always, initialSize: 0)
        w.append(db: 5, [Array("SET".utf8), Array("gone".utf8), Array("1".utf8)])
        w.flush()

        // Rewrite: rotate, snapshot into the temp file, install it as the base.
        w.switchFile(to: try d.beginRewrite())
        w.append(db: 2, [Array("SET".utf8), Array("during".utf8), Array("rewrite".utf8)])
        w.flush()
        let fd = open(d.rewriteTempPath(), O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        let rdb = RDBFileWriter(fileDescriptor: fd)
        try rdb.writeHeader(ctime: 1_700_000_000, usedMemory: 1 << 20, aofBase: true)
        try rdb.selectDatabase(0, keys: 1, expires: 0)
        try rdb.writeKey(Array("snap".utf8), value: .list([Array("x".utf8), Array("y".utf8)]))
        try rdb.finish()
        fsync(fd)
        close(fd)
        try d.finishRewrite(preamble: true)
        w.append(db: 0, [Array("SET".utf8), Array("after".utf8), Array("v w".utf8)])
        w.stop()

        let port = String(21600 + Int(getpid()) % 300)
        let server = Process()
        server.executableURL = URL(fileURLWithPath: Self.redisServer)
        server.arguments = ["--port", port, "--dir", tmp.path, "--appendonly", "yes", "--save", "",
                            "--logfile", "\(tmp.path)/redis.log"]
        try server.run()
        defer { if server.isRunning { server.terminate(); server.waitUntilExit() } }
        var ready = false
        for _ in 0..<100 where !ready {
            ready = (try? run(Self.redisCLI, ["-p", port, "ping"])) == "PONG"
            if !ready { usleep(50_000) }
        }
        #expect(ready, "redis-server did not start: \(String(decoding: tmp.read("redis.log"), as: UTF8.self))")
        #expect(try run(Self.redisCLI, ["-p", port, "lrange", "snap", "0", "-1"]) == "x\ny")
        #expect(try run(Self.redisCLI, ["-p", port, "-n", "2", "get", "during"]) == "rewrite")
        #expect(try run(Self.redisCLI, ["-p", port, "get", "after"]) == "v w")
        #expect(try run(Self.redisCLI, ["-p", port, "-n", "5", "exists", "gone"]) == "0")
        _ = try run(Self.redisCLI, ["-p", port, "-n", "7", "set", "from", "redis"])
        _ = try run(Self.redisCLI, ["-p", port, "shutdown", "nosave"])
        server.waitUntilExit()

        let back = try loadAll(AOFDirectory(dir: tmp.path, dirname: "appendonlydir", filename: "appendonly.aof"))
        #expect(back.keys == ["snap"])
        #expect(back.commands.suffix(2) == ["SELECT 7", "set from redis"])
        #expect(back.commands.contains("SET after v w"))
    }
}
