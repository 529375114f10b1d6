/// A configuration that cannot be loaded. `description` is exactly what redis-server prints to
/// stderr before exiting with status 1 (without the blank line Redis prints first), e.g.
///
/// ```
/// *** FATAL CONFIG FILE ERROR (Redis 7.0.15) ***
/// Reading the configuration file, at line 12
/// >>> 'bogus-directive yes'
/// Bad directive or wrong number of arguments
/// ```
public struct ConfigError: Error, Equatable, Sendable, CustomStringConvertible {
    public enum Kind: Equatable, Sendable {
        /// The FATAL CONFIG FILE ERROR frame.
        case badConfiguration
        /// "Fatal error, can't open config file '...': ..." (Redis logs it and exits).
        case cannotOpenFile
    }

    public var kind: Kind
    /// Redis's reason text ("Bad directive or wrong number of arguments", "argument must be 'yes' or 'no'", ...).
    public var reason: String
    /// 1-based line number in the text being parsed (the file, plus stdin, plus the command-line
    /// options appended after it, as Redis numbers them); nil for whole-configuration checks.
    public var line: Int?
    /// The offending line, trimmed.
    public var lineText: String?
    /// The file that was being read: the config file (also for command-line options, which Redis
    /// appends to it) or an included file; nil when there is no file.
    public var file: String?

    public init(kind: Kind = .badConfiguration, reason: String, line: Int? = nil, lineText: String? = nil, file: String? = nil) {
        self.kind = kind
        self.reason = reason
        self.line = line
        self.lineText = lineText
        self.file = file
    }

    public var description: String {
        switch kind {
        case .cannotOpenFile:
            return reason
        case .badConfiguration:
            var text = "*** FATAL CONFIG FILE ERROR (Redis \(RedisDirectives.redisVersion)) ***\n"
            if let line, let lineText {
                text += "Reading the configuration file, at line \(line)\n>>> '\(lineText)'\n"
            }
            return text + reason
        }
    }
}

/// A refused CONFIG SET. `message` is the full error reply text, `ERR ...` included.
public enum ConfigSetError: Error, Equatable, Sendable, CustomStringConvertible {
    /// `ERR Unknown option or number of arguments for CONFIG SET - '<name>'`
    case unknownOption(String)
    /// `ERR CONFIG SET failed (possibly related to argument '<name>') - <reason>`
    case failed(argument: String, reason: String)

    public var message: String {
        switch self {
        case .unknownOption(let name):
            "ERR Unknown option or number of arguments for CONFIG SET - '\(name)'"
        case .failed(let argument, let reason):
            "ERR CONFIG SET failed (possibly related to argument '\(argument)') - \(reason)"
        }
    }

    public var description: String { message }
}
