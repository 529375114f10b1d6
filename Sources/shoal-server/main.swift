#if canImport(Glibc)
import Glibc
#endif
import ArgumentParser
import Server

/// `shoal-server --help` / `--version`. Everything else is redis-server's own grammar
/// (`[config-file] [--directive value ...]`), which the configuration loader parses: directive
/// values may be empty (`--save ""`) or start with dashes, which no flag parser accepts.
struct ShoalServerCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "shoal-server",
        abstract: "A Redis-compatible, slot-sharded in-memory cache node.",
        discussion: """
            Usage is the same as redis-server:
              shoal-server [/path/to/shoal.conf] [--directive value ...]
              shoal-server --port 7777
              shoal-server /etc/redis/6379.conf --loglevel verbose
            Directives are redis.conf directives; command-line ones apply after the file's.
            """,
        version: ServerMain.versionLine)
}

let arguments = Array(CommandLine.arguments.dropFirst())
if arguments.count == 1, ["-h", "--help", "-v", "--version"].contains(arguments[0]) {
    ShoalServerCommand.main(arguments == ["-v"] ? ["--version"] : arguments)
}
exit(ServerMain.run(arguments: arguments))
