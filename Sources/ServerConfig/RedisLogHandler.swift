import Glibc
import Logging
import Synchronization

/// The role character in Redis log lines.
public enum RedisLogRole: Character, Sendable {
    case master = "M"
    case replica = "S"
    case child = "C"
    case sentinel = "X"
}

extension RedisLogLevel {
    /// The swift-log threshold for this Redis verbosity.
    public var loggerLevel: Logger.Level {
        switch self {
        case .debug: .debug
        case .verbose: .info
        case .notice: .notice
        case .warning: .warning
        }
    }

    /// The Redis level a swift-log level is written as.
    public init(_ level: Logger.Level) {
        switch level {
        case .trace, .debug: self = .debug
        case .info: self = .verbose
        case .notice: self = .notice
        case .warning, .error, .critical: self = .warning
        }
    }

    fileprivate var code: UInt8 {
        switch self {
        case .debug: 0
        case .verbose: 1
        case .notice: 2
        case .warning: 3
        }
    }

    fileprivate init(code: UInt8) {
        self = [.debug, .verbose, .notice, .warning][Int(min(code, 3))]
    }
}

/// Where Redis-format log lines go: standard output or a log file, shared by every
/// ``RedisLogHandler``. The verbosity lives here, so one change (CONFIG SET loglevel) applies
/// to every logger at once, as Redis has one global verbosity.
public final class RedisLogSink: Sendable {
    /// The sink ``RedisLogHandler/bootstrap(configuration:)`` configures and installs.
    public static let main = RedisLogSink()

    private struct Output: Sendable {
        var role: RedisLogRole
        /// Absolute path, or empty for standard output.
        var logFile: String
    }

    private let levelCode: Atomic<UInt8>
    private let output: Mutex<Output>

    public init(level: RedisLogLevel = .notice, logFile: String = "", role: RedisLogRole = .master) {
        levelCode = Atomic(level.code)
        output = Mutex(Output(role: role, logFile: logFile))
    }

    /// Lines below this level are dropped.
    public var level: RedisLogLevel {
        get { RedisLogLevel(code: levelCode.load(ordering: .relaxed)) }
        set { levelCode.store(newValue.code, ordering: .relaxed) }
    }

    public var role: RedisLogRole {
        get { output.withLock { $0.role } }
        set { output.withLock { $0.role = newValue } }
    }

    /// Empty: standard output. Otherwise lines are appended to this file, which is opened and
    /// closed for each line as Redis does (so log rotation needs no signal).
    public var logFile: String {
        get { output.withLock { $0.logFile } }
        set { output.withLock { $0.logFile = newValue } }
    }

    /// Writes one line if `level` passes the verbosity.
    public func log(_ level: RedisLogLevel, _ message: String) {
        guard level >= self.level else { return }
        write(level, message)
    }

    /// Writes one line regardless of the verbosity.
    public func write(_ level: RedisLogLevel, _ message: String) {
        output.withLock { out in
            let line = Self.format(pid: getpid(), role: out.role, time: Self.now(), level: level, message: message)
            var bytes = Array(line.utf8)
            bytes.append(0x0A)
            if out.logFile.isEmpty {
                Self.writeAll(1, bytes)
            } else {
                let fd = open(out.logFile, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0o644)
                guard fd >= 0 else { return }  // Redis silently drops the line too.
                Self.writeAll(fd, bytes)
                close(fd)
            }
        }
    }

    private static func writeAll(_ fd: Int32, _ bytes: [UInt8]) {
        bytes.withUnsafeBytes { raw in
            var offset = 0
            while offset < raw.count {
                let n = Glibc.write(fd, raw.baseAddress! + offset, raw.count - offset)
                if n > 0 {
                    offset += n
                } else if n < 0 && errno == EINTR {
                    continue
                } else {
                    return
                }
            }
        }
    }

    /// Wall-clock time as (seconds, microseconds).
    static func now() -> timeval {
        var tv = timeval()
        gettimeofday(&tv, nil)
        return tv
    }

    static let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]

    /// `<pid>:<role> <dd> <Mon> <yyyy> <HH>:<MM>:<SS>.<mmm> <levelchar> <message>` in local time,
    /// e.g. `12345:M 21 Nov 2026 06:10:01.123 * Ready to accept connections tcp`.
    public static func format(pid: Int32, role: RedisLogRole, time: timeval, level: RedisLogLevel, message: String) -> String {
        var seconds = time.tv_sec
        var tm = tm()
        localtime_r(&seconds, &tm)
        func two(_ v: Int32) -> String { v < 10 ? "0\(v)" : "\(v)" }
        let millis = Int(time.tv_usec) / 1000
        let ms = millis < 10 ? "00\(millis)" : millis < 100 ? "0\(millis)" : "\(millis)"
        return "\(pid):\(role.rawValue) \(two(tm.tm_mday)) \(months[Int(tm.tm_mon)]) \(tm.tm_year + 1900) "
            + "\(two(tm.tm_hour)):\(two(tm.tm_min)):\(two(tm.tm_sec)).\(ms) \(level.character) \(message)"
    }
}

/// A swift-log handler writing Redis's log format through a ``RedisLogSink``.
///
/// Level characters: debug/trace `.`, info (Redis "verbose") `-`, notice `*`, warning/error/critical `#`.
/// The log level is the sink's (shared); metadata, if any, is appended as ` key=value` pairs.
public struct RedisLogHandler: LogHandler {
    public let sink: RedisLogSink
    public var metadata: Logger.Metadata = [:]
    public var metadataProvider: Logger.MetadataProvider?

    public init(sink: RedisLogSink = .main, metadataProvider: Logger.MetadataProvider? = nil) {
        self.sink = sink
        self.metadataProvider = metadataProvider
    }

    public var logLevel: Logger.Level {
        get { sink.level.loggerLevel }
        set { sink.level = RedisLogLevel(newValue) }
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var merged = metadata
        if let provided = metadataProvider?.get() { merged.merge(provided) { $1 } }
        if let extra = event.metadata { merged.merge(extra) { $1 } }
        var message = event.message.description
        if !merged.isEmpty {
            message += merged.sorted { $0.key < $1.key }.map { " \($0.key)=\($0.value)" }.joined()
        }
        sink.write(RedisLogLevel(event.level), message)
    }

    /// Points ``RedisLogSink/main`` at the configured `logfile` and `loglevel`, follows CONFIG SET
    /// loglevel, installs the handler as the process-wide swift-log backend (once per process) and
    /// returns a logger.
    public static func bootstrap(configuration: Configuration, label: String = "shoal-server") -> Logger {
        let sink = RedisLogSink.main
        configure(sink, from: configuration)
        LoggingBootstrap.once.withLock { done in
            if !done {
                LoggingSystem.bootstrap { _ in RedisLogHandler(sink: sink) }
                done = true
            }
        }
        return Logger(label: label) { _ in RedisLogHandler(sink: sink) }
    }

    /// A logger on `sink` (configured from `configuration`), without touching the global
    /// logging system; for tests and embedding.
    public static func logger(
        configuration: Configuration, sink: RedisLogSink = RedisLogSink(), label: String = "shoal-server"
    ) -> Logger {
        configure(sink, from: configuration)
        return Logger(label: label) { _ in RedisLogHandler(sink: sink) }
    }

    private static func configure(_ sink: RedisLogSink, from configuration: Configuration) {
        let values = configuration.values
        sink.level = values.logLevel
        sink.logFile = values.logFile.isEmpty ? "" : FilePaths.absolute(values.logFile, relativeTo: values.dir)
        configuration.onChange("loglevel") { [sink] newValue in
            if let level = RedisLogLevel(rawValue: newValue) { sink.level = level }
        }
    }
}

private enum LoggingBootstrap {
    static let once = Mutex(false)
}
