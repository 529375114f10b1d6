import Glibc
import Logging
import Testing
@testable import ServerConfig

@Suite("Redis log format")
struct RedisLogHandlerTests {
    /// `<pid>:<role> <dd> <Mon> <yyyy> <HH>:<MM>:<SS>.<mmm> <c> <message>`
    private func matchesRedisFormat(_ line: Substring, level: Character, role: Character = "M", message: String) -> Bool {
        let parts = line.split(separator: " ", maxSplits: 5, omittingEmptySubsequences: false)
        guard parts.count == 6 else { return false }
        let pidRole = parts[0].split(separator: ":")
        let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
        let time = Array(parts[4])
        return pidRole.count == 2 && Int(pidRole[0]) == Int(getpid()) && pidRole[1] == String(role)
            && parts[1].count == 2 && Int(parts[1]) != nil
            && months.contains(String(parts[2]))
            && parts[3].count == 4 && Int(parts[3]) != nil
            && time.count == 12 && time[2] == ":" && time[5] == ":" && time[8] == "."
            && Int(String(time[9...])) != nil
            && parts[5] == "\(level) \(message)"
    }

    @Test func exactLineInUTC() {
        setenv("TZ", "UTC", 1)
        tzset()
        // 2026-11-21 06:10:01.123 UTC
        let line = RedisLogSink.format(
            pid: 12345, role: .master, time: timeval(tv_sec: 1_795_241_401, tv_usec: 123_456), level: .notice,
            message: "Ready to accept connections tcp")
        #expect(line == "12345:M 21 Nov 2026 06:10:01.123 * Ready to accept connections tcp")
        let early = RedisLogSink.format(
            pid: 7, role: .replica, time: timeval(tv_sec: 0, tv_usec: 5_000), level: .warning, message: "x")
        #expect(early == "7:S 01 Jan 1970 00:00:00.005 # x")
    }

    @Test func levelCharacters() {
        #expect(RedisLogLevel(Logger.Level.trace).character == ".")
        #expect(RedisLogLevel(Logger.Level.debug).character == ".")
        #expect(RedisLogLevel(Logger.Level.info).character == "-")
        #expect(RedisLogLevel(Logger.Level.notice).character == "*")
        #expect(RedisLogLevel(Logger.Level.warning).character == "#")
        #expect(RedisLogLevel(Logger.Level.error).character == "#")
        #expect(RedisLogLevel(Logger.Level.critical).character == "#")
        #expect(RedisLogLevel.debug.loggerLevel == .debug)
        #expect(RedisLogLevel.verbose.loggerLevel == .info)
        #expect(RedisLogLevel.notice.loggerLevel == .notice)
        #expect(RedisLogLevel.warning.loggerLevel == .warning)
    }

    @Test func writesToLogFileWithFilteringAndLiveLevelChanges() throws {
        let dir = TempDir()
        let (configuration, _) = try loadArgs(["--dir", dir.path, "--logfile", "shoal.log", "--loglevel", "notice"])
        let sink = RedisLogSink()
        var logger = RedisLogHandler.logger(configuration: configuration, sink: sink)
        #expect(sink.logFile == dir.path + "/shoal.log")
        #expect(logger.logLevel == .notice)

        logger.info("hidden verbose line")
        logger.notice("Ready to accept connections tcp")
        logger.warning("careful")
        logger.error("bad")
        _ = try configuration.set([("loglevel", "debug")]).get()  // CONFIG SET follows through
        logger.debug("now visible")
        logger.info("verbose too")
        sink.role = .child
        logger[metadataKey: "slot"] = "42"
        logger.notice("with metadata")

        let lines = dir.read("shoal.log").split(separator: "\n")
        #expect(lines.count == 6)
        guard lines.count == 6 else { return }
        #expect(matchesRedisFormat(lines[0], level: "*", message: "Ready to accept connections tcp"))
        #expect(matchesRedisFormat(lines[1], level: "#", message: "careful"))
        #expect(matchesRedisFormat(lines[2], level: "#", message: "bad"))
        #expect(matchesRedisFormat(lines[3], level: ".", message: "now visible"))
        #expect(matchesRedisFormat(lines[4], level: "-", message: "verbose too"))
        #expect(matchesRedisFormat(lines[5], level: "*", role: "C", message: "with metadata slot=42"))
    }

    @Test func loggerLevelSetterChangesSharedLevel() {
        let sink = RedisLogSink(level: .notice)
        var a = Logger(label: "a") { _ in RedisLogHandler(sink: sink) }
        let b = Logger(label: "b") { _ in RedisLogHandler(sink: sink) }
        a.logLevel = .warning
        #expect(sink.level == .warning)
        #expect(b.logLevel == .warning)
    }

    @Test func concurrentWritesStayWholeLines() async throws {
        let dir = TempDir()
        let sink = RedisLogSink(level: .debug, logFile: dir.path + "/c.log")
        await withTaskGroup(of: Void.self) { group in
            for t in 0..<4 {
                group.addTask {
                    let logger = Logger(label: "t") { _ in RedisLogHandler(sink: sink) }
                    for i in 0..<50 { logger.notice("task \(t) line \(i) \(String(repeating: "x", count: 200))") }
                }
            }
        }
        let lines = dir.read("c.log").split(separator: "\n")
        #expect(lines.count == 200)
        #expect(lines.allSatisfy { $0.hasSuffix(String(repeating: "x", count: 200)) && $0.contains(" * task ") })
    }
}
