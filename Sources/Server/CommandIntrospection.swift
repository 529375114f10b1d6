import Glob
import Commands
import RESP
import ServerConfig

/// COMMAND: the table describing itself, so cluster clients read true key positions.
extension ShoalServer {
    func commandCommand() -> CommandSpec {
        let flags = ["loading", "stale"]
        let categories = ["slow", "connection"]
        return CommandSpec(
            name: "command", arity: -1, flags: flags, aclCategories: categories,
            summary: "Returns detailed information about all commands.", since: "2.8.13", group: "server",
            complexity: "O(N) where N is the total number of Redis commands",
            subcommands: [
                CommandSpec(name: "count", arity: 2, flags: flags, aclCategories: categories,
                            summary: "Returns a count of commands.", since: "2.8.13", group: "server")
                { [unowned self] ctx in ctx.reply.integer(dispatcher.table.commands.count) },
                CommandSpec(name: "info", arity: -2, flags: flags, aclCategories: categories,
                            summary: "Returns information about one, multiple or all commands.",
                            since: "2.8.13", group: "server", complexity: "O(N) where N is the number of commands to look up",
                            arguments: [CommandArgument("command-name", .string, optional: true, multiple: true)])
                { [unowned self] ctx in
                    let table = dispatcher.table
                    if ctx.args.count == 2 {
                        ctx.reply.arrayHeader(table.commands.count)
                        for spec in table.commands { writeInfo(spec, parent: nil, &ctx.reply) }
                        return
                    }
                    ctx.reply.arrayHeader(ctx.args.count - 2)
                    for i in 2..<ctx.args.count {
                        if let spec = resolve(ctx.args[i].string) {
                            writeInfo(spec.spec, parent: spec.parent, &ctx.reply)
                        } else {
                            ctx.reply.nullArray()
                        }
                    }
                },
                CommandSpec(name: "docs", arity: -2, flags: flags, aclCategories: categories,
                            summary: "Returns documentary information about one, multiple or all commands.",
                            since: "7.0.0", group: "server", complexity: "O(N) where N is the number of commands to look up",
                            arguments: [CommandArgument("command-name", .string, optional: true, multiple: true)])
                { [unowned self] ctx in
                    let table = dispatcher.table
                    var found: [(String, CommandSpec)] = []
                    if ctx.args.count == 2 {
                        found = table.commands.map { ($0.name, $0) }
                    } else {
                        for i in 2..<ctx.args.count {
                            if let spec = resolve(ctx.args[i].string) {
                                found.append((spec.parent.map { "\($0)|\(spec.spec.name)" } ?? spec.spec.name, spec.spec))
                            }
                        }
                    }
                    ctx.reply.mapHeader(found.count)
                    for (name, spec) in found {
                        ctx.reply.bulk(name)
                        writeDocs(spec, parent: nil, &ctx.reply)
                    }
                },
                CommandSpec(name: "list", arity: -2, flags: flags, aclCategories: categories,
                            summary: "Returns a list of command names.", since: "7.0.0", group: "server",
                            complexity: "O(N) where N is the total number of Redis commands",
                            arguments: [
                                CommandArgument("filterby", .oneof, token: "FILTERBY", optional: true, arguments: [
                                    CommandArgument("module-name", .string, token: "MODULE"),
                                    CommandArgument("category", .string, token: "ACLCAT"),
                                    CommandArgument("pattern", .pattern, token: "PATTERN"),
                                ]),
                            ])
                { [unowned self] ctx in commandList(&ctx) },
                CommandSpec(name: "getkeys", arity: -4, flags: flags, aclCategories: categories,
                            summary: "Extracts the key names from an arbitrary command.", since: "2.8.13",
                            group: "server", complexity: "O(N) where N is the number of arguments to the command")
                { [unowned self] ctx in getKeys(&ctx) },
                CommandSpec(name: "help", arity: 2, flags: flags, aclCategories: categories,
                            summary: "Returns helpful text about the different subcommands.", since: "5.0.0",
                            group: "server")
                { ctx in
                    let lines = [
                        "COMMAND <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
                        "(no subcommand)", "    Return details about all Redis commands.",
                        "COUNT", "    Return the total number of commands in this Redis server.",
                        "LIST", "    Return a list of all commands in this Redis server.",
                        "INFO [<command-name> ...]", "    Return details about multiple Redis commands.",
                        "DOCS [<command-name> ...]", "    Return documentation details about multiple Redis commands.",
                        "GETKEYS <full-command>", "    Return the keys from a full Redis command.",
                        "HELP", "    Print this help.",
                    ]
                    ctx.reply.arrayHeader(lines.count)
                    for line in lines { ctx.reply.simpleString(line) }
                },
            ]
        ) { [unowned self] ctx in
            // COMMAND without a subcommand: every command's info (redis-py's cluster client asks).
            let table = dispatcher.table
            ctx.reply.arrayHeader(table.commands.count)
            for spec in table.commands { writeInfo(spec, parent: nil, &ctx.reply) }
        }
    }

    /// `name` or `container|sub`, any case.
    private func resolve(_ name: String) -> (spec: CommandSpec, parent: String?)? {
        let parts = name.lowercased().split(separator: "|", maxSplits: 1).map(String.init)
        guard let spec = dispatcher.table.spec(named: parts[0]) else { return nil }
        if parts.count == 1 { return (spec, nil) }
        guard let sub = spec.subcommands.first(where: { $0.name == parts[1] }) else { return nil }
        return (sub, spec.name)
    }

    static let aclCategoryOrder = [
        "keyspace", "read", "write", "set", "sortedset", "list", "hash", "string", "bitmap", "hyperloglog",
        "geo", "stream", "pubsub", "admin", "fast", "slow", "blocking", "dangerous", "connection",
        "transaction", "scripting",
    ]

    /// ACL categories as Redis reports them: derived from flags, plus the spec's own.
    private func categories(_ spec: CommandSpec) -> [String] {
        var result: [String] = []
        func add(_ c: String) { if !result.contains(c) { result.append(c) } }
        if spec.flags.contains("write") { add("write") }
        if spec.flags.contains("readonly") { add("read") }
        if spec.flags.contains("admin") { add("admin"); add("dangerous") }
        if spec.flags.contains("pubsub") { add("pubsub") }
        if spec.flags.contains("fast") { add("fast") }
        if spec.flags.contains("blocking") { add("blocking") }
        if !spec.flags.contains("fast") { add("slow") }
        for c in spec.aclCategories { add(c) }
        // Redis prints categories in the order of its category table, not in declaration order.
        let rank = { (c: String) in ShoalServer.aclCategoryOrder.firstIndex(of: c) ?? Int.max }
        return result.sorted { rank($0) < rank($1) }.map { "@\($0)" }
    }

    /// One COMMAND INFO entry: name, arity, flags, first key, last key, step, ACL categories, tips,
    /// key specs, subcommands.
    private func writeInfo(_ spec: CommandSpec, parent: String?, _ reply: inout RESPWriter) {
        reply.arrayHeader(10)
        reply.bulk(parent.map { "\($0)|\(spec.name)" } ?? spec.name)
        reply.integer(spec.arity)
        reply.setHeader(spec.flags.count)
        for flag in spec.flags { reply.simpleString(flag) }
        reply.integer(spec.keys.first)
        reply.integer(spec.keys.last)
        reply.integer(spec.keys.step)
        let cats = categories(spec)
        reply.setHeader(cats.count)
        for c in cats { reply.simpleString(c) }
        reply.arrayHeader(0)  // tips
        let fullName = parent.map { "\($0)|\(spec.name)" } ?? spec.name
        let keySpecs = redisKeySpecs[fullName] ?? derivedKeySpecs(spec)
        reply.arrayHeader(keySpecs.count)
        for keySpec in keySpecs { writeKeySpec(keySpec, &reply) }
        reply.arrayHeader(spec.subcommands.count)
        for sub in spec.subcommands { writeInfo(sub, parent: spec.name, &reply) }
    }

    /// Key specs for a command Redis does not describe: one per key for a fixed set of keys
    /// (RENAME-like), else one range.
    private func derivedKeySpecs(_ spec: CommandSpec) -> [KeySpec] {
        guard spec.keys.first > 0 else { return [] }
        let flags = spec.isWrite ? ["RW", "update"] : ["RO", "access"]
        if spec.keys.last > spec.keys.first {
            return stride(from: spec.keys.first, through: spec.keys.last, by: max(spec.keys.step, 1)).map {
                KeySpec(flags: flags, beginSearch: .index($0), findKeys: .range(lastKey: 0, keyStep: 1, limit: 0))
            }
        }
        let last = spec.keys.last >= 0 ? spec.keys.last - spec.keys.first : spec.keys.last
        return [KeySpec(flags: flags, beginSearch: .index(spec.keys.first),
                        findKeys: .range(lastKey: last, keyStep: spec.keys.step, limit: 0))]
    }

    private func writeKeySpec(_ keySpec: KeySpec, _ reply: inout RESPWriter) {
        reply.mapHeader(keySpec.notes == nil ? 3 : 4)
        if let notes = keySpec.notes {
            reply.bulk("notes"); reply.bulk(notes)
        }
        reply.bulk("flags")
        reply.setHeader(keySpec.flags.count)
        for flag in keySpec.flags { reply.simpleString(flag) }
        reply.bulk("begin_search")
        reply.mapHeader(2)
        switch keySpec.beginSearch {
        case .index(let index):
            reply.bulk("type"); reply.bulk("index")
            reply.bulk("spec"); reply.mapHeader(1)
            reply.bulk("index"); reply.integer(index)
        case .keyword(let keyword, let startFrom):
            reply.bulk("type"); reply.bulk("keyword")
            reply.bulk("spec"); reply.mapHeader(2)
            reply.bulk("keyword"); reply.bulk(keyword)
            reply.bulk("startfrom"); reply.integer(startFrom)
        }
        reply.bulk("find_keys")
        reply.mapHeader(2)
        switch keySpec.findKeys {
        case .range(let lastKey, let keyStep, let limit):
            reply.bulk("type"); reply.bulk("range")
            reply.bulk("spec"); reply.mapHeader(3)
            reply.bulk("lastkey"); reply.integer(lastKey)
            reply.bulk("keystep"); reply.integer(keyStep)
            reply.bulk("limit"); reply.integer(limit)
        case .keynum(let keynumIndex, let firstKey, let keyStep):
            reply.bulk("type"); reply.bulk("keynum")
            reply.bulk("spec"); reply.mapHeader(3)
            reply.bulk("keynumidx"); reply.integer(keynumIndex)
            reply.bulk("firstkey"); reply.integer(firstKey)
            reply.bulk("keystep"); reply.integer(keyStep)
        }
    }

    private func writeDocs(_ spec: CommandSpec, parent: String?, _ reply: inout RESPWriter) {
        let hasSubs = !spec.subcommands.isEmpty
        let hasArgs = !spec.arguments.isEmpty
        reply.mapHeader(4 + (hasSubs ? 1 : 0) + (hasArgs ? 1 : 0))
        reply.bulk("summary"); reply.bulk(spec.summary)
        reply.bulk("since"); reply.bulk(spec.since)
        reply.bulk("group"); reply.bulk(spec.group)
        reply.bulk("complexity"); reply.bulk(spec.complexity)
        if hasArgs {
            reply.bulk("arguments")
            writeArguments(spec.arguments, &reply)
        }
        if hasSubs {
            reply.bulk("subcommands")
            reply.mapHeader(spec.subcommands.count)
            for sub in spec.subcommands {
                reply.bulk("\(spec.name)|\(sub.name)")
                writeDocs(sub, parent: spec.name, &reply)
            }
        }
    }

    private func writeArguments(_ arguments: [CommandArgument], _ reply: inout RESPWriter) {
        reply.arrayHeader(arguments.count)
        for argument in arguments {
            var flags: [String] = []
            if argument.optional { flags.append("optional") }
            if argument.multiple { flags.append("multiple") }
            let fields = 2 + (argument.keySpecIndex != nil ? 1 : 0) + (argument.token != nil ? 1 : 0)
                + (argument.since != nil ? 1 : 0) + (argument.deprecatedSince != nil ? 1 : 0)
                + (flags.isEmpty ? 0 : 1) + (argument.arguments.isEmpty ? 0 : 1)
            reply.mapHeader(fields)
            reply.bulk("name"); reply.bulk(argument.name)
            reply.bulk("type"); reply.bulk(argument.kind.rawValue)
            if let index = argument.keySpecIndex { reply.bulk("key_spec_index"); reply.integer(index) }
            if let token = argument.token { reply.bulk("token"); reply.bulk(token) }
            if let since = argument.since { reply.bulk("since"); reply.bulk(since) }
            if let version = argument.deprecatedSince { reply.bulk("deprecated_since"); reply.bulk(version) }
            if !flags.isEmpty {
                reply.bulk("flags")
                reply.setHeader(flags.count)
                for flag in flags { reply.simpleString(flag) }
            }
            if !argument.arguments.isEmpty {
                reply.bulk("arguments")
                writeArguments(argument.arguments, &reply)
            }
        }
    }

    private func commandList(_ ctx: inout CommandContext) {
        // Containers and their subcommands (`config`, `config|get`), as Redis lists them.
        let all = dispatcher.table.commands.flatMap { spec in
            [(spec.name, spec)] + spec.subcommands.map { ("\(spec.name)|\($0.name)", $0) }
        }
        var names = all.map(\.0)
        if ctx.args.count > 2 {
            guard ctx.args.count == 5, ctx.args[2].equalsIgnoringCase("FILTERBY") else {
                ctx.reply.error(CommandError.syntax)
                return
            }
            let value = ctx.args[4].string
            if ctx.args[3].equalsIgnoringCase("PATTERN") {
                names = names.filter { globMatch(pattern: value, string: $0, nocase: true) }
            } else if ctx.args[3].equalsIgnoringCase("ACLCAT") {
                let wanted = "@" + value.lowercased()
                names = all.filter { categories($0.1).contains(wanted) }.map(\.0)
            } else if ctx.args[3].equalsIgnoringCase("MODULE") {
                names = []
            } else {
                ctx.reply.error(CommandError.syntax)
                return
            }
        }
        ctx.reply.arrayHeader(names.count)
        for name in names { ctx.reply.bulk(name) }
    }

    private func getKeys(_ ctx: inout CommandContext) {
        let inner = ArgumentList(base: ctx.args.base + 2, count: ctx.args.count - 2)
        guard let position = dispatcher.table.lookup(inner[0]) else {
            ctx.reply.error("ERR Invalid command specified")
            return
        }
        var spec = dispatcher.table.commands[position]
        if let subs = dispatcher.table.subcommands(of: position), inner.count >= 2,
           let sub = subs.lookup(inner[1]) {
            spec = subs.commands[sub]
        }
        guard Dispatcher.arityMatches(spec.arity, inner.count) else {
            ctx.reply.error("ERR Invalid number of arguments specified for command")
            return
        }
        let indices = spec.keys.indices(in: inner)
        guard !indices.isEmpty else {
            ctx.reply.error("ERR The command has no key arguments")
            return
        }
        ctx.reply.arrayHeader(indices.count)
        for i in indices { ctx.reply.bulk(inner[i]) }
    }
}
