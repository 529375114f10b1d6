import Commands
import RESP

/// `COMMAND DOCS` argument shapes (Redis 7.0's `src/commands/client-*.json`).
private typealias Arg = CommandArgument
private let clientKillFilter = Arg("filter", .oneof, arguments: [
    Arg("ip:port", .string, deprecatedSince: "2.8.12"),
    Arg("new-format", .oneof, multiple: true, arguments: [
        Arg("client-id", .integer, token: "ID", optional: true, since: "2.8.12"),
        Arg("normal_master_slave_pubsub", .oneof, token: "TYPE", optional: true, since: "2.8.12", arguments: [
            Arg("normal", .pureToken, token: "NORMAL"),
            Arg("master", .pureToken, token: "MASTER", since: "3.2.0"),
            Arg("slave", .pureToken, token: "SLAVE"),
            Arg("replica", .pureToken, token: "REPLICA", since: "5.0.0"),
            Arg("pubsub", .pureToken, token: "PUBSUB"),
        ]),
        Arg("username", .string, token: "USER", optional: true),
        Arg("ip:port", .string, token: "ADDR", optional: true),
        Arg("ip:port", .string, token: "LADDR", optional: true, since: "6.2.0"),
        Arg("yes/no", .string, token: "SKIPME", optional: true),
    ]),
])
private let clientListFilters = [
    Arg("normal_master_replica_pubsub", .oneof, token: "TYPE", optional: true, since: "5.0.0", arguments: [
        Arg("normal", .pureToken, token: "NORMAL"),
        Arg("master", .pureToken, token: "MASTER"),
        Arg("replica", .pureToken, token: "REPLICA"),
        Arg("pubsub", .pureToken, token: "PUBSUB"),
    ]),
    Arg("id", .block, token: "ID", optional: true, since: "6.2.0", arguments: [
        Arg("client-id", .integer, multiple: true),
    ]),
]

/// CLIENT: the connection registry seen from a client.
extension ShoalServer {
    func clientCommand() -> CommandSpec {
        let flags = ["noscript", "loading", "stale"]
        let categories = ["slow", "connection"]
        func sub(
            _ name: String, _ arity: Int, _ summary: String, since: String, admin: Bool = false,
            scriptable: Bool = false, arguments: [CommandArgument] = [], _ handler: @escaping CommandHandler
        ) -> CommandSpec {
            let base = scriptable ? flags.filter { $0 != "noscript" } : flags
            return CommandSpec(
                name: name, arity: arity, flags: admin ? ["admin"] + base : base,
                aclCategories: admin ? ["admin", "dangerous"] + categories : categories,
                summary: summary, since: since, group: "connection", arguments: arguments, handler: handler)
        }
        return CommandSpec(
            name: "client", arity: -2, flags: [], aclCategories: ["slow"],
            summary: "A container for client connection commands.", since: "2.4.0", group: "connection",
            subcommands: [
                sub("id", 2, "Returns the unique client ID of the connection.", since: "5.0.0") { ctx in
                    ctx.reply.integer(ctx.connection.info.id)
                },
                sub("setname", 3, "Sets the connection name.", since: "2.6.9", arguments: [Arg("connection-name", .string)]) { ctx in
                    let name = ctx.args[2].string
                    guard ClientNames.isValid(name) || name.isEmpty else {
                        ctx.reply.error(ClientNames.invalidMessage)
                        return
                    }
                    ctx.connection.info.name = name
                    ctx.reply.ok()
                },
                sub("getname", 2, "Returns the name of the connection.", since: "2.6.9") { ctx in
                    let name = ctx.connection.info.name
                    if name.isEmpty { ctx.reply.null() } else { ctx.reply.bulk(name) }
                },
                sub("info", 2, "Returns information about the connection.", since: "6.2.0") { [unowned self] ctx in
                    let info = ctx.connection.info
                    info.db = ctx.db
                    ctx.reply.verbatim(info.describe(now: monotonicMillis(), commandName: "client|info") + "\n")
                },
                sub("list", -2, "Lists open connections.", since: "2.4.0", admin: true,
                    arguments: clientListFilters) { [unowned self] ctx in
                    clientList(&ctx)
                },
                sub("kill", -3, "Terminates open connections.", since: "2.4.0", admin: true,
                    arguments: [clientKillFilter]) { [unowned self] ctx in
                    clientKill(&ctx)
                },
                sub(
                    "no-evict", 3, "Sets the client eviction mode of the connection.", since: "7.0.0", admin: true,
                    arguments: [
                        Arg("enabled", .oneof, arguments: [Arg("on", .pureToken, token: "ON"), Arg("off", .pureToken, token: "OFF")]),
                    ]
                ) { ctx in
                    if ctx.args[2].equalsIgnoringCase("ON") {
                        ctx.connection.info.noEvict = true
                    } else if ctx.args[2].equalsIgnoringCase("OFF") {
                        ctx.connection.info.noEvict = false
                    } else {
                        ctx.reply.error(CommandError.syntax)
                        return
                    }
                    ctx.reply.ok()
                },
                sub("help", 2, "Returns helpful text about the different subcommands.", since: "5.0.0", scriptable: true) { ctx in
                    let lines = [
                        "CLIENT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
                        "GETNAME", "    Return the name of the current connection.",
                        "ID", "    Return the ID of the current connection.",
                        "INFO", "    Return information about the current client connection.",
                        "KILL <ip:port>", "    Kill connection made from <ip:port>.",
                        "KILL <option> <value> [<option> <value> [...]]",
                        "    Kill connections. Options are: ID <client-id>, ADDR <ip:port>, LADDR <ip:port>, TYPE normal|master|replica|pubsub, USER <username>, SKIPME (yes|no), MAXAGE <maxage>",
                        "LIST [options ...]", "    Return information about client connections. Options: TYPE (NORMAL|MASTER|REPLICA|PUBSUB), ID id [id ...]",
                        "SETNAME <name>", "    Assign the name <name> to the current connection.",
                        "NO-EVICT (ON|OFF)", "    Protect current client connection from eviction.",
                        "HELP", "    Print this help.",
                    ]
                    ctx.reply.arrayHeader(lines.count)
                    for line in lines { ctx.reply.simpleString(line) }
                },
            ])
    }

    func commandName(of info: ClientInfo) -> String {
        let table = dispatcher.table
        guard info.lastCommand >= 0 && info.lastCommand < table.commands.count else { return "NULL" }
        let spec = table.commands[info.lastCommand]
        if info.lastSubcommand >= 0 && info.lastSubcommand < spec.subcommands.count {
            let subs = table.subcommands(of: info.lastCommand)!
            return "\(spec.name)|\(subs.commands[info.lastSubcommand].name)"
        }
        return spec.name
    }

    private func clientList(_ ctx: inout CommandContext) {
        var wantedIDs: Set<Int>?
        var i = 2
        while i < ctx.args.count {
            if ctx.args[i].equalsIgnoringCase("TYPE"), i + 1 < ctx.args.count {
                let type = ctx.args[i + 1].string.lowercased()
                guard ["normal", "master", "replica", "slave", "pubsub"].contains(type) else {
                    ctx.reply.error("ERR Unknown client type '\(ctx.args[i + 1].string)'")
                    return
                }
                if type != "normal" { wantedIDs = [] }
                i += 2
            } else if ctx.args[i].equalsIgnoringCase("ID"), i + 1 < ctx.args.count {
                var ids = wantedIDs ?? []
                var j = i + 1
                while j < ctx.args.count {
                    guard let id = ctx.args[j].parseInt64(), id > 0 else {
                        ctx.reply.error("ERR Invalid client ID")
                        return
                    }
                    ids.insert(Int(id))
                    j += 1
                }
                wantedIDs = ids
                i = j
            } else {
                ctx.reply.error(CommandError.syntax)
                return
            }
        }
        ctx.connection.info.db = ctx.db
        let now = monotonicMillis()
        var text = ""
        for info in clients.all where wantedIDs?.contains(info.id) ?? true {
            let isSelf = info.id == ctx.connection.info.id
            text += info.describe(now: now, commandName: isSelf ? "client|list" : commandName(of: info)) + "\n"
        }
        ctx.reply.verbatim(text)
    }

    private func clientKill(_ ctx: inout CommandContext) {
        let me = ctx.connection.info
        if ctx.args.count == 3 {
            // Old form: CLIENT KILL addr:port, replies OK or an error.
            let address = ctx.args[2].string
            guard let target = clients.all.first(where: { $0.address == address }) else {
                ctx.reply.error("ERR No such client")
                return
            }
            kill(target, me: me)
            ctx.reply.ok()
            return
        }
        var id: Int?
        var address: String?
        var localAddress: String?
        var type: String?
        var user: String?
        var skipMe = true
        var maxAge: Int64?
        var i = 2
        while i + 1 < ctx.args.count {
            let option = ctx.args[i]
            let value = ctx.args[i + 1]
            if option.equalsIgnoringCase("ID") {
                guard let v = value.parseInt64(), v > 0 else {
                    ctx.reply.error("ERR client-id should be greater than 0")
                    return
                }
                id = Int(v)
            } else if option.equalsIgnoringCase("ADDR") {
                address = value.string
            } else if option.equalsIgnoringCase("LADDR") {
                localAddress = value.string
            } else if option.equalsIgnoringCase("TYPE") {
                let t = value.string.lowercased()
                guard ["normal", "master", "replica", "slave", "pubsub"].contains(t) else {
                    ctx.reply.error("ERR Unknown client type '\(value.string)'")
                    return
                }
                type = t
            } else if option.equalsIgnoringCase("USER") {
                user = value.string
            } else if option.equalsIgnoringCase("SKIPME") {
                if value.equalsIgnoringCase("yes") {
                    skipMe = true
                } else if value.equalsIgnoringCase("no") {
                    skipMe = false
                } else {
                    ctx.reply.error(CommandError.syntax)
                    return
                }
            } else if option.equalsIgnoringCase("MAXAGE") {
                guard let v = value.parseInt64() else {
                    ctx.reply.error(CommandError.notInteger)
                    return
                }
                maxAge = v
            } else {
                ctx.reply.error(CommandError.syntax)
                return
            }
            i += 2
        }
        guard i == ctx.args.count else {
            ctx.reply.error(CommandError.syntax)
            return
        }
        if let user, user != "default" {
            ctx.reply.error("ERR No such user '\(user)'")
            return
        }
        let now = monotonicMillis()
        var killed = 0
        for info in clients.all {
            if let id, info.id != id { continue }
            if let address, info.address != address { continue }
            if let localAddress, info.localAddress != localAddress { continue }
            if let type, type != "normal" { continue }
            if let maxAge, (now - info.createdAt) / 1000 < maxAge { continue }
            if skipMe && info.id == me.id { continue }
            kill(info, me: me)
            killed += 1
        }
        ctx.reply.integer(killed)
    }

    private func kill(_ target: ClientInfo, me: ClientInfo) {
        if target.id == me.id {
            me.connection?.closeAfterReply = true
        } else {
            target.connection?.kill()
        }
    }
}
