#if canImport(Glibc)
import Glibc
#endif
import Dispatch
import CPlatform
import Logging
import ServerConfig

/// Process-level startup: configuration, logging, signals, and the node's lifetime.
public enum ServerMain {
    public static let versionLine =
        "Shoal server v=\(ShoalVersion.redis) sha=00000000:0 malloc=libc bits=64 build=shoal-\(ShoalVersion.shoal)"

    /// Runs a node until it is told to stop; returns the exit code.
    public static func run(arguments: [String]) -> Int32 {
        shoal_configure_allocator()
        let configuration: Configuration
        let warnings: [String]
        do {
            (configuration, warnings) = try Configuration.load(arguments: arguments)
        } catch {
            // Redis prints fatal configuration errors on standard error, then exits 1.
            let text = "\n\(error)\n"
            _ = text.withCString { write(2, $0, strlen($0)) }
            return 1
        }
        let logger = RedisLogHandler.bootstrap(configuration: configuration)
        logger.warning("oO0OoO0OoO0Oo Shoal is starting oO0OoO0OoO0Oo")
        logger.warning(
            "Shoal version=\(ShoalVersion.shoal), redis_version=\(ShoalVersion.redis), bits=64, pid=\(getpid()), just started")
        if configuration.configFile.isEmpty {
            logger.warning("Warning: no config file specified, using the default config. In order to specify a config file use shoal-server /path/to/shoal.conf")
        } else {
            logger.warning("Configuration loaded")
        }
        for warning in warnings { logger.warning("\(warning)") }

        if !configuration.dir.isEmpty && chdir(configuration.dir) != 0 {
            logger.warning("Can't chdir to '\(configuration.dir)': \(String(cString: strerror(errno)))")
            return 1
        }

        let server = ShoalServer(configuration: configuration, logger: logger)
        logger.notice("Running mode=\(configuration.clusterEnabled ? "cluster" : "standalone"), port=\(configuration.port), event loops=\(server.ioThreads), PID: \(getpid())")
        do {
            try server.loadDataAtStartup()
        } catch {
            logger.warning("Fatal error loading the DB: \(error). Exiting.")
            return 1
        }
        do {
            try server.start()
        } catch {
            logger.warning("\(error)")
            return 1
        }
        logger.warning("Server initialized")
        logger.notice("Ready to accept connections tcp")

        let signals = installSignalHandlers(server: server, logger: logger)
        let code = server.waitForShutdown()
        signals.forEach { $0.cancel() }
        return code
    }

    /// SIGTERM and SIGINT stop the node gracefully, as they stop redis-server.
    private static func installSignalHandlers(server: ShoalServer, logger: Logger) -> [DispatchSourceSignal] {
        signal(SIGPIPE, SIG_IGN)
        return [(SIGTERM, "SIGTERM", "shutdown-on-sigterm"), (SIGINT, "SIGINT", "shutdown-on-sigint")].map {
            (number, name, directive) in
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler {
                logger.warning("Received \(name) scheduling shutdown...")
                server.shutdownOnSignal(directive: directive)
            }
            source.resume()
            return source
        }
    }
}
