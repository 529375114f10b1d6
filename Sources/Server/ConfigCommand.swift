import Commands
import RESP
import ServerConfig

/// CONFIG GET / SET / RESETSTAT over the live configuration.
extension ShoalServer {
    func configCommand() -> CommandSpec {
        let flags = ["admin", "noscript", "loading", "stale"]
        let categories = ["admin", "slow", "dangerous"]
        return CommandSpec(
            name: "config", arity: -2, flags: [], aclCategories: ["slow"],
            summary: "A container for server configuration commands.", since: "2.0.0", group: "server",
            subcommands: [
                CommandSpec(name: "get", arity: -3, flags: flags, aclCategories: categories,
                            summary: "Returns the effective values of configuration parameters.", since: "2.0.0",
                            group: "server", complexity: "O(N) when N is the number of configuration parameters provided",
                            arguments: [
                                CommandArgument("parameter", .block, multiple: true, arguments: [
                                    CommandArgument("parameter", .string),
                                ]),
                            ])
                { [unowned self] ctx in
                    let patterns = (2..<ctx.args.count).map { ctx.args[$0].string }
                    let pairs = configuration.get(patterns: patterns)
                    ctx.reply.mapHeader(pairs.count)
                    for (name, value) in pairs {
                        ctx.reply.bulk(name)
                        ctx.reply.bulk(value)
                    }
                },
                CommandSpec(name: "set", arity: -4, flags: flags, aclCategories: categories,
                            summary: "Sets configuration parameters in-flight.", since: "2.0.0", group: "server",
                            complexity: "O(N) when N is the number of configuration parameters provided",
                            arguments: [
                                CommandArgument("parameter_value", .block, multiple: true, arguments: [
                                    CommandArgument("parameter", .string), CommandArgument("value", .string),
                                ]),
                            ])
                { [unowned self] ctx in
                    guard ctx.args.count % 2 == 0 else {
                        ctx.reply.error(CommandError.wrongArity("config|set"))
                        return
                    }
                    var pairs: [(String, String)] = []
                    for i in stride(from: 2, to: ctx.args.count, by: 2) {
                        pairs.append((ctx.args[i].string, ctx.args[i + 1].string))
                    }
                    switch configuration.set(pairs) {
                    case .success: ctx.reply.ok()
                    case .failure(let error): ctx.reply.error(error.message)
                    }
                },
                CommandSpec(name: "resetstat", arity: 2, flags: flags, aclCategories: categories,
                            summary: "Resets the server's statistics.", since: "2.0.0", group: "server")
                { [unowned self] ctx in
                    for loop in loops { loop.resetStats() }
                    clients.resetStats()
                    expiredKeysAtReset = keyspace.expiredKeys
                    ctx.reply.ok()
                },
                CommandSpec(name: "help", arity: 2, flags: ["loading", "stale"], aclCategories: ["slow"],
                            summary: "Returns helpful text about the different subcommands.", since: "5.0.0",
                            group: "server")
                { ctx in
                    let lines = [
                        "CONFIG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
                        "GET <pattern>", "    Return parameters matching the glob-like <pattern> and their values.",
                        "SET <directive> <value>", "    Set the configuration <directive> to <value>.",
                        "RESETSTAT", "    Reset statistics reported by the INFO command.",
                        "HELP", "    Print this help.",
                    ]
                    ctx.reply.arrayHeader(lines.count)
                    for line in lines { ctx.reply.simpleString(line) }
                },
            ])
    }
}
