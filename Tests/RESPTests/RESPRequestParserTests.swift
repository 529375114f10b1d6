@testable import RESP
import Testing

@Suite("RESPRequestParser: commands")
struct RequestParserCommandTests {
    static let key16 = "key:000000000001"

    static let cases: [(name: String, bytes: [UInt8], expected: [Outcome])] = [
        ("GET", [UInt8]("*2\r\n$3\r\nGET\r\n$16\r\n\(key16)\r\n"), [.cmd("GET", key16)]),
        ("SET", [UInt8]("*3\r\n$3\r\nSET\r\n$3\r\nkey\r\n$5\r\nvalue\r\n"), [.cmd("SET", "key", "value")]),
        ("binary payload",
         RESPValue.encodeCommand([[UInt8]("SET"), [13, 10, 0, 10], [0, 13, 10, 13, 0, 255, 36, 42]]),
         [.command([[UInt8]("SET"), [13, 10, 0, 10], [0, 13, 10, 13, 0, 255, 36, 42]])]),
        ("empty bulk", [UInt8]("*3\r\n$3\r\nSET\r\n$0\r\n\r\n$0\r\n\r\n"), [.cmd("SET", "", "")]),
        ("long argument", RESPValue.encodeCommand(["SET", "k", String(repeating: "x", count: 1234)]),
         [.cmd("SET", "k", String(repeating: "x", count: 1234))]),
        ("many arguments", RESPValue.encodeCommand((0..<40).map { "a\($0)" }),
         [.command((0..<40).map { [UInt8]("a\($0)") })]),
        ("inline quoted", [UInt8]("SET a \"b c\"\r\n"), [.cmd("SET", "a", "b c")]),
        ("inline escapes",
         [UInt8]("SET k \"\\x41\\x7a\\n\\r\\t\\b\\a\\\\\\\"\\q\" 'it\\'s' \"\\xZZ\"\n"),
         [.cmd("SET", "k", "Az\n\r\t\u{8}\u{7}\\\"q", "it's", "xZZ")]),
        ("inline spacing", [UInt8]("  \tPING \t  \r\n"), [.cmd("PING")]),
        ("inline tabs", [UInt8]("ECHO\ta\t\tb\n"), [.cmd("ECHO", "a", "b")]),
        ("inline vertical tab", [UInt8]("ECHO a\u{0B}b \u{0B}c\n"), [.cmd("ECHO", "a\u{0B}b", "c")]),
        ("inline joined quotes", [UInt8]("ECHO ab\"c d\"\n"), [.cmd("ECHO", "abc d")]),
        ("inline empty quotes", [UInt8]("ECHO \"\" ''\n"), [.cmd("ECHO", "", "")]),
        ("inline without CR", [UInt8]("PING\n"), [.cmd("PING")]),
        ("empty line after multibulk", [UInt8]("*1\r\n$1\r\nx\r\n\nPING\n"), [.cmd("x"), .command([]), .cmd("PING")]),
        ("inline NUL ends line", [UInt8]("ECHO a\0 b\r\n"), [.cmd("ECHO", "a")]),
        ("inline CR inside", [UInt8]("ECHO a\rb\n"), [.cmd("ECHO", "a", "b")]),
        ("pipeline",
         [UInt8]("*2\r\n$3\r\nGET\r\n$1\r\na\r\n*3\r\n$3\r\nSET\r\n$1\r\nb\r\n$2\r\nxy\r\nPING\r\n*0\r\n\r\n*-1\r\n\n*1\r\n$4\r\nPING\r\n"),
         [.cmd("GET", "a"), .cmd("SET", "b", "xy"), .cmd("PING"), .command([]), .command([]), .command([]),
          .command([]), .cmd("PING")]),
    ]

    @Test(arguments: 0..<cases.count)
    func everySplitGivesTheSameCommands(_ index: Int) {
        let c = Self.cases[index]
        let whole = feedEverySplit(c.bytes)
        #expect(whole.outcomes == c.expected, "\(c.name)")
        #expect(whole.leftover == 0, "\(c.name)")
    }

    @Test func multibulkArgumentsAreViewsIntoTheBuffer() {
        let bytes = [UInt8]("*2\r\n$3\r\nGET\r\n$3\r\nkey\r\n")
        let parser = RESPRequestParser()
        bytes.withUnsafeBytes { buffer in
            #expect(parser.parse(buffer) == .command(consumed: bytes.count))
            #expect(parser.arguments.count == 2)
            #expect(parser.arguments[0].baseAddress == buffer.baseAddress! + 8)
            #expect(parser.arguments[1].baseAddress == buffer.baseAddress! + 17)
            #expect(parser.arguments[0].equalsIgnoringCase("get"))
        }
    }

    @Test func resumesAtANewAddress() {
        let bytes = [UInt8]("*3\r\n$3\r\nSET\r\n$3\r\nkey\r\n$5\r\nvalue\r\n")
        let parser = RESPRequestParser()
        var first = Array(bytes[0..<26])  // SET and key parsed, value header not complete
        first.withUnsafeBytes { #expect(parser.parse($0) == .incomplete) }
        for i in first.indices { first[i] = 0 }
        let second = bytes + [UInt8]("*1\r\n")
        second.withUnsafeBytes { buffer in
            #expect(parser.parse(buffer) == .command(consumed: bytes.count))
            let args = parser.arguments
            #expect(args.count == 3)
            #expect(Array(args[0]) == [UInt8]("SET"))
            #expect(Array(args[1]) == [UInt8]("key"))
            #expect(Array(args[2]) == [UInt8]("value"))
            #expect(args[0].baseAddress == buffer.baseAddress! + 8)
        }
    }

    @Test func emptyAndNegativeMultibulkAreSkippable() {
        let parser = RESPRequestParser()
        for (text, consumed) in [("*0\r\n", 4), ("*-1\r\n", 5), ("*-10\r\nPING\r\n", 6), ("\r\n", 2), ("\n", 1),
                                 ("   \r\n", 5)] {
            let bytes = [UInt8](text)
            bytes.withUnsafeBytes { #expect(parser.parse($0) == .command(consumed: consumed), "\(text.debugDescription)") }
            #expect(parser.arguments.count == 0)
        }
    }

    @Test func zeroCountFollowedByBulkLinesIsAnEmptyCommand() {
        // `*0` ends the command: what follows is a new one (here: inline, as it does not start with `*`).
        let bytes = [UInt8]("*0\r\n" + String(repeating: "$1\r\na\r\n", count: 20))
        let result = feed([bytes])
        #expect(result.outcomes == [.command([])] + Array(repeating: [Outcome.cmd("$1"), .cmd("a")], count: 20).flatMap { $0 })
    }

    @Test func hotPathAndGeneralPathAgree() {
        // Commands of 1 to 9 arguments take a shorter path than longer ones or resumed ones.
        for n in [1, 2, 9, 10, 17] {
            let args = (0..<n).map { i in String(repeating: "k", count: i * 7) }
            let bytes = RESPValue.encodeCommand(args)
            let whole = feed([bytes + bytes])
            #expect(whole.outcomes == [.command(args.map { [UInt8]($0) }), .command(args.map { [UInt8]($0) })])
            #expect(whole.leftover == 0)
        }
    }

    @Test func unauthenticatedLimitsHoldForCompleteSmallCommands() {
        // A complete command of few arguments takes the hot path; the limits must still apply.
        let big = RESPValue.encodeCommand([[UInt8]("SET"), [UInt8]("k"), [UInt8](repeating: 120, count: 16385)])
        let parser = RESPRequestParser()
        parser.unauthenticated = true
        let refused = feed([big], parser: parser).outcomes == [.error("ERR Protocol error: unauthenticated bulk length")]
        #expect(refused)
        let ok = RESPValue.encodeCommand([[UInt8]("SET"), [UInt8]("k"), [UInt8](repeating: 120, count: 16384)])
        let again = RESPRequestParser()
        again.unauthenticated = true
        #expect(feed([ok + ok], parser: again).outcomes.count == 2)
        // Once authenticated, the general limits apply again.
        again.unauthenticated = false
        let accepted = feed([big], parser: again).outcomes == [.command([[UInt8]("SET"), [UInt8]("k"), [UInt8](repeating: 120, count: 16385)])]
        #expect(accepted)
    }

    @Test func payloadCRLFIsNotCheckedLikeRedis() {
        // Redis skips the two bytes after a payload without looking at them.
        let result = feed([[UInt8]("*1\r\n$3\r\nfooXY*1\r\n$1\r\nz\r\n")])
        #expect(result.outcomes == [.cmd("foo"), .cmd("z")])
    }

    @Test func incompleteInputs() {
        for text in ["*", "*2", "*2\r", "*2\r\n", "*2\r\n$", "*2\r\n$3", "*2\r\n$3\r", "*2\r\n$3\r\nGET",
                     "*2\r\n$3\r\nGET\r", "*2\r\n$3\r\nGET\r\n", "*2\r\n$3\r\nGET\r\n$1\r\nk\r", "PING", "PING\r",
                     "*1\r\nfoo"] {
            let result = feed([[UInt8](text)])
            #expect(result.outcomes == [], "\(text.debugDescription)")
            #expect(result.leftover == text.utf8.count)
        }
    }

    @Test func resetForgetsAPartialCommand() {
        let parser = RESPRequestParser()
        [UInt8]("*3\r\n$3\r\nSET\r\n$1\r\na").withUnsafeBytes { #expect(parser.parse($0) == .incomplete) }
        parser.reset()
        let next = [UInt8]("*1\r\n$4\r\nPING\r\n")
        next.withUnsafeBytes { #expect(parser.parse($0) == .command(consumed: next.count)) }
        #expect(parser.arguments.count == 1)
        #expect(parser.arguments[0].equalsIgnoringCase("ping"))
    }

    @Test func storageShrinksAfterAHugeCommandAndStillWorks() {
        let parser = RESPRequestParser()
        let big = RESPValue.encodeCommand((0..<10_000).map { "\($0)" })
        big.withUnsafeBytes { #expect(parser.parse($0) == .command(consumed: big.count)) }
        #expect(parser.arguments.count == 10_000)
        #expect(Array(parser.arguments[9_999]) == [UInt8]("9999"))
        let small = RESPValue.encodeCommand(["GET", "k"])
        small.withUnsafeBytes { #expect(parser.parse($0) == .command(consumed: small.count)) }
        #expect(parser.arguments.count == 2)
        let inline = [UInt8](String(repeating: "a ", count: 5000) + "\n")
        inline.withUnsafeBytes { #expect(parser.parse($0) == .command(consumed: inline.count)) }
        #expect(parser.arguments.count == 5000)
    }
}

@Suite("RESPRequestParser: protocol errors")
struct RequestParserErrorTests {
    static let cases: [(input: [UInt8], error: String)] = [
        ([UInt8]("*abc\r\n"), "ERR Protocol error: invalid multibulk length"),
        ([UInt8]("*1048577\r\n"), "ERR Protocol error: invalid multibulk length"),
        ([UInt8]("*20000000\r\n"), "ERR Protocol error: invalid multibulk length"),
        ([UInt8]("*01\r\n"), "ERR Protocol error: invalid multibulk length"),
        ([UInt8]("*+1\r\n"), "ERR Protocol error: invalid multibulk length"),
        ([UInt8]("*\r\n"), "ERR Protocol error: invalid multibulk length"),
        ([UInt8]("*99999999999999999999\r\n"), "ERR Protocol error: invalid multibulk length"),
        ([UInt8]("*3\r\n$3\r\nSET\r\n$1\r\nx\r\nfooz\r\n"), "ERR Protocol error: expected '$', got 'f'"),
        ([UInt8]("*1\r\n:1\r\n"), "ERR Protocol error: expected '$', got ':'"),
        ([UInt8]("*1\r\n$-1\r\n"), "ERR Protocol error: invalid bulk length"),
        ([UInt8]("*1\r\n$abc\r\n"), "ERR Protocol error: invalid bulk length"),
        ([UInt8]("*1\r\n$\r\n"), "ERR Protocol error: invalid bulk length"),
        ([UInt8]("*1\r\n$01\r\nx\r\n"), "ERR Protocol error: invalid bulk length"),
        ([UInt8]("*1\r\n$3 \r\nabc\r\n"), "ERR Protocol error: invalid bulk length"),
        ([UInt8]("*1\r\n$536870913\r\n"), "ERR Protocol error: invalid bulk length"),
        ([UInt8]("*1\r\n$9223372036854775808\r\n"), "ERR Protocol error: invalid bulk length"),
        ([UInt8]("*" + String(repeating: "1", count: 65536)), "ERR Protocol error: too big mbulk count string"),
        ([UInt8]("*1\r\n$" + String(repeating: "1", count: 65536)), "ERR Protocol error: too big bulk count string"),
        ([UInt8](String(repeating: "a", count: 65537)), "ERR Protocol error: too big inline request"),
        ([UInt8]("SET \"a\n"), "ERR Protocol error: unbalanced quotes in request"),
        ([UInt8]("SET 'a\n"), "ERR Protocol error: unbalanced quotes in request"),
        ([UInt8]("SET \"a\"b\n"), "ERR Protocol error: unbalanced quotes in request"),
        ([UInt8]("SET 'a'b\r\n"), "ERR Protocol error: unbalanced quotes in request"),
        ([UInt8]("SET \"a\\\"\n"), "ERR Protocol error: unbalanced quotes in request"),
        ([UInt8]("SET \"a\0\"\n"), "ERR Protocol error: unbalanced quotes in request"),
    ]

    @Test(arguments: 0..<cases.count)
    func errorText(_ index: Int) {
        let c = Self.cases[index]
        let parser = RESPRequestParser()
        let result = c.input.withUnsafeBytes { parser.parse($0) }
        #expect(result == .protocolError(c.error))
        #expect(parser.arguments.count == 0)
    }

    @Test(arguments: 0..<cases.count)
    func errorTextWhenSplit(_ index: Int) {
        let c = Self.cases[index]
        guard c.input.count < 100 else { return }  // the long ones are checked by the limits test below
        let whole = feedEverySplit(c.input)
        #expect(whole.outcomes == [.error(c.error)])
    }

    @Test func errorAfterAValidCommandInAPipeline() {
        let bytes = [UInt8]("*1\r\n$4\r\nPING\r\n*1\r\n$-5\r\n")
        let result = feedEverySplit(bytes)
        #expect(result.outcomes == [.cmd("PING"), .error("ERR Protocol error: invalid bulk length")])
    }

    @Test func configuredLimits() {
        var limits = RESPRequestParser.Limits()
        limits.maxBulkLength = 10
        limits.maxMultibulkLength = 3
        limits.maxInlineLength = 8
        let cases: [(String, [Outcome], Int)] = [
            ("*1\r\n$10\r\n0123456789\r\n", [.cmd("0123456789")], 0),
            ("*1\r\n$11\r\n", [.error("ERR Protocol error: invalid bulk length")], 9),
            ("*1\r\n$11\r\n01234567890\r\n", [.error("ERR Protocol error: invalid bulk length")], 22),
            ("*3\r\n$1\r\na\r\n$1\r\nb\r\n$1\r\nc\r\n", [.cmd("a", "b", "c")], 0),
            ("*4\r\n$1\r\na\r\n$1\r\nb\r\n$1\r\nc\r\n$1\r\nd\r\n", [.error("ERR Protocol error: invalid multibulk length")], 32),
            ("*3\r\n", [], 4),
            ("*4\r\n", [.error("ERR Protocol error: invalid multibulk length")], 4),
            ("PINGPING", [], 8),
            ("PINGPINGP", [.error("ERR Protocol error: too big inline request")], 9),
            ("*1234567", [], 8),
            ("*12345678", [.error("ERR Protocol error: too big mbulk count string")], 9),
            ("*1\r\n$1234567", [], 12),
            ("*1\r\n$12345678", [.error("ERR Protocol error: too big bulk count string")], 13),
        ]
        for (text, expected, leftover) in cases {
            let result = feedEverySplit([UInt8](text), limits: limits)
            #expect(result.outcomes == expected, "\(text.debugDescription)")
            #expect(result.leftover == leftover, "\(text.debugDescription)")
        }
        // A line that arrives complete may be longer than the limit (Redis checks only lines
        // still waiting for their end); arriving slowly, it is refused.
        let line = [UInt8]("PING PING PING\r\n")
        #expect(feed([line], parser: RESPRequestParser(limits: limits)).outcomes == [.cmd("PING", "PING", "PING")])
        #expect(feed(line.map { [$0] }, parser: RESPRequestParser(limits: limits)).outcomes
                == [.error("ERR Protocol error: too big inline request")])
    }
}

@Suite("RESPRequestParser: cost")
struct RequestParserCostTests {
    @Test func hugeDeclaredLengthsDoNotAllocate() {
        let parser = RESPRequestParser()
        let initialCapacity = parser.storageCapacity
        let clock = ContinuousClock()
        let start = clock.now
        for text in ["*1\r\n$536870912\r\nabc", "*1048576\r\n$3\r\nabc\r\n$3\r\nd", "*2\r\n$3\r\nGET\r\n$536870912\r\n"] {
            let bytes = [UInt8](text)
            for _ in 0..<1000 {
                parser.reset()
                bytes.withUnsafeBytes { #expect(parser.parse($0) == .incomplete) }
            }
        }
        let elapsed = clock.now - start
        // Argument storage is the parser's only allocation for multibulk commands.
        #expect(parser.storageCapacity == initialCapacity)
        #expect(elapsed < .seconds(2), "took \(elapsed)")
    }

    @Test func hundredThousandArgumentsInSevenByteIncrements() {
        let count = 100_000
        let command = RESPValue.encodeCommand((0..<count).map { "v\($0)" })
        // Two copies, alternated, so that every call sees the same prefix at a different address
        // without the test itself copying the growing prefix each time.
        let a = UnsafeMutableRawBufferPointer.allocate(byteCount: command.count, alignment: 1)
        let b = UnsafeMutableRawBufferPointer.allocate(byteCount: command.count, alignment: 1)
        defer {
            a.deallocate()
            b.deallocate()
        }
        a.copyBytes(from: command)
        b.copyBytes(from: command)
        let parser = RESPRequestParser()
        let clock = ContinuousClock()
        let start = clock.now
        var available = 0
        var result = RESPRequestParser.Result.incomplete
        var calls = 0
        var useA = true
        while available < command.count {
            available = Swift.min(available + 7, command.count)
            let buffer = useA ? a : b
            useA.toggle()
            result = parser.parse(UnsafeRawBufferPointer(rebasing: buffer[0..<available]))
            calls += 1
            if result != .incomplete { break }
        }
        let elapsed = clock.now - start
        #expect(result == .command(consumed: command.count))
        #expect(available == command.count)
        #expect(elapsed < .seconds(3), "\(calls) calls took \(elapsed)")
        let args = parser.arguments
        #expect(args.count == count)
        var allRight = true
        let last = useA ? b : a
        for i in 0..<args.count where Array(args[i]) != [UInt8]("v\(i)") { allRight = false }
        #expect(allRight)
        #expect(args[0].baseAddress! >= UnsafeRawPointer(last.baseAddress!))
        #expect(args[count - 1].baseAddress! < UnsafeRawPointer(last.baseAddress!) + command.count)
    }

    /// A line that has not ended yet is searched only once, however it arrives: 300 kB one byte at a
    /// time stays linear (rescanning would search ~45 GB; memchr is fast enough that time alone
    /// would not show it, hence the debug counter).
    @Test(arguments: ["inline", "bulk header", "multibulk header"])
    func longUnfinishedLineInSmallIncrementsIsLinear(_ kind: String) {
        var limits = RESPRequestParser.Limits()
        limits.maxInlineLength = 1 << 20
        let n = 300_000
        let line: [UInt8]
        let expected: RESPRequestParser.Result
        switch kind {
        case "inline":
            line = [UInt8](String(repeating: "x", count: n) + "\r\n")
            expected = .command(consumed: line.count)
        case "bulk header":
            line = [UInt8]("*1\r\n$" + String(repeating: "1", count: n) + "\r\n")
            expected = .protocolError("ERR Protocol error: invalid bulk length")
        default:
            line = [UInt8]("*" + String(repeating: "1", count: n) + "\r\n")
            expected = .protocolError("ERR Protocol error: invalid multibulk length")
        }
        let parser = RESPRequestParser(limits: limits)
        let clock = ContinuousClock()
        let start = clock.now
        var result = RESPRequestParser.Result.incomplete
        line.withUnsafeBytes { buffer in
            var available = 0
            while available < buffer.count {
                available += 1
                result = parser.parse(UnsafeRawBufferPointer(rebasing: buffer[0..<available]))
                if result != .incomplete { break }
            }
        }
        #expect(result == expected)
        #expect(clock.now - start < .seconds(2))
        #if DEBUG
        #expect(parser.bytesSearched <= 2 * line.count, "searched \(parser.bytesSearched) bytes")
        #endif
    }
}
