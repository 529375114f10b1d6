import Glibc
import Testing
@testable import ServerConfig

@Suite("Loading redis.conf and the command line")
struct ConfigLoadTests {
    @Test func defaults() throws {
        let (c, warnings) = try loadArgs([])
        #expect(warnings.isEmpty)
        #expect(c.configFile == "")
        #expect(c.port == 6379)
        #expect(c.bindAddresses == ["*", "-::*"])
        #expect(c.protectedMode)
        #expect(c.databases == 16)
        #expect(c.hz == 10)
        #expect(c.maxClients == 10000)
        #expect(c.timeoutSeconds == 0)
        #expect(c.tcpKeepalive == 300)
        #expect(c.tcpBacklog == 511)
        #expect(c.ioThreads == 0)
        #expect(c.logLevel == .notice)
        #expect(c.logFile == "")
        #expect(c.requirePass == "")
        #expect(c.protoMaxBulkLen == 512 * 1024 * 1024)
        #expect(c.clientQueryBufferLimit == 1 << 30)
        #expect(!c.clusterEnabled)
        #expect(c.clusterConfigFile == "nodes.conf")
        #expect(c.clusterNodeTimeout == 15000)
        #expect(c.savePoints.map(\.seconds) == [3600, 300, 60])
        #expect(c.maxMemory == 0)
        #expect(c.maxMemoryPolicy == "noeviction")
        #expect(c.dir == FilePaths.canonical(FilePaths.currentDirectory()))
    }

    @Test func typicalFile() throws {
        let dir = TempDir()
        let conf = """
            # a comment
              # an indented comment
            port 7001
            bind 127.0.0.1 -::1
            protected-mode no
            databases 4
            hz 100
            maxclients 500
            timeout 30
            tcp-keepalive 60
            tcp-backlog 128
            io-threads 3
            io-threads-do-reads yes
            LogLevel VERBOSE
            requirepass "s3cret pass"
            proto-max-bulk-len 1gb
            client-query-buffer-limit 100mb
            cluster-enabled yes
            cluster-config-file nodes-7001.conf
            cluster-node-timeout 5000
            cluster-port 17001
            dir \(dir.path)
            """
        let (c, warnings) = try loadFile(conf, in: dir)
        #expect(warnings.isEmpty)
        #expect(c.configFile == dir.path + "/test.conf")
        #expect(c.port == 7001)
        #expect(c.bindAddresses == ["127.0.0.1", "-::1"])
        #expect(!c.protectedMode)
        #expect(c.databases == 4)
        #expect(c.hz == 100)
        #expect(c.maxClients == 500)
        #expect(c.timeoutSeconds == 30)
        #expect(c.tcpKeepalive == 60)
        #expect(c.tcpBacklog == 128)
        #expect(c.ioThreads == 3)
        #expect(c.logLevel == .verbose)
        #expect(c.requirePass == "s3cret pass")
        #expect(c.protoMaxBulkLen == 1 << 30)
        #expect(c.clientQueryBufferLimit == 100 << 20)
        #expect(c.clusterEnabled)
        #expect(c.clusterConfigFile == "nodes-7001.conf")
        #expect(c.clusterNodeTimeout == 5000)
        #expect(c.clusterPort == 17001)
        #expect(c.dir == dir.path)
    }

    @Test func commandLineOverridesFile() throws {
        let (c, _) = try loadFile("port 7001\nloglevel warning\n", ["--port", "7002", "--hz", "50"])
        #expect(c.port == 7002)
        #expect(c.hz == 50)
        #expect(c.logLevel == .warning)
    }

    @Test func commandLineOnly() throws {
        let (c, _) = try loadArgs(["--port", "7777", "--bind", "127.0.0.1", "::1", "--requirepass", "a b"])
        #expect(c.port == 7777)
        #expect(c.bindAddresses == ["127.0.0.1", "::1"])
        #expect(c.requirePass == "a b")
        #expect(c.configFile == "")
    }

    @Test func commandLineSynthesis() {
        #expect(CommandLineConfig(arguments: ["/etc/r.conf", "--port", "7000", "--loglevel", "verbose"])
            == CommandLineConfig(configFile: "/etc/r.conf", options: "port \"7000\" \nloglevel \"verbose\" "))
        // A value may start with "--" right after a bare option name (7.0.1+).
        #expect(CommandLineConfig(arguments: ["--requirepass", "--weird"]).options == "requirepass \"--weird\" ")
        // Several values until the next option.
        #expect(CommandLineConfig(arguments: ["--save", "900", "1", "300", "10"]).options
            == "save \"900\" \"1\" \"300\" \"10\" ")
        // `--save` without a value, in the middle or at the end, means `save ""`.
        #expect(CommandLineConfig(arguments: ["--save", "--port", "1"]).options == "save \"\"\nport \"1\" ")
        #expect(CommandLineConfig(arguments: ["--port", "1", "--save"]).options == "port \"1\" \nsave \"\"")
        // Name and value in one argument.
        #expect(CommandLineConfig(arguments: ["--port 6380"]).options == "port 6380 ")
        // `-` first or last reads stdin.
        #expect(CommandLineConfig(arguments: ["-"]).readStandardInput)
        #expect(CommandLineConfig(arguments: ["/x.conf", "--port", "1", "-"]).readStandardInput)
    }

    @Test func emptyValueFromCommandLine() throws {
        let (c, _) = try loadArgs(["--save", "", "--requirepass", ""])
        #expect(c.savePoints.isEmpty)
        #expect(c.requirePass == "")
    }

    @Test func standardInput() throws {
        let dir = TempDir()
        let file = dir.write("base.conf", "port 7001\nhz 20\n")
        let (c, warnings) = try Configuration.load(
            arguments: [file, "--hz", "30", "-"], readStandardInput: { Array("port 7002\nloglevel debug\n".utf8) })
        #expect(c.port == 7002)  // stdin comes after the file
        #expect(c.hz == 30)  // options come after stdin
        #expect(c.logLevel == .debug)
        #expect(warnings == ["Reading config from stdin"])
    }

    @Test func textLoader() throws {
        let (c, warnings) = try Configuration.load(text: "port 1234\n")
        #expect(c.port == 1234)
        #expect(warnings.isEmpty)
    }

    @Test func include() throws {
        let dir = TempDir()
        dir.write("inner.conf", "port 7100\nhz 77\n")
        _ = dir.mkdir("conf.d")
        dir.write("conf.d/a.conf", "maxclients 11\n")
        dir.write("conf.d/b.conf", "maxclients 22\n")
        let (c, _) = try loadFile("""
            port 7000
            include \(dir.path)/inner.conf
            include \(dir.path)/conf.d/*.conf
            include \(dir.path)/nothing-matches-*.conf
            hz 12
            """, in: dir)
        #expect(c.port == 7100)
        #expect(c.maxClients == 22)  // alphabetical order
        #expect(c.hz == 12)
        unlink(dir.path + "/conf.d/a.conf")
        unlink(dir.path + "/conf.d/b.conf")
    }

    @Test func includeRelativeToDir() throws {
        let dir = TempDir()
        dir.write("inner.conf", "port 7300\n")
        let (c, _) = try loadArgs(["--dir", dir.path, "--include", "inner.conf"])
        #expect(c.port == 7300)
    }

    @Test func includeErrors() {
        let dir = TempDir()
        dir.write("bad.conf", "\n\nfoo bar\n")
        let error = loadError { _ = try loadFile("include \(dir.path)/bad.conf", in: dir) }
        #expect(error?.line == 3)
        #expect(error?.file == dir.path + "/bad.conf")
        #expect(error?.reason == "Bad directive or wrong number of arguments")

        let missing = loadError { _ = try loadFile("include /nonexistent/x.conf", in: dir) }
        #expect(missing?.description == "Fatal error, can't open config file '/nonexistent/x.conf': No such file or directory")

        dir.write("loop.conf", "include \(dir.path)/loop.conf\n")
        let loop = loadError { _ = try loadFile("include \(dir.path)/loop.conf", in: dir) }
        #expect(loop?.reason.hasPrefix("Too many nested include directives") == true)
    }

    @Test func missingConfigFile() {
        let error = loadError { _ = try loadArgs(["/nonexistent/redis.conf"]) }
        #expect(error?.kind == .cannotOpenFile)
        #expect(error?.description == "Fatal error, can't open config file '/nonexistent/redis.conf': No such file or directory")
    }

    @Test func unknownDirectiveFrame() {
        let text = (1...11).map { _ in "# filler" }.joined(separator: "\n") + "\nbogus-directive yes\n"
        let error = loadError { _ = try loadFile(text) }
        #expect(error?.line == 12)
        #expect(error?.description == """
            *** FATAL CONFIG FILE ERROR (Redis 7.0.15) ***
            Reading the configuration file, at line 12
            >>> 'bogus-directive yes'
            Bad directive or wrong number of arguments
            """)
    }

    @Test func commandLineErrorLineNumbers() {
        // Options follow the file's text after a newline: a 2-line file ("a\nb\n" is 3 lines) puts
        // the first option at line 4.
        let error = loadError { _ = try loadFile("port 1\nhz 2\n", ["--port", "1", "--nonsense", "x"]) }
        #expect(error?.line == 5)
        #expect(error?.lineText == "nonsense \"x\"")
        let noFile = loadError { _ = try loadArgs(["--port", "abc"]) }
        #expect(noFile?.line == 2)
        #expect(noFile?.lineText == "port \"abc\"")
        #expect(noFile?.reason == "argument couldn't be parsed into an integer")
    }

    @Test("invalid values give Redis's reasons", arguments: [
        ("port 99999", "argument must be between 0 and 65535 inclusive"),
        ("port abc", "argument couldn't be parsed into an integer"),
        ("port 01", "argument couldn't be parsed into an integer"),
        ("port 1 2", "wrong number of arguments"),
        ("port", "wrong number of arguments"),
        ("protected-mode maybe", "argument must be 'yes' or 'no'"),
        ("loglevel loud", "argument(s) must be one of the following: debug, verbose, notice, warning"),
        ("maxmemory-policy lru",
         "argument(s) must be one of the following: volatile-lru, volatile-lfu, volatile-random, volatile-ttl, allkeys-lru, allkeys-lfu, allkeys-random, noeviction"),
        ("appendfsync sometimes", "argument(s) must be one of the following: everysec, always, no"),
        ("supervised init", "argument(s) must be one of the following: upstart, systemd, auto, no"),
        ("proto-max-bulk-len 12x", "argument must be a memory value"),
        ("proto-max-bulk-len 100", "argument must be between 1048576 and 9223372036854775807 inclusive"),
        ("maxmemory -1", "argument must be a memory value"),
        ("maxclients 0", "argument must be between 1 and 4294967295 inclusive"),
        ("maxclients -5", "argument must be between 1 and 4294967295 inclusive"),
        ("databases 0", "argument must be between 1 and 2147483647 inclusive"),
        ("io-threads 129", "argument must be between 1 and 128 inclusive"),
        ("active-expire-effort 11", "argument must be between 1 and 10 inclusive"),
        ("slowlog-log-slower-than -2", "argument must be between -1 and 9223372036854775807 inclusive"),
        ("save 10", "Invalid save parameters"),
        ("save 0 1", "Invalid save parameters"),
        ("save 10 x", "Invalid save parameters"),
        ("dbfilename a/b.rdb", "dbfilename can't be a path, just a filename"),
        ("appendfilename \"\"", "appendfilename can't be empty"),
        ("dir /nonexistent-shoal-dir", "No such file or directory"),
        ("dir /etc/passwd", "Not a directory"),
        ("requirepass \"abc", "Unbalanced quotes in configuration line"),
        ("client-output-buffer-limit normal 0 0", "Wrong number of arguments in buffer limit configuration."),
        ("client-output-buffer-limit master 0 0 0", "Invalid client class specified in buffer limit configuration."),
        ("client-output-buffer-limit pubsub 1x 0 0", "Error in hard, soft or soft_seconds setting in buffer limit configuration."),
        ("replicaof 127.0.0.1 99999", "Invalid master port"),
        ("maxmemory-clients 1 2", "wrong number of arguments"),
        ("include", "Bad directive or wrong number of arguments"),
        ("rename-command get", "Bad directive or wrong number of arguments"),
        ("sentinel monitor mymaster 127.0.0.1 6379 2", "sentinel directive while not in sentinel mode"),
        ("mymodule.opt", "Module config specified without value"),
        // Directives Shoal does not implement are still validated as Redis validates them.
        ("slave-read-only maybe", "argument must be 'yes' or 'no'"),
        ("repl-timeout 0", "argument must be between 1 and 2147483647 inclusive"),
        ("hash-max-listpack-value 1x", "argument must be a memory value"),
        ("notify-keyspace-events Q", "Invalid event class character. Use 'Ag$lshzxeKEtmdn'."),
        ("shutdown-on-sigterm bogus", "argument(s) must be one of the following: default, save, nosave, now, force"),
        ("oom-score-adj-values 1 2", "wrong number of arguments"),
        ("oom-score-adj-values 1 2 3000", "Invalid oom-score-adj-values, elements must be between -2000 and 2000."),
        ("unixsocketperm 999", "argument couldn't be parsed as an octal number"),
        ("unixsocketperm 1777", "argument must be between 0 and 777 inclusive"),
        ("maxmemory-clients 200%", "percentage argument must be less or equal to 100"),
        ("maxmemory-clients abc", "argument must be a memory or percent value"),
        ("latency-tracking-info-percentiles 101", "latency-tracking-info-percentiles parameters should sit between [0.0,100.0]"),
        ("latency-tracking-info-percentiles abc", "Invalid latency-tracking-info-percentiles parameters"),
        ("cluster-announce-hostname a_b", "Hostnames may only contain alphanumeric characters, hyphens or dots"),
        ("appenddirname a/b", "appenddirname can't be a path, just a dirname"),
        ("syslog-facility local9", "argument(s) must be one of the following: user, local0, local1, local2, local3, local4, local5, local6, local7"),
    ])
    func invalidValues(line: String, reason: String) {
        let error = loadError { _ = try loadFile("# header\n" + line + "\n") }
        #expect(error?.reason == reason)
        #expect(error?.line == 2)
        #expect(error?.lineText == line)
    }

    @Test func unsupportedDirectivesWarnOncePerDirective() throws {
        let (c, warnings) = try loadFile("""
            maxmemory-clients 10%
            stream-node-max-entries 256
            maxmemory-clients 20%
            rename-command FLUSHALL ""
            rename-command FLUSHDB ""
            loadmodule /x.so arg
            mymodule.option yes
            sentinel
            user default on nopass ~* +@all
            list-max-ziplist-entries 512
            lua-replicate-commands yes
            """)
        #expect(warnings == [
            "Directive 'maxmemory-clients' is recognised but not supported by Shoal yet; ignored",
            "Directive 'stream-node-max-entries' is recognised but not supported by Shoal yet; ignored",
            "Directive 'rename-command' is recognised but not supported by Shoal yet; ignored",
            "Directive 'loadmodule' is recognised but not supported by Shoal yet; ignored",
            "Module configuration 'mymodule.option' ignored: Shoal does not load modules",
            "Directive 'sentinel' is recognised but not supported by Shoal yet; ignored",
            "Directive 'user' is recognised but not supported by Shoal yet; ignored",
        ])
        // The stored values are what CONFIG GET reports.
        #expect(c.value(of: "maxmemory-clients") == "20%")
        #expect(c.value(of: "stream-node-max-entries") == "256")
    }

    @Test func quietAboutDefaults() throws {
        let dir = TempDir()
        let file = dir.write("x.conf", """
            rdbcompression yes
            stream-node-max-bytes 4096
            client-output-buffer-limit pubsub 32mb 8mb 60
            notify-keyspace-events ""
            activerehashing no
            """)
        let (_, loud) = try Configuration.load(arguments: [file], readStandardInput: { [] })
        #expect(loud.count == 5)
        let (_, quiet) = try Configuration.load(arguments: [file], readStandardInput: { [] }, warnAboutDefaults: false)
        #expect(quiet == ["Directive 'activerehashing' is recognised but not supported by Shoal yet; ignored"])
    }

    @Test func storedButNotEnforcedWarnings() throws {
        let (c, warnings) = try loadFile("""
            appendonly yes
            appendfsync always
            maxmemory 100mb
            maxmemory-policy allkeys-lru
            save 900 1
            daemonize yes
            supervised systemd
            dbfilename dump.rdb
            lazyfree-lazy-eviction no
            """)
        #expect(c.appendOnly)
        #expect(c.maxMemory == 100 << 20)
        #expect(c.maxMemoryPolicyKind == .allKeysLRU)
        // Persistence (save, appendonly, appendfsync, dbfilename) is enforced: no warning.
        #expect(Set(warnings) == [
            "Directive 'maxmemory' is set to '104857600' but Shoal does not act on it yet; the value is only stored",
            "Directive 'maxmemory-policy' is set to 'allkeys-lru' but Shoal does not act on it yet; the value is only stored",
            "Directive 'supervised' is set to 'systemd' but Shoal does not act on it yet; the value is only stored",
            "Directive 'daemonize yes' is not supported by Shoal: the server stays in the foreground",
        ])
        // A server that implements eviction passes its own set and gets no warning for it.
        let (_, fewer) = try loadFile("maxmemory 100mb\n", [], in: TempDir())
        #expect(fewer.count == 1)
        let dir = TempDir()
        let file = dir.write("x.conf", "maxmemory 100mb\n")
        let (_, none) = try Configuration.load(arguments: [file], readStandardInput: { [] }, unenforced: [])
        #expect(none.isEmpty)
    }

    @Test func saveSemantics() throws {
        // The first `save` line of a file replaces the defaults; later ones add points.
        let (a, _) = try loadFile("save 900 1\nsave 300 10\n")
        #expect(a.savePoints == [SavePoint(seconds: 900, changes: 1), SavePoint(seconds: 300, changes: 10)])
        // A command-line --save adds to the file's (Redis 7.0.1+ tests).
        let (b, _) = try loadFile("save 900 1\n", ["--save", "100", "100"])
        #expect(b.value(of: "save") == "900 1 100 100")
        // An empty save clears everything.
        let (c, _) = try loadFile("save 900 1\n", ["--save", ""])
        #expect(c.savePoints.isEmpty)
        let (d, _) = try loadFile("save 900 1\n", ["--save"])
        #expect(d.savePoints.isEmpty)
        // Several points on one line.
        let (e, _) = try loadFile("save 3600 1 300 100\n")
        #expect(e.value(of: "save") == "3600 1 300 100")
        // Points after a reset are kept.
        let (f, _) = try loadFile("save \"\"\nsave 60 5\n")
        #expect(f.value(of: "save") == "60 5")
    }

    @Test func hzIsClamped() throws {
        #expect(try loadArgs(["--hz", "0"]).configuration.hz == 1)
        #expect(try loadArgs(["--hz", "100000"]).configuration.hz == 500)
    }

    @Test func memoryUnits() throws {
        let (c, _) = try loadArgs(["--proto-max-bulk-len", "100000k", "--client-query-buffer-limit", "2GB", "--maxmemory", "3m"])
        #expect(c.protoMaxBulkLen == 100_000_000)
        #expect(c.clientQueryBufferLimit == 2 << 30)
        #expect(c.maxMemory == 3_000_000)
    }

    @Test func directiveNamesAreCaseInsensitive() throws {
        let (c, _) = try loadFile("PORT 7005\nMaxMemory-Policy ALLKEYS-LFU\nProtected-Mode NO\n")
        #expect(c.port == 7005)
        #expect(c.maxMemoryPolicy == "allkeys-lfu")
        #expect(!c.protectedMode)
    }

    @Test func relativeDirResolvesAgainstPreviousDir() throws {
        let dir = TempDir()
        _ = dir.mkdir("sub")
        let (c, _) = try loadArgs(["--dir", dir.path, "--dir", "sub"])
        #expect(c.dir == dir.path + "/sub")
    }

    @Test func logFileMustBeWritable() throws {
        let error = loadError { _ = try loadArgs(["--logfile", "/nonexistent-dir/x.log"]) }
        #expect(error?.description == """
            *** FATAL CONFIG FILE ERROR (Redis 7.0.15) ***
            Can't open the log file: No such file or directory
            """)
        let dir = TempDir()
        let (c, _) = try loadArgs(["--dir", dir.path, "--logfile", "shoal.log"])
        #expect(c.logFile == "shoal.log")
    }

    @Test func replicaofNotAllowedInClusterMode() {
        let error = loadError { _ = try loadArgs(["--cluster-enabled", "yes", "--replicaof", "127.0.0.1", "6380"]) }
        #expect(error?.reason == "replicaof directive not allowed in cluster mode")
        #expect(error?.line == nil)
    }

    @Test func completeDirectiveList() {
        let names = Set(RedisDirectives.allNames)
        #expect(names.count == RedisDirectives.allNames.count)  // no duplicates
        for name in ["include", "rename-command", "user", "loadmodule", "sentinel", "save",
                     "client-output-buffer-limit", "oom-score-adj-values", "notify-keyspace-events", "bind",
                     "unixsocketperm", "dir", "logfile", "requirepass", "masterauth", "slaveof", "replicaof",
                     "hash-max-ziplist-entries", "list-max-ziplist-size", "lua-time-limit", "tls-port",
                     "shutdown-on-sigterm", "propagation-error-behavior", "maxmemory-clients"] {
            #expect(names.contains(name), "\(name)")
        }
        #expect(RedisDirectives.standard.count == 178)
        // Every implemented directive is a Redis 7.0 directive with the same default, except the
        // newer ones Shoal accepts on purpose.
        let newerThanRedis70: Set = ["cluster-announce-human-nodename"]
        for directive in ConfigDirective.implemented where !newerThanRedis70.contains(directive.name) {
            let entry = RedisDirectives.lookup(directive.name)
            #expect(entry != nil, "\(directive.name)")
            if directive.name != "dir" {
                #expect(entry?.defaultValue == directive.defaultValue, "\(directive.name)")
            }
        }
    }
}
