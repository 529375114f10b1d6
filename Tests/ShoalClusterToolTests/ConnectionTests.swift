import Foundation
import Testing
@testable import ShoalClusterKit

#if canImport(Glibc)
import Glibc
#endif

/// The blocking RESP client against a scripted server on 127.0.0.1: command encoding, replies split
/// across writes, RESP2 and RESP3 types, pipelining.
@Suite struct ConnectionTests {
    /// Listens on an ephemeral port; the server thread reads `expectBytes` bytes, then writes
    /// `chunks` with a pause between them, then closes. Returns the port and a box with what it read.
    func scriptedServer(expectBytes: Int, chunks: [String]) throws -> (Int, Received) {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        addr.sin_port = 0
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, len) } }
        listen(fd, 1)
        _ = withUnsafeMutablePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &len) }
        }
        let port = Int(UInt16(bigEndian: addr.sin_port))
        let received = Received()
        Thread.detachNewThread {
            let c = accept(fd, nil, nil)
            var got: [UInt8] = []
            var buf = [UInt8](repeating: 0, count: 4096)
            while got.count < expectBytes {
                let n = recv(c, &buf, buf.count, 0)
                if n <= 0 { break }
                got += buf[0..<n]
            }
            received.set(got)
            for chunk in chunks {
                _ = chunk.withCString { send(c, $0, strlen($0), 0) }
                usleep(2_000)
            }
            close(c)
            close(fd)
        }
        return (port, received)
    }

    final class Received: @unchecked Sendable {
        private let lock = NSLock()
        private var bytes: [UInt8] = []
        func set(_ b: [UInt8]) { lock.lock(); bytes = b; lock.unlock() }
        var text: String { lock.lock(); defer { lock.unlock() }; return String(decoding: bytes, as: UTF8.self) }
    }

    @Test func pipelineWithSplitReplies() throws {
        let expected = "*1\r\n$4\r\nPING\r\n*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$0\r\n\r\n*2\r\n$3\r\nGET\r\n$1\r\nk\r\n"
        let (port, received) = try scriptedServer(expectBytes: expected.utf8.count, chunks: [
            "+PO", "NG\r\n$5\r\nhel", "lo\r\n*4\r\n:1\r\n$-1\r\n*2\r\n+a\r\n-ERR x\r\n", "*-1\r\n",
        ])
        let c = try RedisConnection(host: "127.0.0.1", port: port, readTimeoutMs: 5_000)
        let replies = try c.pipeline([["PING"], ["SET", "k", ""], ["GET", "k"]])
        #expect(replies[0] == .status("PONG"))
        #expect(replies[1] == .bulk(Array("hello".utf8)))
        #expect(replies[2] == .array([.integer(1), .bulk(nil), .array([.status("a"), .error("ERR x")]), .array(nil)]))
        #expect(received.text == expected)
        #expect(c.pending == 0)
        // the server closed the connection: the next read fails cleanly
        #expect(throws: ConnectionError.self) { _ = try c.call("PING") }
    }

    @Test func resp3Types() throws {
        let (port, _) = try scriptedServer(expectBytes: 14, chunks: [
            "%2\r\n+state\r\n$7\r\nrunning\r\n+keys_moved\r\n:12\r\n",
        ])
        let c = try RedisConnection(host: "127.0.0.1", port: port, readTimeoutMs: 5_000)
        let r = try c.call("PING")
        #expect(r.fields?["state"]?.string == "running")
        #expect(r.fields?["keys_moved"]?.int == 12)
    }

    @Test func connectionRefused() {
        // port 1 on loopback: nothing listens there
        #expect(throws: ConnectionError.self) { _ = try RedisConnection(host: "127.0.0.1", port: 1) }
    }
}
