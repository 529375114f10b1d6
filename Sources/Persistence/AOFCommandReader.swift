#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Why the command stream stopped early.
enum AOFParseError: Error {
    /// The file ends inside a command (a crash mid-write): recoverable by truncation.
    case truncated
    /// Anything else malformed: never guessed around.
    case badFormat
    case io(Int32)
}

/// Reads the commands of an AOF file (`*N\r\n` then N `$len\r\n<bytes>\r\n`, with `#...\n`
/// annotation lines between commands) through one big buffer, parsing in place: a command's
/// arguments are views into the buffer, valid until the next call.
///
/// Hostile input cannot make it allocate beyond what the file really holds: a bulk longer than
/// the rest of the file is a truncation found without reading, lengths over 512 MB and counts
/// over 2^31-1 are format errors, and the buffer only grows while a single command fills it.
final class AOFCommandReader {
    static let maxBulk = 512 << 20
    static let maxCount = Int(Int32.max)

    let fd: Int32
    var buf: UnsafeMutableRawPointer
    var cap: Int
    /// The first byte not yet consumed, and the end of the bytes read.
    var start = 0
    var end = 0
    /// File offset of `buf[0]`.
    var bufOffset: Int
    let fileSize: Int
    /// Inside an annotation line longer than what was buffered: its bytes are dropped as read.
    var skippingAnnotation = false
    /// File offset just after the last complete command (where a truncated file is cut).
    private(set) var lastCommandEnd: Int
    /// The arguments of the last command returned by `next()`.
    var args: [UnsafeRawBufferPointer] = []
    var spans: [Int] = []

    init(fd: Int32, offset: Int, fileSize: Int, bufferSize: Int = 1 << 20) {
        self.fd = fd
        self.fileSize = fileSize
        bufOffset = offset
        lastCommandEnd = offset
        cap = bufferSize
        buf = malloc(bufferSize)!
    }

    deinit { free(buf) }

    /// File offset of the next unconsumed byte.
    var offset: Int { bufOffset + start }

    enum Step {
        case command(Int)
        case skipped
        case needMore
        case truncated
        case bad
    }

    /// Reads the next command into `args`. Returns false at a clean end of file.
    func next() throws(AOFParseError) -> Bool {
        while true {
            switch parse() {
            case .command(let next):
                args.removeAll(keepingCapacity: true)
                var i = 0
                while i < spans.count {
                    args.append(UnsafeRawBufferPointer(start: buf + spans[i], count: spans[i + 1]))
                    i += 2
                }
                start = next
                lastCommandEnd = bufOffset + next
                return true
            case .skipped:
                continue
            case .needMore:
                if try !fill() {
                    if start == end || skippingAnnotation { return false }
                    // An annotation without its newline at the very end: fgets-style, harmless.
                    if buf.load(fromByteOffset: start, as: UInt8.self) == UInt8(ascii: "#") { return false }
                    throw .truncated
                }
            case .truncated:
                throw .truncated
            case .bad:
                throw .badFormat
            }
        }
    }

    @inline(__always) func byte(_ i: Int) -> UInt8 { buf.load(fromByteOffset: i, as: UInt8.self) }

    /// Tries to parse one command from `start` with the bytes at hand.
    func parse() -> Step {
        if skippingAnnotation || (start < end && byte(start) == UInt8(ascii: "#")) {
            if let nl = memchr(buf + start, 0x0a, end - start) {
                start = buf.distance(to: UnsafeMutableRawPointer(nl)) + 1
                skippingAnnotation = false
                return .skipped
            }
            start = end
            skippingAnnotation = true
            return .needMore
        }
        if start >= end { return .needMore }
        if byte(start) != UInt8(ascii: "*") { return .bad }
        var q = start + 1
        let count: Int
        switch number(&q) {
        case .value(let n): count = n
        case .needMore: return .needMore
        case .bad: return .bad
        }
        if count < 1 || count > Self.maxCount { return .bad }
        spans.removeAll(keepingCapacity: true)
        for _ in 0..<count {
            if q >= end { return .needMore }
            if byte(q) != UInt8(ascii: "$") { return .bad }
            q += 1
            let len: Int
            switch number(&q) {
            case .value(let n): len = n
            case .needMore: return .needMore
            case .bad: return .bad
            }
            if len > Self.maxBulk { return .bad }
            if end - q < len + 2 {
                // Never wait for (or make room for) bytes the file does not have.
                if bufOffset + q + len + 2 > fileSize { return .truncated }
                return .needMore
            }
            if byte(q + len) != 0x0d || byte(q + len + 1) != 0x0a { return .bad }
            spans.append(q)
            spans.append(len)
            q += len + 2
        }
        return .command(q)
    }

    enum Number { case value(Int), needMore, bad }

    /// Decimal digits then CRLF at `q` (advanced past them on success).
    @inline(__always) func number(_ q: inout Int) -> Number {
        var i = q
        var v = 0
        while true {
            if i >= end { return i - q > 18 ? .bad : .needMore }
            let b = byte(i)
            if b == 0x0d { break }
            guard b >= 0x30 && b <= 0x39, i - q < 18 else { return .bad }
            v = v &* 10 &+ Int(b &- 0x30)
            i += 1
        }
        if i == q { return .bad }
        if i + 1 >= end { return .needMore }
        if byte(i + 1) != 0x0a { return .bad }
        q = i + 2
        return .value(v)
    }

    /// Moves the unconsumed bytes to the front, grows the buffer if a single command fills it,
    /// and reads more. Returns false at the end of the file.
    func fill() throws(AOFParseError) -> Bool {
        if start > 0 {
            let live = end - start
            if live > 0 { memmove(buf, buf + start, live) }
            bufOffset += start
            end = live
            start = 0
        }
        if end == cap {
            cap *= 2
            buf = realloc(buf, cap)!
        }
        let r = FileIO.read(fd, buf + end, cap - end)
        if r < 0 { throw .io(errno) }
        if r == 0 { return false }
        end += r
        return true
    }
}
