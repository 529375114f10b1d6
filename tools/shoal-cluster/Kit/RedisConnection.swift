#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

public struct ConnectionError: Error, CustomStringConvertible, Sendable {
    public var description: String
    public init(_ description: String) { self.description = description }
}

/// Credentials sent after connecting (`AUTH pw` or `AUTH user pw`) and passed on to MIGRATE.
public struct Credentials: Sendable, Equatable {
    public var user: String?
    public var password: String
    public init(user: String?, password: String) {
        self.user = user
        self.password = password
    }
}

/// A blocking RESP2 client over one TCP socket. Commands are buffered by `append` and sent by
/// `flush`, so a caller pipelines by appending many commands and then reading as many replies.
public final class RedisConnection {
    public let host: String
    public let port: Int
    private var fd: Int32 = -1
    private var rbuf: [UInt8] = []
    private var rpos = 0
    private var wbuf: [UInt8] = []
    private let scratch = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 16, alignment: 8)
    /// Replies owed for commands already flushed or buffered.
    public private(set) var pending = 0

    /// Connects (with `connectTimeoutMs`), sets TCP_NODELAY and a receive timeout of
    /// `readTimeoutMs` (0: none), then authenticates when `credentials` is set.
    public init(host: String, port: Int, connectTimeoutMs: Int = 5_000, readTimeoutMs: Int = 0,
                credentials: Credentials? = nil) throws {
        self.host = host
        self.port = port
        rbuf.reserveCapacity(1 << 16)
        try connect(connectTimeoutMs: connectTimeoutMs, readTimeoutMs: readTimeoutMs)
        if let c = credentials {
            var args = ["AUTH"]
            if let u = c.user { args.append(u) }
            args.append(c.password)
            let r = try call(args)
            if let e = r.errorMessage { throw ConnectionError("\(host):\(port): AUTH failed: \(e)") }
        }
    }

    deinit {
        close()
        scratch.deallocate()
    }

    public func close() {
        if fd >= 0 {
            _ = Glibc.close(fd)
            fd = -1
        }
    }

    public var isOpen: Bool { fd >= 0 }

    private func connect(connectTimeoutMs: Int, readTimeoutMs: Int) throws {
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var res: UnsafeMutablePointer<addrinfo>?
        let rc = getaddrinfo(host, String(port), &hints, &res)
        guard rc == 0, let first = res else {
            throw ConnectionError("Could not connect to \(host):\(port): \(String(cString: gai_strerror(rc)))")
        }
        defer { freeaddrinfo(first) }
        var lastError = "no address"
        var ai: UnsafeMutablePointer<addrinfo>? = first
        while let a = ai {
            ai = a.pointee.ai_next
            let s = socket(a.pointee.ai_family, a.pointee.ai_socktype, a.pointee.ai_protocol)
            if s < 0 { lastError = String(cString: strerror(errno)); continue }
            let flags = fcntl(s, F_GETFL, 0)
            _ = fcntl(s, F_SETFL, flags | O_NONBLOCK)
            var ok = Glibc.connect(s, a.pointee.ai_addr, a.pointee.ai_addrlen) == 0
            if !ok && errno == EINPROGRESS {
                var p = pollfd(fd: s, events: Int16(POLLOUT), revents: 0)
                let n = poll(&p, 1, Int32(connectTimeoutMs))
                if n == 1 {
                    var err: Int32 = 0
                    var len = socklen_t(MemoryLayout<Int32>.size)
                    getsockopt(s, SOL_SOCKET, SO_ERROR, &err, &len)
                    ok = err == 0
                    if !ok { lastError = String(cString: strerror(err)) }
                } else {
                    lastError = n == 0 ? "connection timed out" : String(cString: strerror(errno))
                }
            } else if !ok {
                lastError = String(cString: strerror(errno))
            }
            if !ok { _ = Glibc.close(s); continue }
            _ = fcntl(s, F_SETFL, flags)
            var one: Int32 = 1
            setsockopt(s, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
            if readTimeoutMs > 0 {
                var tv = timeval(tv_sec: readTimeoutMs / 1000, tv_usec: (readTimeoutMs % 1000) * 1000)
                setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
            }
            fd = s
            return
        }
        throw ConnectionError("Could not connect to \(host):\(port): \(lastError)")
    }

    // MARK: - Writing

    /// Buffers one command (a RESP array of bulk strings).
    public func append(_ args: [[UInt8]]) {
        wbuf.append(UInt8(ascii: "*"))
        appendDecimal(args.count)
        for a in args {
            wbuf.append(UInt8(ascii: "$"))
            appendDecimal(a.count)
            wbuf.append(contentsOf: a)
            wbuf.append(13)
            wbuf.append(10)
        }
        pending += 1
    }

    public func append(_ args: [String]) {
        append(args.map { Array($0.utf8) })
    }

    private func appendDecimal(_ n: Int) {
        if n < 10 {
            wbuf.append(UInt8(48 + n))
        } else {
            wbuf.append(contentsOf: Array(String(n).utf8))
        }
        wbuf.append(13)
        wbuf.append(10)
    }

    /// Writes every buffered command.
    public func flush() throws {
        guard fd >= 0 else { throw ConnectionError("\(host):\(port): connection closed") }
        var off = 0
        let total = wbuf.count
        while off < total {
            let n = wbuf.withUnsafeBytes { raw in
                Glibc.send(fd, raw.baseAddress! + off, total - off, Int32(MSG_NOSIGNAL))
            }
            if n < 0 {
                if errno == EINTR { continue }
                let e = String(cString: strerror(errno))
                close()
                throw ConnectionError("\(host):\(port): write failed: \(e)")
            }
            off += n
        }
        wbuf.removeAll(keepingCapacity: true)
    }

    // MARK: - Calls

    public func call(_ args: [String]) throws -> Reply {
        append(args)
        try flush()
        return try readReply()
    }

    public func call(_ args: String...) throws -> Reply { try call(args) }

    public func callBytes(_ args: [[UInt8]]) throws -> Reply {
        append(args)
        try flush()
        return try readReply()
    }

    /// Sends every command in one write, then reads one reply per command.
    public func pipeline(_ commands: [[String]]) throws -> [Reply] {
        for c in commands { append(c) }
        return try drain(commands.count)
    }

    public func pipelineBytes(_ commands: [[[UInt8]]]) throws -> [Reply] {
        for c in commands { append(c) }
        return try drain(commands.count)
    }

    /// Flushes and reads `n` replies.
    public func drain(_ n: Int) throws -> [Reply] {
        try flush()
        var out: [Reply] = []
        out.reserveCapacity(n)
        for _ in 0..<n { out.append(try readReply()) }
        return out
    }

    // MARK: - Reading

    public func readReply() throws -> Reply {
        while true {
            var p = rpos
            if let r = try parse(&p, depth: 0) {
                rpos = p
                pending -= 1
                if rpos == rbuf.count {
                    rbuf.removeAll(keepingCapacity: true)
                    rpos = 0
                }
                return r
            }
            try fill()
        }
    }

    private func fill() throws {
        guard fd >= 0 else { throw ConnectionError("\(host):\(port): connection closed") }
        if rpos > 0 && rpos >= rbuf.count / 2 {
            rbuf.removeFirst(rpos)
            rpos = 0
        }
        var n = 0
        while true {
            n = Glibc.recv(fd, scratch.baseAddress!, scratch.count, 0)
            if n < 0 && errno == EINTR { continue }
            break
        }
        if n <= 0 {
            let why = n == 0 ? "connection closed by peer"
                : (errno == EAGAIN || errno == EWOULDBLOCK) ? "read timed out" : String(cString: strerror(errno))
            close()
            throw ConnectionError("\(host):\(port): \(why)")
        }
        rbuf.append(contentsOf: UnsafeRawBufferPointer(start: scratch.baseAddress!, count: n))
    }

    /// The line starting at `p` (without CRLF), advancing `p` past it; nil when incomplete.
    private func line(_ p: inout Int) -> ArraySlice<UInt8>? {
        var i = p
        let end = rbuf.count
        while i + 1 < end {
            if rbuf[i] == 13 && rbuf[i + 1] == 10 {
                let s = rbuf[p..<i]
                p = i + 2
                return s
            }
            i += 1
        }
        return nil
    }

    private func number(_ s: ArraySlice<UInt8>) throws -> Int64 {
        var v: Int64 = 0
        var neg = false
        var first = true
        for c in s {
            if first && c == UInt8(ascii: "-") { neg = true; first = false; continue }
            first = false
            guard c >= 48 && c <= 57 else { throw ConnectionError("\(host):\(port): protocol error (bad number)") }
            v = v &* 10 &+ Int64(c - 48)
        }
        return neg ? -v : v
    }

    private func parse(_ p: inout Int, depth: Int) throws -> Reply? {
        guard p < rbuf.count else { return nil }
        guard depth < 64 else { throw ConnectionError("\(host):\(port): protocol error (nesting)") }
        let t = rbuf[p]
        var q = p + 1
        guard let l = line(&q) else { return nil }
        let text = { String(decoding: l, as: UTF8.self) }
        switch t {
        case UInt8(ascii: "+"):
            p = q
            return .status(text())
        case UInt8(ascii: "-"):
            p = q
            return .error(text())
        case UInt8(ascii: ":"):
            p = q
            return .integer(try number(l))
        case UInt8(ascii: "$"), UInt8(ascii: "="), UInt8(ascii: "!"):
            let n = Int(try number(l))
            if n < 0 { p = q; return .bulk(nil) }
            guard q + n + 2 <= rbuf.count else { return nil }
            var b = Array(rbuf[q..<(q + n)])
            p = q + n + 2
            if t == UInt8(ascii: "!") { return .error(String(decoding: b, as: UTF8.self)) }
            if t == UInt8(ascii: "=") && b.count >= 4 { b.removeFirst(4) }
            return .bulk(b)
        case UInt8(ascii: "*"), UInt8(ascii: "~"), UInt8(ascii: ">"):
            let n = Int(try number(l))
            if n < 0 { p = q; return .array(nil) }
            var items: [Reply] = []
            items.reserveCapacity(n)
            for _ in 0..<n {
                guard let r = try parse(&q, depth: depth + 1) else { return nil }
                items.append(r)
            }
            p = q
            return .array(items)
        case UInt8(ascii: "%"), UInt8(ascii: "|"):
            let n = Int(try number(l))
            var pairs: [Reply.Pair] = []
            for _ in 0..<max(n, 0) {
                guard let k = try parse(&q, depth: depth + 1) else { return nil }
                guard let v = try parse(&q, depth: depth + 1) else { return nil }
                pairs.append(Reply.Pair(k, v))
            }
            if t == UInt8(ascii: "|") {
                // attributes precede the real reply: skip them
                guard let r = try parse(&q, depth: depth + 1) else { return nil }
                p = q
                return r
            }
            p = q
            return .map(pairs)
        case UInt8(ascii: "_"):
            p = q
            return .null
        case UInt8(ascii: ","):
            p = q
            return .double(Double(text()) ?? .nan)
        case UInt8(ascii: "#"):
            p = q
            return .boolean(text() == "t")
        case UInt8(ascii: "("):
            p = q
            return .bulk(Array(l))
        default:
            throw ConnectionError("\(host):\(port): protocol error (unexpected byte \(t))")
        }
    }
}
