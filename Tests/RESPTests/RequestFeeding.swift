import RESP
import Testing

/// What a connection sees from the parser for one command.
enum Outcome: Equatable, CustomStringConvertible {
    case command([[UInt8]])
    case error(String)

    var description: String {
        switch self {
        case .command(let args):
            return "command(" + args.map { "\"" + String(decoding: $0, as: UTF8.self) + "\"" }.joined(separator: ", ") + ")"
        case .error(let text):
            return "error(\(text))"
        }
    }

    static func cmd(_ args: String...) -> Outcome { .command(args.map { Array($0.utf8) }) }
}

extension Array where Element == UInt8 {
    init(_ text: String) { self = Array(text.utf8) }
}

/// Simulates a connection whose bytes arrive in `chunks`. Every `parse` call sees the unconsumed
/// bytes copied to a fresh allocation (so the parser must not keep addresses across calls), which is
/// overwritten with garbage afterwards. Stops at the first protocol error.
func feed(
    _ chunks: [[UInt8]], parser: RESPRequestParser = RESPRequestParser(),
    sourceLocation: SourceLocation = #_sourceLocation
) -> (outcomes: [Outcome], leftover: Int) {
    var pending: [UInt8] = []
    var outcomes: [Outcome] = []
    for chunk in chunks {
        pending += chunk
        while true {
            let copy = UnsafeMutableRawBufferPointer.allocate(byteCount: Swift.max(pending.count, 1), alignment: 1)
            copy.copyBytes(from: pending)
            let view = UnsafeRawBufferPointer(rebasing: copy[0..<pending.count])
            let result = parser.parse(view)
            var consumed = 0
            var stop = false
            switch result {
            case .incomplete:
                #expect(parser.arguments.count == 0, sourceLocation: sourceLocation)
                stop = true
            case .command(let n):
                #expect(n > 0 && n <= pending.count, "consumed \(n) of \(pending.count)", sourceLocation: sourceLocation)
                let args = parser.arguments
                var values: [[UInt8]] = []
                for i in 0..<args.count {
                    let arg = args[i]
                    if pending.first == UInt8(ascii: "*") {
                        // Multibulk arguments are views into the caller's bytes.
                        let inside = arg.count == 0 || (arg.baseAddress! >= view.baseAddress!
                            && arg.baseAddress! + arg.count <= view.baseAddress! + n)
                        #expect(inside, "argument \(i) outside the command's bytes", sourceLocation: sourceLocation)
                    }
                    values.append(Array(arg))
                }
                outcomes.append(.command(values))
                consumed = n
            case .protocolError(let text):
                outcomes.append(.error(text))
                copy.initializeMemory(as: UInt8.self, repeating: 0xEE)
                copy.deallocate()
                return (outcomes, pending.count)
            }
            copy.initializeMemory(as: UInt8.self, repeating: 0xEE)
            copy.deallocate()
            if stop { break }
            pending.removeFirst(consumed)
        }
    }
    return (outcomes, pending.count)
}

/// After an error the driver stops reading, so how many bytes were left depends on the split.
private func endsWithError(_ outcomes: [Outcome]) -> Bool {
    if case .error? = outcomes.last { return true }
    return false
}

/// `bytes` whole, then split after every possible first part, then one byte at a time: all must
/// produce the same commands. Returns the whole-buffer result.
@discardableResult
func feedEverySplit(
    _ bytes: [UInt8], limits: RESPRequestParser.Limits = .init(),
    sourceLocation: SourceLocation = #_sourceLocation
) -> (outcomes: [Outcome], leftover: Int) {
    let whole = feed([bytes], parser: RESPRequestParser(limits: limits), sourceLocation: sourceLocation)
    for k in 0...bytes.count {
        let split = feed([Array(bytes[0..<k]), Array(bytes[k...])], parser: RESPRequestParser(limits: limits),
                         sourceLocation: sourceLocation)
        #expect(split.outcomes == whole.outcomes, "split after \(k) bytes", sourceLocation: sourceLocation)
        if !endsWithError(whole.outcomes) {
            #expect(split.leftover == whole.leftover, "split after \(k) bytes", sourceLocation: sourceLocation)
        }
        if split.outcomes != whole.outcomes { break }
    }
    let single = feed(bytes.map { [$0] }, parser: RESPRequestParser(limits: limits), sourceLocation: sourceLocation)
    #expect(single.outcomes == whole.outcomes, "one byte at a time", sourceLocation: sourceLocation)
    if !endsWithError(whole.outcomes) {
        #expect(single.leftover == whole.leftover, "one byte at a time", sourceLocation: sourceLocation)
    }
    return whole
}
