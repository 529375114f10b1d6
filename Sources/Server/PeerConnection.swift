#if canImport(Glibc)
import Glibc
#endif
import RESP

/// A blocking RESP connection from this node to another node's client port, for MIGRATE and slot
/// migration. Used from a worker thread, never from an event loop: every call may wait up to the
/// timeout. Errors carry the text MIGRATE reports (`IOERR ...`).
final class PeerConnection {
    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    let host: String
    let port: Int
    private let fd: Int32
    private var reader = RESPValueReader()
    /// When the connection was last used (MIGRATE caches connections for a while, as Redis does).
    var lastUse: Int64 = 0

    init(host: String, port: Int, timeoutMillis: Int) throws(Failure) {
        self.host = host
        self.port = port
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var list: UnsafeMutablePointer<addrinfo>?
        guard getaddrinfo(host, String(port), &hints, &list) == 0, let first = list else {
            throw Failure(description: "IOERR error or timeout connecting to the client")
        }
        defer { freeaddrinfo(list) }
        let socketFD = socket(first.pointee.ai_family, Int32(SOCK_STREAM.rawValue), 0)
        guard socketFD >= 0 else { throw Failure(description: "IOERR error or timeout connecting to the client") }
        // Non-blocking connect bounded by the timeout, then blocking I/O with socket timeouts.
        let flags = fcntl(socketFD, F_GETFL)
        _ = fcntl(socketFD, F_SETFL, flags | O_NONBLOCK)
        var connected = connect(socketFD, first.pointee.ai_addr, first.pointee.ai_addrlen) == 0
        if !connected && errno == EINPROGRESS {
            var pfd = pollfd(fd: socketFD, events: Int16(POLLOUT), revents: 0)
            if poll(&pfd, 1, Int32(timeoutMillis)) == 1 {
                var error: Int32 = 0
                var length = socklen_t(MemoryLayout<Int32>.size)
                getsockopt(socketFD, SOL_SOCKET, SO_ERROR, &error, &length)
                connected = error == 0
            }
        }
        guard connected else {
            close(socketFD)
            throw Failure(description: "IOERR error or timeout connecting to the client")
        }
        _ = fcntl(socketFD, F_SETFL, flags)
        var one: Int32 = 1
        setsockopt(socketFD, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
        var tv = timeval(tv_sec: timeoutMillis / 1000, tv_usec: (timeoutMillis % 1000) * 1000)
        setsockopt(socketFD, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(socketFD, SOL_SOCKET, SO_SNDTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        fd = socketFD
    }

    deinit { close(fd) }

    /// Writes already-encoded commands (one or many, pipelined).
    func write(_ bytes: [UInt8]) throws(Failure) {
        var offset = 0
        while offset < bytes.count {
            let n = bytes.withUnsafeBytes { Glibc.send(fd, $0.baseAddress! + offset, $0.count - offset, Int32(MSG_NOSIGNAL)) }
            if n < 0 {
                if errno == EINTR { continue }
                throw Failure(description: "IOERR error or timeout writing to target instance")
            }
            offset += n
        }
    }

    func send(_ arguments: [[UInt8]]) throws(Failure) {
        try write(RESPValue.encodeCommand(arguments))
    }

    /// The next reply.
    func readReply() throws(Failure) -> RESPValue {
        var chunk = [UInt8](repeating: 0, count: 64 * 1024)
        while true {
            do {
                if let value = try reader.next() { return value }
            } catch {
                throw Failure(description: "IOERR target replied with a malformed reply")
            }
            let n = chunk.withUnsafeMutableBytes { Glibc.recv(fd, $0.baseAddress, $0.count, 0) }
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { throw Failure(description: "IOERR error or timeout reading to target instance") }
            reader.append(chunk[0..<n])
        }
    }

    /// Sends one command and reads its reply.
    func call(_ arguments: [[UInt8]]) throws(Failure) -> RESPValue {
        try send(arguments)
        return try readReply()
    }

    func call(_ arguments: String...) throws(Failure) -> RESPValue {
        try call(arguments.map { Array($0.utf8) })
    }
}
