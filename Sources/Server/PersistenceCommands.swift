#if canImport(Glibc)
import Glibc
#endif
import Commands
import Keyspace
import RESP

private typealias Arg = CommandArgument

/// SAVE, BGSAVE, LASTSAVE, BGREWRITEAOF.
extension ShoalServer {
    func persistenceCommands() -> [CommandSpec] {
        [
            CommandSpec(
                name: "save", arity: 1, flags: ["admin", "noscript", "no_async_loading", "no_multi"],
                aclCategories: ["admin", "dangerous"],
                summary: "Synchronously saves the database(s) to disk.", since: "1.0.0", group: "server",
                complexity: "O(N) where N is the total number of keys in all databases"
            ) { [unowned self] ctx in
                if snapshots.backgroundInProgress {
                    ctx.reply.error("ERR Background save already in progress")
                    return
                }
                do {
                    try snapshots.exclusively { [self] in try snapshots.saveExclusively() }
                    refreshWriteDenial()
                    ctx.reply.ok()
                } catch {
                    ctx.reply.error("ERR")
                }
            },
            CommandSpec(
                name: "bgsave", arity: -1, flags: ["admin", "noscript", "no_async_loading"],
                aclCategories: ["admin", "dangerous"],
                summary: "Asynchronously saves the database(s) to disk.", since: "1.0.0", group: "server",
                arguments: [Arg("schedule", .pureToken, token: "SCHEDULE", optional: true, since: "3.2.2")]
            ) { [unowned self] ctx in
                var schedule = false
                if ctx.args.count > 1 {
                    guard ctx.args.count == 2, ctx.args[1].equalsIgnoringCase("SCHEDULE") else {
                        ctx.reply.error(CommandError.syntax)
                        return
                    }
                    schedule = true
                }
                if snapshots.backgroundInProgress {
                    ctx.reply.error("ERR Background save already in progress")
                    return
                }
                switch snapshots.startBackgroundSave() {
                case .started:
                    ctx.reply.simpleString("Background saving started")
                case .alreadyRunning:
                    ctx.reply.error("ERR Background save already in progress")
                case .failed:
                    ctx.reply.error("ERR")
                case .otherJobRunning:
                    if schedule {
                        snapshots.scheduled = true
                        ctx.reply.simpleString("Background saving scheduled")
                    } else {
                        ctx.reply.error(
                            "ERR Another child process is active (AOF?): can't BGSAVE right now. Use BGSAVE SCHEDULE in order to schedule a BGSAVE whenever possible.")
                    }
                }
            },
            CommandSpec(
                name: "bgrewriteaof", arity: 1, flags: ["admin", "noscript", "no_async_loading"],
                aclCategories: ["admin", "dangerous"],
                summary: "Asynchronously rewrites the append-only file to disk.", since: "1.0.0", group: "server"
            ) { [unowned self] ctx in
                switch appendOnly.startRewrite() {
                case .started: ctx.reply.simpleString("Background append only file rewriting started")
                case .scheduled: ctx.reply.simpleString("Background append only file rewriting scheduled")
                case .alreadyRunning: ctx.reply.error("ERR Background append only file rewriting already in progress")
                case .failed:
                    ctx.reply.error(
                        "ERR Can't execute an AOF background rewriting. Please check the server logs for more information.")
                }
            },
            CommandSpec(
                name: "lastsave", arity: 1, flags: ["loading", "stale", "fast"], aclCategories: ["admin", "dangerous"],
                summary: "Returns the Unix timestamp of the last successful save to disk.", since: "1.0.0",
                group: "server"
            ) { [unowned self] ctx in
                ctx.reply.integer(Int(snapshots.lastSaveSeconds))
            },
        ]
    }

    /// `stop-writes-on-bgsave-error` (and, with an AOF, its write errors): what write commands get.
    func refreshWriteDenial() {
        if snapshots.deniesWrites {
            dispatcher.denyWrites(
                "MISCONF Redis is configured to save RDB snapshots, but it's currently unable to persist to disk. Commands that may modify the data set are disabled, because this instance is configured to report errors during writes if RDB snapshotting fails (stop-writes-on-bgsave-error option). Please check the Redis logs for details about the RDB error.")
        } else if let aofError = appendOnlyWriteError {
            dispatcher.denyWrites("MISCONF Errors writing to the AOF file: \(aofError)")
        } else {
            dispatcher.denyWrites(nil)
        }
    }
}
