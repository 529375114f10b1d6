import NIOCore
import RESP
import Testing

func written(_ protocolVersion: Int, _ body: (inout RESPWriter) -> Void) -> String {
    var writer = RESPWriter(buffer: ByteBuffer(), protocolVersion: protocolVersion)
    body(&writer)
    return String(buffer: writer.buffer)
}

func writtenBytes(_ protocolVersion: Int, _ body: (inout RESPWriter) -> Void) -> [UInt8] {
    var writer = RESPWriter(buffer: ByteBuffer(), protocolVersion: protocolVersion)
    body(&writer)
    return Array(writer.buffer.readableBytesView)
}

@Suite("RESPWriter")
struct RESPWriterTests {
    @Test func formatDecimal() {
        let cases: [(Int, String)] = [
            (0, "0"), (7, "7"), (9, "9"), (10, "10"), (-1, "-1"), (-9, "-9"), (-10, "-10"), (1234567890, "1234567890"),
            (Int.max, "9223372036854775807"), (Int.min, "-9223372036854775808"), (Int.min + 1, "-9223372036854775807"),
        ]
        for (value, text) in cases {
            var scratch = [UInt8](repeating: 0xAA, count: 24)
            let n = scratch.withUnsafeMutableBytes { RESPWriter.formatDecimal(value, into: $0.baseAddress!) }
            #expect(n == text.utf8.count)
            #expect(String(decoding: scratch[0..<n], as: UTF8.self) == text)
            #expect(scratch[n] == 0xAA, "wrote past its length")
        }
    }

    @Test func formatDouble() {
        let cases: [(Double, String)] = [
            (.infinity, "inf"), (-.infinity, "-inf"), (1.5, "1.5"), (3, "3"), (-3, "-3"), (0, "0"), (-0.0, "-0"), (0.1, "0.1"),
            (-2.25, "-2.25"), (1e16, "10000000000000000"), (.nan, "nan"),
        ]
        for (value, text) in cases {
            #expect(RESPWriter.formatDouble(value) == text, "\(value)")
        }
    }

    @Test func simpleReplies() {
        for version in [2, 3] {
            #expect(written(version) { $0.ok() } == "+OK\r\n")
            #expect(written(version) { $0.simpleString("PONG") } == "+PONG\r\n")
            #expect(written(version) { $0.simpleString(String("QUEUED")) } == "+QUEUED\r\n")
            #expect(written(version) { $0.simpleString(String("a\r\nb")) } == "+a  b\r\n")
            #expect(written(version) { $0.error("ERR syntax error") } == "-ERR syntax error\r\n")
            #expect(written(version) { $0.error(String("ERR bad\r\nthing")) } == "-ERR bad  thing\r\n")
            #expect(written(version) { $0.integer(0) } == ":0\r\n")
            #expect(written(version) { $0.integer(-42) } == ":-42\r\n")
            #expect(written(version) { $0.integer(Int.max) } == ":9223372036854775807\r\n")
            #expect(written(version) { $0.integer(Int.min) } == ":-9223372036854775808\r\n")
            #expect(written(version) { $0.bulk("hello") } == "$5\r\nhello\r\n")
            #expect(written(version) { $0.bulk(String("héllo")) } == "$6\r\nhéllo\r\n")
            #expect(written(version) { $0.bulk("") } == "$0\r\n\r\n")
            #expect(written(version) { $0.bulk(UnsafeRawBufferPointer(start: nil, count: 0)) } == "$0\r\n\r\n")
            #expect(written(version) { $0.bulkInteger(0) } == "$1\r\n0\r\n")
            #expect(written(version) { $0.bulkInteger(-123) } == "$4\r\n-123\r\n")
            #expect(written(version) { $0.bulkInteger(Int.min) } == "$20\r\n-9223372036854775808\r\n")
            #expect(written(version) { $0.arrayHeader(3) } == "*3\r\n")
            #expect(written(version) { $0.arrayHeader(0) } == "*0\r\n")
            #expect(written(version) { $0.writeRaw("+raw\r\n") } == "+raw\r\n")
        }
    }

    @Test func binaryBulk() {
        let payload: [UInt8] = [0, 13, 10, 255, 36]
        let bytes = writtenBytes(2) { w in payload.withUnsafeBytes { w.bulk($0) } }
        #expect(bytes == [UInt8]("$5\r\n") + payload + [13, 10])
    }

    @Test func largeBulkGrowsTheBuffer() {
        let payload = [UInt8](repeating: 120, count: 100_000)
        let bytes = writtenBytes(2) { w in payload.withUnsafeBytes { w.bulk($0) } }
        #expect(bytes == [UInt8]("$100000\r\n") + payload + [13, 10])
    }

    @Test func repliesThatDependOnTheProtocol() {
        #expect(written(2) { $0.null() } == "$-1\r\n")
        #expect(written(3) { $0.null() } == "_\r\n")
        #expect(written(2) { $0.nullArray() } == "*-1\r\n")
        #expect(written(3) { $0.nullArray() } == "_\r\n")
        #expect(written(2) { $0.mapHeader(2) } == "*4\r\n")
        #expect(written(3) { $0.mapHeader(2) } == "%2\r\n")
        #expect(written(2) { $0.setHeader(5) } == "*5\r\n")
        #expect(written(3) { $0.setHeader(5) } == "~5\r\n")
        #expect(written(2) { $0.pushHeader(3) } == "*3\r\n")
        #expect(written(3) { $0.pushHeader(3) } == ">3\r\n")
        #expect(written(2) { $0.boolean(true) } == ":1\r\n")
        #expect(written(2) { $0.boolean(false) } == ":0\r\n")
        #expect(written(3) { $0.boolean(true) } == "#t\r\n")
        #expect(written(3) { $0.boolean(false) } == "#f\r\n")
        #expect(written(2) { $0.double(1.5) } == "$3\r\n1.5\r\n")
        #expect(written(3) { $0.double(1.5) } == ",1.5\r\n")
        #expect(written(2) { $0.double(3) } == "$1\r\n3\r\n")
        #expect(written(3) { $0.double(3) } == ",3\r\n")
        #expect(written(2) { $0.double(.infinity) } == "$3\r\ninf\r\n")
        #expect(written(3) { $0.double(.infinity) } == ",inf\r\n")
        #expect(written(2) { $0.double(-.infinity) } == "$4\r\n-inf\r\n")
        #expect(written(3) { $0.double(-.infinity) } == ",-inf\r\n")
        #expect(written(2) { $0.double(0.1) } == "$3\r\n0.1\r\n")
        #expect(written(3) { $0.double(0.1) } == ",0.1\r\n")
        #expect(written(2) { $0.verbatim("Some string") } == "$11\r\nSome string\r\n")
        #expect(written(3) { $0.verbatim("Some string") } == "=15\r\ntxt:Some string\r\n")
        #expect(written(3) { $0.verbatim("# x", format: "mkd") } == "=7\r\nmkd:# x\r\n")
        #expect(written(3) { $0.verbatim("") } == "=4\r\ntxt:\r\n")
    }

    @Test func repliesFollowOneAnother() {
        let text = written(3) { w in
            w.arrayHeader(2)
            w.bulk("a")
            w.integer(1)
            w.ok()
        }
        #expect(text == "*2\r\n$1\r\na\r\n:1\r\n+OK\r\n")
    }
}
