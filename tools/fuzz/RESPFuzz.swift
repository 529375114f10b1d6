// libFuzzer target for RESPRequestParser. Built by tools/fuzz/run together with
// Sources/RESP/ArgumentList.swift and Sources/RESP/RESPRequestParser.swift (no NIO, no module).
//
// Input layout: byte 0 = options, bytes 1-2 = split point (little endian, modulo the payload
// length), the rest = the bytes a client sends.
//   options bit 0: small limits (bulk 64, multibulk 16, inline 32) instead of Redis's defaults
//   options bit 1: also deliver the payload one byte at a time
//   options bit 2: the payload is a program for `generate` (well-formed pieces, counts, lengths
//                  and garbage chosen by the input) rather than the bytes themselves
//   options bit 3: an unauthenticated client (at most 10 arguments of 16 KiB)
//
// The payload is parsed as a connection would see it: (A) all at once, (B) first `split` bytes then
// the rest, (C) optionally byte by byte. Every parse call gets the unconsumed bytes in a fresh
// allocation of exactly their size, so AddressSanitizer catches any read outside them and any use
// of an address kept from an earlier call. Invariants checked:
//   - `.command(consumed:)` has 0 < consumed <= bytes given; multibulk arguments lie inside
//     the consumed bytes and respect the limits (and the unauthenticated ones); every argument
//     byte is readable; `.incomplete`/errors expose no arguments;
//   - (B) and (C) give the same commands, error and leftover as (A), except that a delivery in
//     pieces may stop earlier with a "too big ..." error (a line waiting for its end too long),
//     after a prefix of (A)'s commands.

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

private enum Outcome: Equatable {
    case command([[UInt8]])
    case error(String)
}

private struct Run: Equatable {
    var outcomes: [Outcome] = []
    var leftover = 0
}

private func check(_ condition: Bool, _ message: @autoclosure () -> String) {
    if !condition {
        fputs("RESPFuzz invariant violated: \(message())\n", stderr)
        abort()
    }
}

private func deliver(
    _ payload: [UInt8], in chunks: [Range<Int>], limits: RESPRequestParser.Limits, unauthenticated: Bool
) -> Run {
    let parser = RESPRequestParser(limits: limits)
    parser.unauthenticated = unauthenticated
    var pending: [UInt8] = []
    var run = Run()
    for chunk in chunks {
        pending += payload[chunk]
        while !pending.isEmpty {
            let copy = UnsafeMutableRawBufferPointer.allocate(byteCount: pending.count, alignment: 1)
            copy.copyBytes(from: pending)
            let view = UnsafeRawBufferPointer(copy)
            let result = parser.parse(view)
            var consumed = 0
            switch result {
            case .incomplete:
                check(parser.arguments.count == 0, "arguments after .incomplete")
            case .protocolError(let text):
                check(parser.arguments.count == 0, "arguments after an error")
                check(text.hasPrefix("ERR Protocol error: "), "error text \(text)")
                run.outcomes.append(.error(text))
            case .command(let n):
                check(n > 0 && n <= pending.count, "consumed \(n) of \(pending.count)")
                let args = parser.arguments
                check(args.count >= 0, "negative argument count")
                var values: [[UInt8]] = []
                values.reserveCapacity(args.count)
                for i in 0..<args.count {
                    let arg = args[i]
                    check(arg.count >= 0 && (arg.count == 0 || arg.baseAddress != nil), "argument \(i) malformed")
                    if pending[0] == UInt8(ascii: "*") {
                        check(arg.count <= n, "argument \(i) longer than the command")
                        // The limits hold for every command that gets through.
                        check(args.count <= limits.maxMultibulkLength && arg.count <= limits.maxBulkLength,
                              "limits exceeded")
                        check(!unauthenticated || (args.count <= 10 && arg.count <= 16384),
                              "unauthenticated limits exceeded")
                        if arg.count > 0 {
                            check(arg.baseAddress! >= view.baseAddress! && arg.baseAddress! + arg.count <= view.baseAddress! + n,
                                  "argument \(i) outside the consumed bytes")
                        }
                    } else {
                        check(arg.count < n, "inline argument \(i) longer than its line")
                    }
                    values.append(Array(arg))  // reads every byte: ASan checks them
                }
                run.outcomes.append(.command(values))
                consumed = n
            }
            copy.initializeMemory(as: UInt8.self, repeating: 0xEE)
            copy.deallocate()
            if case .protocolError = result {
                run.leftover = pending.count
                return run
            }
            if consumed == 0 { break }
            pending.removeFirst(consumed)
        }
    }
    run.leftover = pending.count
    return run
}

private func isTooBig(_ outcome: Outcome?) -> Bool {
    guard case .error(let text)? = outcome else { return false }
    return text.hasPrefix("ERR Protocol error: too big ")
}

private func compare(_ whole: Run, _ pieces: Run, _ what: String) {
    if whole.outcomes == pieces.outcomes {
        // After an error delivery stops, so the bytes left over depend on how they arrived.
        if case .error? = whole.outcomes.last { return }
        check(whole.leftover == pieces.leftover, "\(what): leftover \(pieces.leftover) vs \(whole.leftover)")
        return
    }
    // A slow delivery may hit a length limit that the whole buffer did not.
    check(isTooBig(pieces.outcomes.last), "\(what): \(pieces.outcomes) vs \(whole.outcomes)")
    let before = pieces.outcomes.dropLast()
    check(before.count <= whole.outcomes.count && Array(whole.outcomes.prefix(before.count)) == Array(before),
          "\(what): commands before the error differ")
}

/// Builds a request stream from `program`: each byte picks a piece, following bytes its details.
/// Reaches shapes (long commands, `*0` followed by arguments, declared lengths, inline lines) that
/// byte-level mutation finds slowly.
private func generate(_ program: [UInt8]) -> [UInt8] {
    var out: [UInt8] = []
    var i = 0
    func next() -> Int {
        defer { i += 1 }
        return i < program.count ? Int(program[i]) : 0
    }
    func append(_ text: String) { out += Array(text.utf8) }
    while i < program.count && out.count < 1 << 16 {
        switch next() % 10 {
        case 0: append("*\(next() - 4)\r\n")
        case 1:
            let n = next() % 32
            append("$\(n)\r\n")
            for _ in 0..<n { out.append(UInt8(truncatingIfNeeded: next())) }
            append("\r\n")
        case 2: append("$\(next() * 977)\r\n")
        case 3:
            let n = next() % 24
            for _ in 0..<n { out.append(UInt8(truncatingIfNeeded: next())) }
            append(next() % 2 == 0 ? "\r\n" : "\n")
        case 4:
            let n = next() % 8
            for _ in 0..<n { out.append(UInt8(truncatingIfNeeded: next())) }
        case 5: append("\r\n")
        case 6:
            let k = next() % 24
            append("*\(k)\r\n")
            for j in 0..<k { append("$\(j % 11)\r\n" + String(repeating: "v", count: j % 11) + "\r\n") }
        case 7:
            append("*" + String(repeating: "0", count: next() % 4) + "\(next())\r\n")
        case 8:
            // A complete argument of up to ~25 KB (around the unauthenticated 16 KiB limit).
            let n = next() * 97 + next() % 97
            append("$\(n)\r\n")
            out += [UInt8](repeating: UInt8(ascii: "x"), count: n)
            append("\r\n")
        default:
            // Arguments without a header of their own.
            for _ in 0..<next() % 40 { append("$1\r\nx\r\n") }
        }
    }
    return out
}

@_cdecl("LLVMFuzzerTestOneInput")
public func respFuzzOneInput(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    guard size >= 3 else { return 0 }
    let options = data[0]
    let input = Array(UnsafeBufferPointer(start: data + 3, count: size - 3))
    let payload = options & 4 != 0 ? generate(input) : input
    let split = (Int(data[1]) | Int(data[2]) << 8) % (payload.count + 1)

    let unauthenticated = options & 8 != 0
    var limits = RESPRequestParser.Limits()
    if options & 1 != 0 {
        limits.maxBulkLength = 64
        limits.maxMultibulkLength = 16
        limits.maxInlineLength = 32
    }

    let whole = deliver(payload, in: [0..<payload.count], limits: limits, unauthenticated: unauthenticated)
    let halves = deliver(payload, in: [0..<split, split..<payload.count], limits: limits,
                         unauthenticated: unauthenticated)
    compare(whole, halves, "split at \(split)")
    if options & 2 != 0 && payload.count <= 8192 {
        let bytes = deliver(payload, in: (0..<payload.count).map { $0..<($0 + 1) }, limits: limits,
                            unauthenticated: unauthenticated)
        compare(whole, bytes, "byte by byte")
    }
    return 0
}
