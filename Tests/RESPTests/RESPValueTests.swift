import RESP
import Testing

@Suite("RESPValue")
struct RESPValueTests {
    static let samples: [(wire: String, value: RESPValue)] = [
        ("+OK\r\n", .simpleString("OK")),
        ("+\r\n", .simpleString("")),
        ("-ERR unknown command\r\n", .error("ERR unknown command")),
        (":0\r\n", .integer(0)),
        (":-9223372036854775808\r\n", .integer(.min)),
        (":+5\r\n", .integer(5)),
        ("$5\r\nhello\r\n", .bulk("hello")),
        ("$0\r\n\r\n", .bulk("")),
        ("$4\r\na\r\nb\r\n", .bulk("a\r\nb")),
        ("$-1\r\n", .bulkString(nil)),
        ("*-1\r\n", .array(nil)),
        ("*0\r\n", .array([])),
        ("*2\r\n$1\r\na\r\n:2\r\n", .array([.bulk("a"), .integer(2)])),
        ("*2\r\n*1\r\n+x\r\n*0\r\n", .array([.array([.simpleString("x")]), .array([])])),
        ("_\r\n", .null),
        (",1.5\r\n", .double(1.5)),
        (",-inf\r\n", .double(-.infinity)),
        (",inf\r\n", .double(.infinity)),
        (",1e-3\r\n", .double(0.001)),
        (",10\r\n", .double(10)),
        ("#t\r\n", .boolean(true)),
        ("#f\r\n", .boolean(false)),
        ("(3492890328409238509324850943850943825024385\r\n", .bigNumber("3492890328409238509324850943850943825024385")),
        ("(-12\r\n", .bigNumber("-12")),
        ("!21\r\nSYNTAX invalid syntax\r\n", .bulkError("SYNTAX invalid syntax")),
        ("=15\r\ntxt:Some string\r\n", .verbatim(format: "txt", text: "Some string")),
        ("=4\r\nmkd:\r\n", .verbatim(format: "mkd", text: "")),
        ("%2\r\n+first\r\n:1\r\n+second\r\n:2\r\n",
         .map([.init(.simpleString("first"), .integer(1)), .init(.simpleString("second"), .integer(2))])),
        ("%0\r\n", .map([])),
        ("~3\r\n+a\r\n+b\r\n:1\r\n", .set([.simpleString("a"), .simpleString("b"), .integer(1)])),
        (">3\r\n$7\r\nmessage\r\n$2\r\nch\r\n$2\r\nhi\r\n", .push([.bulk("message"), .bulk("ch"), .bulk("hi")])),
        ("|1\r\n+key-popularity\r\n%1\r\n$1\r\na\r\n,0.1923\r\n*1\r\n:2\r\n",
         .attribute([.init(.simpleString("key-popularity"), .map([.init(.bulk("a"), .double(0.1923))]))],
                    .array([.integer(2)]))),
    ]

    @Test(arguments: 0..<samples.count)
    func parsesEveryType(_ index: Int) throws {
        let (wire, value) = Self.samples[index]
        let bytes = [UInt8](wire)
        let parsed = try RESPValue.parse(bytes)
        #expect(parsed?.value == value)
        #expect(parsed?.consumed == bytes.count)
        // Every strict prefix is incomplete, never an error.
        for k in 0..<bytes.count {
            #expect(try RESPValue.parse(Array(bytes[0..<k])) == nil, "prefix of \(k) bytes")
        }
        // Trailing bytes are left alone.
        let more = try RESPValue.parse(bytes + [UInt8]("+next\r\n"))
        #expect(more?.consumed == bytes.count)
    }

    @Test(arguments: 0..<samples.count)
    func encodedFormParsesBack(_ index: Int) throws {
        let value = Self.samples[index].value
        let parsed = try RESPValue.parse(value.encoded)
        #expect(parsed?.value == value)
        #expect(parsed?.consumed == value.encoded.count)
    }

    @Test func nanParses() throws {
        let parsed = try RESPValue.parse([UInt8](",nan\r\n"))
        guard case .double(let d)? = parsed?.value else {
            Issue.record("not a double")
            return
        }
        #expect(d.isNaN)
    }

    @Test func malformedInputThrows() {
        let cases: [(String, RESPValue.ParseError)] = [
            ("?x\r\n", .unknownType(UInt8(ascii: "?"), offset: 0)),
            ("*1\r\n?\r\n", .unknownType(UInt8(ascii: "?"), offset: 4)),
            ("+OK\rX", .missingCRLF(offset: 3)),
            ("$3\r\nabcXY", .missingCRLF(offset: 7)),
            ("$-2\r\n", .invalidLength(offset: 0)),
            ("$x\r\n", .invalidLength(offset: 0)),
            ("*-2\r\n", .invalidLength(offset: 0)),
            ("%-1\r\n", .invalidLength(offset: 0)),
            ("~-1\r\n", .invalidLength(offset: 0)),
            ("!-1\r\n", .invalidLength(offset: 0)),
            (":1.5\r\n", .invalidInteger(offset: 0)),
            (":\r\n", .invalidInteger(offset: 0)),
            (":99999999999999999999\r\n", .invalidInteger(offset: 0)),
            ("#x\r\n", .invalidBoolean(offset: 0)),
            (",abc\r\n", .invalidDouble(offset: 0)),
            (",\r\n", .invalidDouble(offset: 0)),
            ("(12a\r\n", .invalidBigNumber(offset: 0)),
            ("_x\r\n", .invalidNull(offset: 0)),
            ("=3\r\ntxt\r\n", .invalidVerbatim(offset: 0)),
            ("=4\r\ntxtx\r\n", .invalidVerbatim(offset: 0)),
        ]
        for (wire, error) in cases {
            #expect(throws: error, "\(wire.debugDescription)") { try RESPValue.parse([UInt8](wire)) }
        }
    }

    @Test func deepNestingIsRefused() throws {
        let deep = [UInt8](String(repeating: "*1\r\n", count: RESPValue.maxNestingDepth + 5) + ":1\r\n")
        #expect(throws: RESPValue.ParseError.nestingTooDeep) { try RESPValue.parse(deep) }
        let fine = [UInt8](String(repeating: "*1\r\n", count: 50) + ":1\r\n")
        #expect(try #require(try RESPValue.parse(fine)).consumed == fine.count)
    }

    @Test func hugeDeclaredSizesAreIncompleteNotAllocated() throws {
        #expect(try RESPValue.parse([UInt8]("$2147483647\r\nabc")) == nil)
        #expect(try RESPValue.parse([UInt8]("*2147483647\r\n:1\r\n")) == nil)
        #expect(try RESPValue.parse([UInt8]("%2147483647\r\n:1\r\n")) == nil)
        #expect(throws: RESPValue.ParseError.invalidLength(offset: 0)) {
            try RESPValue.parse([UInt8]("$2147483648\r\n"))
        }
    }

    @Test func readerReturnsValuesAcrossChunks() throws {
        let stream = [UInt8]("+OK\r\n*2\r\n$1\r\na\r\n$1\r\nb\r\n:7\r\n")
        var reader = RESPValueReader()
        var values: [RESPValue] = []
        for byte in stream {
            reader.append([byte])
            while let v = try reader.next() { values.append(v) }
        }
        #expect(values == [.simpleString("OK"), .array([.bulk("a"), .bulk("b")]), .integer(7)])
        #expect(reader.pendingByteCount == 0)
    }

    @Test func encodeCommandIsWhatTheRequestParserReads() {
        let args: [[UInt8]] = [[UInt8]("SET"), [0, 13, 10], []]
        let bytes = RESPValue.encodeCommand(args)
        #expect(bytes == [UInt8]("*3\r\n$3\r\nSET\r\n$3\r\n") + [0, 13, 10] + [UInt8]("\r\n$0\r\n\r\n"))
        #expect(feed([bytes]).outcomes == [.command(args)])
        #expect(RESPValue.encodeCommand(["GET", "k"]) == [UInt8]("*2\r\n$3\r\nGET\r\n$1\r\nk\r\n"))
    }
}

@Suite("RESPWriter output read back by RESPValue")
struct RoundTripTests {
    static func replies(_ w: inout RESPWriter) {
        w.ok()
        w.simpleString("PONG")
        w.error("ERR something")
        w.integer(-12)
        w.bulk("hello")
        w.bulk("")
        w.bulkInteger(42)
        w.null()
        w.nullArray()
        w.arrayHeader(2)
        w.bulk("a")
        w.integer(1)
        w.mapHeader(1)
        w.bulk("k")
        w.bulk("v")
        w.setHeader(1)
        w.bulk("m")
        w.pushHeader(2)
        w.bulk("message")
        w.bulk("x")
        w.boolean(true)
        w.double(2.5)
        w.double(-.infinity)
        w.verbatim("info text")
    }

    @Test func resp2() throws {
        let expected: [RESPValue] = [
            .simpleString("OK"), .simpleString("PONG"), .error("ERR something"), .integer(-12), .bulk("hello"),
            .bulk(""), .bulk("42"), .bulkString(nil), .array(nil), .array([.bulk("a"), .integer(1)]),
            .array([.bulk("k"), .bulk("v")]), .array([.bulk("m")]), .array([.bulk("message"), .bulk("x")]),
            .integer(1), .bulk("2.5"), .bulk("-inf"), .bulk("info text"),
        ]
        #expect(try readAll(writtenBytes(2, Self.replies)) == expected)
    }

    @Test func resp3() throws {
        let expected: [RESPValue] = [
            .simpleString("OK"), .simpleString("PONG"), .error("ERR something"), .integer(-12), .bulk("hello"),
            .bulk(""), .bulk("42"), .null, .null, .array([.bulk("a"), .integer(1)]),
            .map([.init(.bulk("k"), .bulk("v"))]), .set([.bulk("m")]), .push([.bulk("message"), .bulk("x")]),
            .boolean(true), .double(2.5), .double(-.infinity), .verbatim(format: "txt", text: "info text"),
        ]
        #expect(try readAll(writtenBytes(3, Self.replies)) == expected)
    }

    func readAll(_ bytes: [UInt8]) throws -> [RESPValue] {
        var reader = RESPValueReader()
        reader.append(bytes)
        var values: [RESPValue] = []
        while let v = try reader.next() { values.append(v) }
        #expect(reader.pendingByteCount == 0)
        return values
    }
}
