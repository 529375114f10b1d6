#if canImport(Glibc)
import Glibc
#endif
import Commands
import Keyspace
import RESP

/// `COMMAND DOCS` argument shapes (Redis 7.0's `src/commands/*.json`).
private typealias Arg = CommandArgument

extension CommandContext {
    /// The connection running this command (server-level handlers only).
    var connection: Connection { session as! Connection }
}

extension ShoalServer {
    /// Commands about the connection and the node rather than the keyspace.
    func serverCommands() -> [CommandSpec] {
        [
            CommandSpec(
                name: "ping", arity: -1, flags: ["fast"], aclCategories: ["fast", "connection"],
                summary: "Returns the server's liveliness response.", since: "1.0.0", group: "connection",
                arguments: [Arg("message", .string, optional: true)]
            ) { ctx in
                if ctx.args.count > 2 {
                    ctx.reply.error(CommandError.wrongArity("ping"))
                } else if ctx.args.count == 2 {
                    ctx.reply.bulk(ctx.args[1])
                } else {
                    ctx.reply.simpleString("PONG")
                }
            },
            CommandSpec(
                name: "echo", arity: 2, flags: ["fast", "loading", "stale"], aclCategories: ["fast", "connection"],
                summary: "Returns the given string.", since: "1.0.0", group: "connection",
                arguments: [Arg("message", .string)]
            ) { ctx in ctx.reply.bulk(ctx.args[1]) },
            CommandSpec(
                name: "quit", arity: -1, flags: ["allow_busy", "noscript", "loading", "stale", "fast", "no_auth"],
                aclCategories: ["fast", "connection"],
                summary: "Closes the connection.", since: "1.0.0", group: "connection"
            ) { ctx in
                ctx.reply.ok()
                ctx.connection.closeAfterReply = true
            },
            CommandSpec(
                name: "hello", arity: -1,
                flags: ["noscript", "loading", "stale", "fast", "no_auth", "allow_busy"],
                aclCategories: ["fast", "connection"],
                summary: "Handshakes with the Redis server.", since: "6.0.0", group: "connection",
                arguments: [
                    Arg("arguments", .block, optional: true, arguments: [
                        Arg("protover", .integer),
                        Arg("username_password", .block, token: "AUTH", optional: true, arguments: [
                            Arg("username", .string), Arg("password", .string),
                        ]),
                        Arg("clientname", .string, token: "SETNAME", optional: true),
                    ]),
                ]
            ) { [unowned self] ctx in hello(&ctx) },
            CommandSpec(
                name: "auth", arity: -2,
                flags: ["noscript", "loading", "stale", "fast", "no_auth", "allow_busy"],
                aclCategories: ["fast", "connection"],
                summary: "Authenticates the connection.", since: "1.0.0", group: "connection",
                arguments: [Arg("username", .string, optional: true, since: "6.0.0"), Arg("password", .string)]
            ) { [unowned self] ctx in
                guard ctx.args.count <= 3 else { ctx.reply.error(CommandError.syntax); return }
                let user = ctx.args.count == 3 ? ctx.args[1].string : "default"
                let password = ctx.args[ctx.args.count - 1].string
                if ctx.args.count == 2 && !settings.requiresAuth {
                    ctx.reply.error(
                        "ERR AUTH <password> called without any password configured for the default user. Are you sure your configuration is correct?"
                    )
                    return
                }
                if authenticate(user: user, password: password) {
                    ctx.connection.authenticated = true
                    ctx.reply.ok()
                } else {
                    log.notice("Failed authentication attempt for user '\(user)'")
                    ctx.reply.error("WRONGPASS invalid username-password pair or user is disabled.")
                }
            },
            CommandSpec(
                name: "time", arity: 1, flags: ["loading", "stale", "fast"], aclCategories: ["fast"],
                summary: "Returns the server time.", since: "2.6.0", group: "server"
            ) { ctx in
                let micros = wallClockMicros()
                ctx.reply.arrayHeader(2)
                ctx.reply.bulk(String(micros / 1_000_000))
                ctx.reply.bulk(String(micros % 1_000_000))
            },
            CommandSpec(
                name: "shutdown", arity: -1, flags: ["admin", "noscript", "loading", "stale", "no_multi", "allow_busy"],
                aclCategories: ["admin", "dangerous"],
                summary: "Synchronously saves the database(s) to disk and shuts down the Redis server.",
                since: "1.0.0", group: "server",
                arguments: [
                    Arg("nosave_save", .oneof, optional: true, arguments: [
                        Arg("nosave", .pureToken, token: "NOSAVE"), Arg("save", .pureToken, token: "SAVE"),
                    ]),
                    Arg("now", .pureToken, token: "NOW", optional: true, since: "7.0.0"),
                    Arg("force", .pureToken, token: "FORCE", optional: true, since: "7.0.0"),
                    Arg("abort", .pureToken, token: "ABORT", optional: true, since: "7.0.0"),
                ]
            ) { [unowned self] ctx in shutdown(&ctx) },
            CommandSpec(
                name: "info", arity: -1, flags: ["loading", "stale"], aclCategories: ["dangerous"],
                summary: "Returns information and statistics about the server.", since: "1.0.0", group: "server",
                complexity: "O(1)", arguments: [Arg("section", .string, optional: true, multiple: true)]
            ) { [unowned self] ctx in
                var sections: [String] = []
                for i in 1..<ctx.args.count { sections.append(ctx.args[i].string.lowercased()) }
                ctx.reply.verbatim(infoText(sections: sections, db: ctx.db))
            },
            debugCommand(),
            commandCommand(),
            configCommand(),
            clientCommand(),
        ]
    }

    func authenticate(user: String, password: String) -> Bool {
        guard user == "default" else { return false }
        guard let expected = settings.requirePass else { return true }
        return constantTimeEquals(expected, password)
    }

    private func constantTimeEquals(_ a: String, _ b: String) -> Bool {
        let x = Array(a.utf8)
        let y = Array(b.utf8)
        var diff = x.count ^ y.count
        for i in 0..<max(x.count, y.count) {
            diff |= Int((i < x.count ? x[i] : 0) ^ (i < y.count ? y[i] : 0))
        }
        return diff == 0
    }

    private func hello(_ ctx: inout CommandContext) {
        let connection = ctx.connection
        var version = connection.protocolVersion
        var i = 1
        if ctx.args.count >= 2 {
            guard let requested = ctx.args[1].parseInt64() else {
                ctx.reply.error("ERR Protocol version is not an integer or out of range")
                return
            }
            guard requested == 2 || requested == 3 else {
                ctx.reply.error("NOPROTO unsupported protocol version")
                return
            }
            version = Int(requested)
            i = 2
        }
        var name: String?
        var credentials: (String, String)?
        while i < ctx.args.count {
            let remaining = ctx.args.count - i - 1
            if ctx.args[i].equalsIgnoringCase("AUTH") && remaining >= 2 {
                credentials = (ctx.args[i + 1].string, ctx.args[i + 2].string)
                i += 3
            } else if ctx.args[i].equalsIgnoringCase("SETNAME") && remaining >= 1 {
                name = ctx.args[i + 1].string
                i += 2
            } else {
                ctx.reply.error("ERR Syntax error in HELLO option '\(ctx.args[i].string)'")
                return
            }
        }
        if let (user, password) = credentials {
            guard authenticate(user: user, password: password) else {
                ctx.reply.error("WRONGPASS invalid username-password pair or user is disabled.")
                return
            }
            connection.authenticated = true
        }
        if !connection.authenticated {
            ctx.reply.error("NOAUTH HELLO must be called with the client already authenticated, otherwise the HELLO AUTH <user> <pass> option can be used to authenticate the client and select the RESP protocol version at the same time")
            return
        }
        if let name {
            guard ClientNames.isValid(name) else {
                ctx.reply.error(ClientNames.invalidMessage)
                return
            }
            connection.info.name = name
        }
        connection.protocolVersion = version
        connection.info.protocolVersion = version
        ctx.reply.mapHeader(7)
        ctx.reply.bulk("server"); ctx.reply.bulk("redis")
        ctx.reply.bulk("version"); ctx.reply.bulk(ShoalVersion.redis)
        ctx.reply.bulk("proto"); ctx.reply.integer(version)
        ctx.reply.bulk("id"); ctx.reply.integer(connection.info.id)
        ctx.reply.bulk("mode"); ctx.reply.bulk("standalone")
        ctx.reply.bulk("role"); ctx.reply.bulk("master")
        ctx.reply.bulk("modules"); ctx.reply.arrayHeader(0)
    }

    private func shutdown(_ ctx: inout CommandContext) {
        var save: Bool?
        var abort = false
        var force = false
        for i in 1..<ctx.args.count {
            let arg = ctx.args[i]
            if arg.equalsIgnoringCase("NOSAVE") {
                if save == true { ctx.reply.error(CommandError.syntax); return }
                save = false
            } else if arg.equalsIgnoringCase("SAVE") {
                if save == false { ctx.reply.error(CommandError.syntax); return }
                save = true
            } else if arg.equalsIgnoringCase("NOW") {
                continue  // no replicas to wait for
            } else if arg.equalsIgnoringCase("FORCE") {
                force = true
            } else if arg.equalsIgnoringCase("ABORT") {
                abort = true
            } else {
                ctx.reply.error(CommandError.syntax)
                return
            }
        }
        if abort {
            guard ctx.args.count == 2 else { ctx.reply.error(CommandError.syntax); return }
            ctx.reply.error("ERR No shutdown in progress.")
            return
        }
        guard prepareForShutdown(save: save, force: force) else {
            ctx.reply.error("ERR Errors trying to SHUTDOWN. Check logs.")
            return
        }
        // Like Redis, a successful SHUTDOWN sends no reply: the connection just closes.
        ctx.connection.closeAfterReply = true
        requestShutdown(code: 0)
    }

    /// Redis 7 refuses DEBUG unless `enable-debug-command` allows it for this connection.
    private func debugAllowed(_ ctx: inout CommandContext) -> Bool {
        switch configuration.enableDebugCommand {
        case .yes: return true
        case .local where ShoalServer.isLoopbackText(ctx.connection.info.address): return true
        default:
            ctx.reply.error(
                "ERR DEBUG command not allowed. If the enable-debug-command option is set to \"local\", you can run it from a local connection, otherwise you need to set this option in the configuration file, and then restart the server."
            )
            return false
        }
    }

    private func debugCommand() -> CommandSpec {
        CommandSpec(
            name: "debug", arity: -2, flags: ["admin", "noscript", "loading", "stale"],
            aclCategories: ["admin", "dangerous"], access: .selfManaged,
            summary: "A container for debugging commands.", since: "1.0.0", group: "server",
            subcommands: [
                CommandSpec(
                    name: "sleep", arity: 3, flags: ["admin", "noscript", "loading", "stale"],
                    aclCategories: ["admin", "dangerous"],
                    summary: "Blocks the server for the given number of seconds.", since: "1.0.0", group: "server",
                    arguments: [Arg("seconds", .double)]
                ) { [unowned self] ctx in
                    guard debugAllowed(&ctx) else { return }
                    guard let seconds = Double(ctx.args[2].string), seconds >= 0, seconds.isFinite else {
                        ctx.reply.error(CommandError.notFloat)
                        return
                    }
                    // Blocks this event loop on purpose, as DEBUG SLEEP blocks Redis.
                    usleep(UInt32(min(seconds, 3600) * 1_000_000))
                    ctx.reply.ok()
                },
                CommandSpec(
                    name: "object", arity: 3, flags: ["admin", "noscript", "loading", "stale"],
                    aclCategories: ["admin", "dangerous"], access: .selfManaged,
                    summary: "Shows low-level information about a key.", since: "1.0.0", group: "server",
                    arguments: [Arg("key", .string)]  // no key spec: DEBUG locks the slot itself
                ) { [unowned self] ctx in
                    guard debugAllowed(&ctx) else { return }
                    let slot = keyHashSlot(ctx.args[2])
                    ctx.keyspace.lock(slot: slot)
                    defer { ctx.keyspace.unlock(slot: slot) }
                    guard let text = ctx.keyspace.debugDescription(db: ctx.db, key: ctx.args[2], now: ctx.now) else {
                        ctx.reply.error(CommandError.noSuchKey)
                        return
                    }
                    ctx.reply.simpleString(text)
                },
                CommandSpec(
                    name: "reload", arity: -2, flags: ["admin", "noscript", "loading", "stale"],
                    aclCategories: ["admin", "dangerous"], access: .selfManaged,
                    summary: "Saves the data set, empties it and loads the file back.", since: "1.0.0",
                    group: "server"
                ) { [unowned self] ctx in
                    guard debugAllowed(&ctx) else { return }
                    var save = true, flush = true, merge = false
                    for i in 2..<ctx.args.count {
                        if ctx.args[i].equalsIgnoringCase("MERGE") {
                            merge = true
                        } else if ctx.args[i].equalsIgnoringCase("NOFLUSH") {
                            flush = false
                        } else if ctx.args[i].equalsIgnoringCase("NOSAVE") {
                            save = false
                        } else {
                            ctx.reply.error("ERR DEBUG RELOAD only supports the MERGE, NOFLUSH and NOSAVE options.")
                            return
                        }
                    }
                    do {
                        try debugReload(save: save, flush: flush, merge: merge)
                        log.notice("DB reloaded by DEBUG RELOAD")
                        ctx.reply.ok()
                    } catch SnapshotError.io(let why) where why.hasPrefix("Write error") || why.hasPrefix("Failed opening") {
                        ctx.reply.error("ERR Error trying to save the DB")
                    } catch {
                        log.warning("DEBUG RELOAD: \(error)")
                        ctx.reply.error("ERR Error trying to load the RDB dump, check server logs.")
                    }
                },
                CommandSpec(
                    name: "help", arity: 2, flags: ["admin", "noscript", "loading", "stale"],
                    aclCategories: ["admin", "dangerous"],
                    summary: "Shows helpful text about the different subcommands.", since: "1.0.0", group: "server"
                ) { ctx in
                    let lines = [
                        "DEBUG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
                        "OBJECT <key>",
                        "    Show low level info about the key and associated value.",
                        "RELOAD [option ...]",
                        "    Save the RDB on disk and reload it back to memory. Options: MERGE, NOFLUSH, NOSAVE.",
                        "SLEEP <seconds>",
                        "    Stop the server for <seconds>. Decimals allowed.",
                        "HELP",
                        "    Print this help.",
                    ]
                    ctx.reply.arrayHeader(lines.count)
                    for line in lines { ctx.reply.simpleString(line) }
                },
            ])
    }
}

enum ClientNames {
    static let invalidMessage = "ERR Client names cannot contain spaces, newlines or special characters."

    /// Redis allows printable ASCII without spaces (33...126) in client names.
    static func isValid(_ name: String) -> Bool {
        name.utf8.allSatisfy { $0 >= 33 && $0 <= 126 }
    }
}
