import RESP
import Testing

/// Before AUTH (when a password is required) Redis 7.0 accepts only small frames.
@Suite("RESPRequestParser: unauthenticated limits")
struct UnauthenticatedLimitsTests {
    private func unauthenticatedParser() -> RESPRequestParser {
        let parser = RESPRequestParser()
        parser.unauthenticated = true
        return parser
    }

    @Test func smallCommandsPass() {
        let (outcomes, _) = feed([Array("*2\r\n$4\r\nAUTH\r\n$6\r\nsecret\r\n")], parser: unauthenticatedParser())
        #expect(outcomes == [.cmd("AUTH", "secret")])
    }

    @Test func moreThanTenArgumentsAreRefused() {
        let (outcomes, _) = feed([Array("*11\r\n")], parser: unauthenticatedParser())
        #expect(outcomes == [.error("ERR Protocol error: unauthenticated multibulk length")])
    }

    @Test func theUnauthenticatedLimitIsReportedBeforeTheSizeLimit() {
        // Redis checks the client's own limit first, even for counts over the general maximum.
        let (outcomes, _) = feed([Array("*2000000\r\n")], parser: unauthenticatedParser())
        #expect(outcomes == [.error("ERR Protocol error: unauthenticated multibulk length")])
    }

    @Test func bulksOver16KiBAreRefusedBeforeTheirPayloadArrives() {
        let (outcomes, _) = feed([Array("*1\r\n$16385\r\n")], parser: unauthenticatedParser())
        #expect(outcomes == [.error("ERR Protocol error: unauthenticated bulk length")])
        let (ok, _) = feed([Array("*1\r\n$16384\r\n") + [UInt8](repeating: 120, count: 16384) + Array("\r\n")],
                           parser: unauthenticatedParser())
        #expect(ok == [.command([[UInt8](repeating: 120, count: 16384)])])
    }

    @Test func authenticatedParsersKeepTheGeneralLimits() {
        let (outcomes, _) = feed([Array("*11\r\n")])
        #expect(outcomes.isEmpty)
        let (huge, _) = feed([Array("*2000000\r\n")])
        #expect(huge == [.error("ERR Protocol error: invalid multibulk length")])
    }
}
