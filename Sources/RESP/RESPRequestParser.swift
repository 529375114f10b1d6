#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// A resumable, zero-copy parser for client requests, with the semantics of Redis 7.0's
/// `processMultibulkBuffer` / `processInlineBuffer`.
///
/// The caller owns the bytes. `parse(_:)` looks at the unconsumed bytes of a connection's read
/// buffer and either reports one command (its arguments point into those bytes, or into the
/// parser's scratch space for inline commands), asks for more bytes, or reports a protocol error.
///
/// After `.incomplete` the parser keeps what it has learned (arguments found so far, the pending
/// bulk length, how far it searched for a line end) as *offsets*, so the next call, which must pass
/// the same prefix followed by more bytes (possibly at another address), continues where the last
/// one stopped. Nothing is allocated in proportion to a declared length; argument storage grows
/// with the arguments actually parsed.
///
/// Deliberate differences from Redis, all in inputs no client sends: a NUL byte does not hide a
/// line end (Redis searches with `strchr` and would wait forever), and a non-ASCII byte in the
/// "expected '$'" error is repaired as invalid UTF-8.
public final class RESPRequestParser {
    public struct Limits: Sendable, Equatable {
        /// `proto-max-bulk-len`.
        public var maxBulkLength: Int = 512 * 1024 * 1024
        public var maxMultibulkLength: Int = 1024 * 1024
        /// `PROTO_INLINE_MAX_SIZE`: the longest line (inline request, `*` or `$` header) that may be
        /// buffered without its terminator.
        public var maxInlineLength: Int = 64 * 1024
        public init() {}
    }

    public enum Result: Equatable, Sendable {
        /// One command is ready in `arguments` (possibly with 0 arguments: an empty line or `*0`,
        /// which the caller skips). The caller advances its buffer by `consumed`.
        case command(consumed: Int)
        /// More bytes are needed; call again with the same bytes plus more.
        case incomplete
        /// The full error text without the leading `-`; the caller replies and closes.
        case protocolError(String)
    }

    public var limits: Limits

    /// Redis 7.0 keeps clients that have not authenticated (when a password is required) to tiny
    /// frames — at most 10 arguments of at most 16 KiB — so a stranger cannot make the node buffer
    /// large requests. The connection sets this until AUTH / HELLO succeeds.
    public var unauthenticated = false {
        // The hot path does not check these limits: keep it off while they apply.
        didSet { if unauthenticated { slowStart = true } }
    }
    public static let unauthenticatedMaxArguments = 10
    public static let unauthenticatedMaxBulkLength = 16384

    /// Argument views. While a multibulk command is incomplete, entries `0..<parsedArgs` hold
    /// *offsets* (relative to the start of the caller's bytes) in `baseAddress`, not addresses.
    @usableFromInline var storage: UnsafeMutablePointer<UnsafeRawBufferPointer>
    @usableFromInline var storageCapacity: Int
    /// Number of entries of `storage` that `arguments` exposes; 0 unless the last parse produced a command.
    @usableFromInline var readyCount: Int = 0

    // Partial multibulk state (all offsets relative to the start of the caller's bytes).
    private var pendingArgs = 0    // > 0 while inside a multibulk command
    private var parsedArgs = 0     // arguments of that command found so far
    private var position = 0       // where parsing resumes
    private var bulkLength = -1    // length from a `$` header already read, -1 if none
    private var scanFrom = 0       // the current line was searched for its end up to here
    /// False only when the state above is clean (no partial command, no pending line search), the
    /// client is authenticated and argument storage is at most `retainedStorageCapacity`: then the
    /// hot path may run.
    private var slowStart = false
    #if DEBUG
    /// Bytes searched for line ends so far (debug builds only): lets tests prove that a line
    /// arriving in pieces is searched once, not once per piece.
    var bytesSearched = 0
    #endif

    // Inline arguments, unescaped.
    private var scratch: UnsafeMutablePointer<UInt8>
    private var scratchCapacity: Int

    private static let initialStorageCapacity = 16
    private static let retainedStorageCapacity = 4096
    private static let initialScratchCapacity = 256
    private static let retainedScratchCapacity = 256 * 1024

    public init(limits: Limits = Limits()) {
        self.limits = limits
        storageCapacity = RESPRequestParser.initialStorageCapacity
        storage = .allocate(capacity: storageCapacity)
        scratchCapacity = RESPRequestParser.initialScratchCapacity
        scratch = .allocate(capacity: scratchCapacity)
    }

    deinit {
        storage.deallocate()
        scratch.deallocate()
    }

    /// The arguments of the command reported by the last `.command`; valid until the next call to
    /// `parse` or `reset`, and only while the bytes passed to `parse` stay where they are.
    @inlinable
    public var arguments: ArgumentList {
        ArgumentList(base: UnsafePointer(storage), count: readyCount)
    }

    /// Forgets any partially parsed command (the connection's buffer was discarded).
    public func reset() {
        resetState()
        readyCount = 0
        slowStart = unauthenticated
        if storageCapacity > RESPRequestParser.retainedStorageCapacity { shrinkStorage() }
        if scratchCapacity > RESPRequestParser.retainedScratchCapacity {
            scratch.deallocate()
            scratchCapacity = RESPRequestParser.initialScratchCapacity
            scratch = .allocate(capacity: scratchCapacity)
        }
    }

    @inline(__always)
    private func resetState() {
        pendingArgs = 0
        parsedArgs = 0
        position = 0
        bulkLength = -1
        scanFrom = 0
    }

    // MARK: - Parsing

    public func parse(_ bytes: UnsafeRawBufferPointer) -> Result {
        let end = bytes.count
        guard !slowStart, end >= 4, let raw = bytes.baseAddress else { return parseGeneral(bytes) }
        let base = raw.assumingMemoryBound(to: UInt8.self)

        // The hot path: a complete command of 1 to 9 arguments, each with a plain `$<len>` line, and
        // no state from earlier calls. It changes no state unless it succeeds; anything else is
        // parsed again from the start by `parseGeneral`.
        let count = Int(base[1] &- 48)
        if base[0] == UInt8(ascii: "*") && UInt(bitPattern: count &- 1) < 9 && base[2] == 13 && count <= limits.maxMultibulkLength {
            // Argument storage always has room for 16 entries.
            let args = storage
            let maxBulk = limits.maxBulkLength
            var pos = 4
            var i = 0
            while end &- pos >= 4 && base[pos] == UInt8(ascii: "$") {
                let first = base[pos &+ 1] &- 48
                if first > 9 { break }
                var length = Int(first)
                var q = pos &+ 2
                if base[q] != 13 {
                    if first == 0 { break }
                    let limit = end &- pos > 19 ? pos &+ 19 : end
                    while q < limit {
                        let d = base[q] &- 48
                        if d > 9 { break }
                        length = length &* 10 &+ Int(d)
                        q &+= 1
                    }
                    if q &+ 1 >= end || base[q] != 13 { break }
                }
                let start = q &+ 2
                if length > maxBulk || end &- start &- 2 < length { break }
                args[i] = UnsafeRawBufferPointer(start: raw + start, count: length)
                i &+= 1
                pos = start &+ length &+ 2
                if i == count {
                    readyCount = count
                    return .command(consumed: pos)
                }
            }
        }
        return parseGeneral(bytes)
    }

    /// Everything but the hot path: resumed commands, headers of any form, errors, inline commands.
    @inline(never)
    private func parseGeneral(_ bytes: UnsafeRawBufferPointer) -> Result {
        defer {
            slowStart = pendingArgs != 0 || scanFrom != 0 || unauthenticated
                || storageCapacity > RESPRequestParser.retainedStorageCapacity
        }
        readyCount = 0
        let end = bytes.count
        guard end > 0, let raw = bytes.baseAddress else { return .incomplete }
        if pendingArgs != 0 { return resume(raw, end) }
        let base = raw.assumingMemoryBound(to: UInt8.self)
        if base[0] != UInt8(ascii: "*") { return parseInline(base, end) }
        if storageCapacity > RESPRequestParser.retainedStorageCapacity { shrinkStorage() }

        // `*<n>\r\n`, the common case in one pass: 1 to 18 digits, no leading zero.
        var n = -1
        var pos = 0
        if end >= 4 {
            let first = base[1] &- 48
            if first <= 9 {
                if base[2] == 13 {
                    n = Int(first)
                    pos = 4
                } else if first != 0 {
                    var value = Int(first)
                    var q = 2
                    let limit = end > 19 ? 19 : end
                    while q < limit {
                        let d = base[q] &- 48
                        if d > 9 { break }
                        value = value &* 10 &+ Int(d)
                        q &+= 1
                    }
                    if q &+ 1 < end && base[q] == 13 {
                        n = value
                        pos = q &+ 2
                    }
                }
                if n > limits.maxMultibulkLength { n = -1 }
            }
        }
        if n < 0 {
            // Negative counts, malformed or partial lines.
            switch findLineEnd(base, end, lineStart: 0) {
            case .incomplete:
                return .incomplete
            case .tooLong:
                return fail("ERR Protocol error: too big mbulk count string")
            case .line(let cr):
                guard let value = RESPRequestParser.parseDecimal(base + 1, cr &- 1) else {
                    return fail("ERR Protocol error: invalid multibulk length")
                }
                // As in Redis, an unauthenticated client hears about its own limit first.
                if unauthenticated && value > RESPRequestParser.unauthenticatedMaxArguments {
                    return fail("ERR Protocol error: unauthenticated multibulk length")
                }
                guard value <= limits.maxMultibulkLength else {
                    return fail("ERR Protocol error: invalid multibulk length")
                }
                pos = cr &+ 2
                if value <= 0 {
                    scanFrom = 0
                    return .command(consumed: pos)
                }
                n = value
            }
        } else if n == 0 {
            scanFrom = 0
            return .command(consumed: pos)
        }
        if unauthenticated && n > RESPRequestParser.unauthenticatedMaxArguments {
            return fail("ERR Protocol error: unauthenticated multibulk length")
        }
        return parseArguments(raw, end, pos: pos, pending: n, count: 0, bulk: -1, resumed: false)
    }

    /// Continues a multibulk command left incomplete by an earlier call.
    @inline(never)
    private func resume(_ raw: UnsafeRawPointer, _ end: Int) -> Result {
        if position > end { return .incomplete }  // not the same prefix; wait for the rest
        return parseArguments(raw, end, pos: position, pending: pendingArgs, count: parsedArgs, bulk: bulkLength,
                              resumed: true)
    }

    /// Reads the `pending` remaining arguments of a multibulk command from `pos`. `count` arguments
    /// were found earlier (by an earlier call if `resumed`: those entries hold offsets); `bulk` is the
    /// length from a `$` line already read, or -1.
    @inline(__always)
    private func parseArguments(
        _ raw: UnsafeRawPointer, _ end: Int, pos: Int, pending: Int, count: Int, bulk: Int, resumed: Bool
    ) -> Result {
        let base = raw.assumingMemoryBound(to: UInt8.self)
        var pos = pos
        var count = count
        var bulk = bulk
        let firstNew = count
        let total = count &+ pending
        let maxBulk = limits.maxBulkLength
        var args = storage
        var capacity = storageCapacity

        while true {
            if bulk < 0 {
                // `$<len>\r\n`, the common case in one pass: 1 to 18 digits, no leading zero.
                if end &- pos >= 4 && base[pos] == UInt8(ascii: "$") {
                    let first = base[pos &+ 1] &- 48
                    if first <= 9 {
                        if base[pos &+ 2] == 13 {
                            bulk = Int(first)
                            pos &+= 4
                        } else if first != 0 {
                            var value = Int(first)
                            var q = pos &+ 2
                            let limit = end &- pos > 19 ? pos &+ 19 : end
                            while q < limit {
                                let d = base[q] &- 48
                                if d > 9 { break }
                                value = value &* 10 &+ Int(d)
                                q &+= 1
                            }
                            if q &+ 1 < end && base[q] == 13 {
                                bulk = value
                                pos = q &+ 2
                            }
                        }
                        if bulk > maxBulk {
                            return fail("ERR Protocol error: invalid bulk length")
                        }
                    }
                }
                if bulk < 0 {
                    switch findLineEnd(base, end, lineStart: pos) {
                    case .incomplete:
                        return suspend(raw, pos: pos, pending: total &- count, count: count, bulk: -1, firstNew: firstNew)
                    case .tooLong:
                        return fail("ERR Protocol error: too big bulk count string")
                    case .line(let cr):
                        let first = base[pos]
                        if first != UInt8(ascii: "$") {
                            let got = String(decoding: CollectionOfOne(first), as: UTF8.self)
                            return fail("ERR Protocol error: expected '$', got '\(got)'")
                        }
                        guard let value = RESPRequestParser.parseDecimal(base + (pos &+ 1), cr &- pos &- 1),
                            value >= 0, value <= maxBulk
                        else { return fail("ERR Protocol error: invalid bulk length") }
                        bulk = value
                        pos = cr &+ 2
                    }
                }
            }
            if unauthenticated && bulk > RESPRequestParser.unauthenticatedMaxBulkLength {
                return fail("ERR Protocol error: unauthenticated bulk length")
            }
            // The payload and its CRLF. Like Redis, only the length is checked, not the CRLF bytes.
            if end &- pos &- 2 < bulk {
                return suspend(raw, pos: pos, pending: total &- count, count: count, bulk: bulk, firstNew: firstNew)
            }
            if count == capacity {
                growStorage()
                args = storage
                capacity = storageCapacity
            }
            args[count] = UnsafeRawBufferPointer(start: raw + pos, count: bulk)
            count &+= 1
            pos &+= bulk &+ 2
            bulk = -1
            if count == total { break }
        }

        if resumed {
            for i in 0..<firstNew {
                let offset = Int(bitPattern: args[i].baseAddress)
                args[i] = UnsafeRawBufferPointer(start: raw + offset, count: args[i].count)
            }
            pendingArgs = 0
            parsedArgs = 0
            position = 0
            bulkLength = -1
        }
        scanFrom = 0
        readyCount = count
        return .command(consumed: pos)
    }

    /// Saves the state of an incomplete multibulk command, turning this call's addresses into offsets.
    @inline(never)
    private func suspend(
        _ raw: UnsafeRawPointer, pos: Int, pending: Int, count: Int, bulk: Int, firstNew: Int
    ) -> Result {
        let args = storage
        for i in firstNew..<count {
            // Offsets are never 0 (the first argument follows a `*` and a `$` line), so the
            // stored pointer is never nil.
            let offset = args[i].baseAddress! - raw
            args[i] = UnsafeRawBufferPointer(start: UnsafeRawPointer(bitPattern: offset), count: args[i].count)
        }
        pendingArgs = pending
        parsedArgs = count
        position = pos
        bulkLength = bulk
        return .incomplete
    }

    @inline(never)
    private func fail(_ message: String) -> Result {
        resetState()
        readyCount = 0
        return .protocolError(message)
    }

    private enum LineEnd {
        case incomplete
        case tooLong
        case line(cr: Int)
    }

    /// Finds the CR ending the line that starts at `lineStart`, as Redis does: the line is complete
    /// when a CR and one more byte (taken to be LF, not checked) are present; without a CR it is
    /// too long once more than `maxInlineLength` bytes follow `lineStart`.
    @inline(never)
    private func findLineEnd(_ base: UnsafePointer<UInt8>, _ end: Int, lineStart: Int) -> LineEnd {
        let from = (scanFrom > lineStart && scanFrom <= end) ? scanFrom : lineStart
        #if DEBUG
        bytesSearched += end - from
        #endif
        guard let hit = memchr(base + from, 13, end - from) else {
            if end - lineStart > limits.maxInlineLength { return .tooLong }
            scanFrom = end
            return .incomplete
        }
        let cr = UnsafeRawPointer(hit) - UnsafeRawPointer(base)
        if cr + 1 >= end {
            scanFrom = cr
            return .incomplete
        }
        return .line(cr: cr)
    }

    /// Redis's `string2ll` over `count` bytes: optional `-`, no `+`, no spaces, no leading zeros.
    @inline(__always)
    static func parseDecimal(_ p: UnsafePointer<UInt8>, _ count: Int) -> Int? {
        guard let v = UnsafeRawBufferPointer(start: p, count: count).parseInt64() else { return nil }
        return Int(truncatingIfNeeded: v)
    }

    // MARK: - Storage

    @inline(never)
    private func growStorage() {
        let newCapacity = storageCapacity * 2
        let grown = UnsafeMutablePointer<UnsafeRawBufferPointer>.allocate(capacity: newCapacity)
        grown.initialize(from: storage, count: storageCapacity)
        storage.deallocate()
        storage = grown
        storageCapacity = newCapacity
    }

    @inline(never)
    private func shrinkStorage() {
        storage.deallocate()
        storageCapacity = RESPRequestParser.initialStorageCapacity
        storage = .allocate(capacity: storageCapacity)
    }

    // MARK: - Inline commands

    @inline(never)
    private func parseInline(_ base: UnsafePointer<UInt8>, _ end: Int) -> Result {
        let from = (scanFrom > 0 && scanFrom <= end) ? scanFrom : 0
        #if DEBUG
        bytesSearched += end - from
        #endif
        guard let hit = memchr(base + from, 10, end - from) else {
            if end > limits.maxInlineLength { return fail("ERR Protocol error: too big inline request") }
            scanFrom = end
            return .incomplete
        }
        scanFrom = 0
        let newline = UnsafeRawPointer(hit) - UnsafeRawPointer(base)
        var lineEnd = newline
        if newline > 0 && base[newline - 1] == 13 { lineEnd -= 1 }
        // Redis splits a C string: a NUL ends the line.
        if lineEnd > 0, let nul = memchr(base, 0, lineEnd) {
            lineEnd = UnsafeRawPointer(nul) - UnsafeRawPointer(base)
        }
        if lineEnd > scratchCapacity {
            scratch.deallocate()
            scratchCapacity = Swift.max(lineEnd, scratchCapacity * 2)
            scratch = .allocate(capacity: scratchCapacity)
        } else if scratchCapacity > RESPRequestParser.retainedScratchCapacity
            && lineEnd <= RESPRequestParser.retainedScratchCapacity / 4
        {
            scratch.deallocate()
            scratchCapacity = RESPRequestParser.retainedScratchCapacity / 4
            scratch = .allocate(capacity: scratchCapacity)
        }
        if storageCapacity > RESPRequestParser.retainedStorageCapacity && lineEnd < 2 * RESPRequestParser.retainedStorageCapacity {
            shrinkStorage()
        }
        guard let count = splitArguments(base, lineEnd) else {
            return fail("ERR Protocol error: unbalanced quotes in request")
        }
        readyCount = count
        return .command(consumed: newline + 1)
    }

    @inline(__always)
    private static func isSpace(_ c: UInt8) -> Bool { c == 32 || (c >= 9 && c <= 13) }

    @inline(__always)
    private static func hexValue(_ c: UInt8) -> Int? {
        switch c {
        case 48...57: return Int(c - 48)
        case 97...102: return Int(c - 87)
        case 65...70: return Int(c - 55)
        default: return nil
        }
    }

    /// `sdssplitargs` over `line[0..<length]`, unescaping into `scratch`; the argument views go to
    /// `storage`. Returns the number of arguments, or nil for unbalanced quotes.
    private func splitArguments(_ line: UnsafePointer<UInt8>, _ length: Int) -> Int? {
        // Reads past the end see NUL, like the C string Redis works on.
        @inline(__always) func at(_ i: Int) -> UInt8 { i < length ? line[i] : 0 }
        let out = scratch
        var w = 0
        var i = 0
        var count = 0
        while true {
            while i < length && RESPRequestParser.isSpace(line[i]) { i += 1 }
            if i >= length { return count }
            let start = w
            var inDouble = false
            var inSingle = false
            var done = false
            while !done {
                let c = at(i)
                if inDouble {
                    if c == UInt8(ascii: "\\") && at(i + 1) == UInt8(ascii: "x"),
                        let hi = RESPRequestParser.hexValue(at(i + 2)),
                        let lo = RESPRequestParser.hexValue(at(i + 3))
                    {
                        out[w] = UInt8(hi * 16 + lo)
                        w += 1
                        i += 3
                    } else if c == UInt8(ascii: "\\") && at(i + 1) != 0 {
                        i += 1
                        let e: UInt8
                        switch line[i] {
                        case UInt8(ascii: "n"): e = 10
                        case UInt8(ascii: "r"): e = 13
                        case UInt8(ascii: "t"): e = 9
                        case UInt8(ascii: "b"): e = 8
                        case UInt8(ascii: "a"): e = 7
                        case let other: e = other
                        }
                        out[w] = e
                        w += 1
                    } else if c == UInt8(ascii: "\"") {
                        // A closing quote must be followed by a space or nothing.
                        let next = at(i + 1)
                        if next != 0 && !RESPRequestParser.isSpace(next) { return nil }
                        done = true
                    } else if c == 0 {
                        return nil
                    } else {
                        out[w] = c
                        w += 1
                    }
                } else if inSingle {
                    if c == UInt8(ascii: "\\") && at(i + 1) == UInt8(ascii: "'") {
                        i += 1
                        out[w] = UInt8(ascii: "'")
                        w += 1
                    } else if c == UInt8(ascii: "'") {
                        let next = at(i + 1)
                        if next != 0 && !RESPRequestParser.isSpace(next) { return nil }
                        done = true
                    } else if c == 0 {
                        return nil
                    } else {
                        out[w] = c
                        w += 1
                    }
                } else {
                    switch c {
                    case 32, 10, 13, 9, 0: done = true
                    case UInt8(ascii: "\""): inDouble = true
                    case UInt8(ascii: "'"): inSingle = true
                    default:
                        out[w] = c
                        w += 1
                    }
                }
                if i < length { i += 1 }
            }
            if count == storageCapacity { growStorage() }
            storage[count] = UnsafeRawBufferPointer(start: out + start, count: w - start)
            count += 1
        }
    }
}
