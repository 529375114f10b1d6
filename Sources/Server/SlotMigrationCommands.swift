import Cluster
import ClusterBus
import Commands
import Keyspace
import Migration
import RDB
import RESP

private typealias Arg = CommandArgument

/// The CLUSTER subcommands of whole-slot migration: MIGRATESLOTS / GETSLOTMIGRATIONS /
/// CANCELSLOTMIGRATIONS (Valkey 9's names) on the source, and IMPORTKEYS / PURGESLOTS, which the
/// source sends to the target (Shoal's own; redis-server has no equivalent).
extension ShoalServer {
    func slotMigrationSubcommands(
        _ sub: (String, Int, String, String, [CommandArgument], @escaping @Sendable (inout CommandContext, ClusterService) -> Void) -> CommandSpec
    ) -> [CommandSpec] {
        [
            sub("migrateslots", -6, "Moves whole slots to another node, keys and ownership at once.", "9.0.0",
                [Arg("slotsrange", .block, token: "SLOTSRANGE", multiple: true, arguments: [
                    Arg("start-slot", .integer), Arg("end-slot", .integer)]),
                 Arg("node-id", .string, token: "NODE")]
            ) { [unowned self] ctx, _ in
                guard let (ranges, target) = ShoalServer.parseMigrateSlots(&ctx) else { return }
                do throws(ClusterCommandError) {
                    _ = try migrator.start(ranges: ranges, target: target)
                    ctx.reply.ok()
                } catch {
                    ctx.reply.error(error.message)
                }
            },
            sub("getslotmigrations", 2, "Lists the slot migrations of this node and their progress.", "9.0.0", []) {
                [unowned self] ctx, _ in
                let jobs = migrator.all
                ctx.reply.arrayHeader(jobs.count)
                for job in jobs {
                    let fields = job.fields
                    ctx.reply.mapHeader(fields.count)
                    for (name, value) in fields {
                        ctx.reply.bulk(name)
                        switch value {
                        case .text(let text): ctx.reply.bulk(text)
                        case .number(let n): ctx.reply.integer(n)
                        }
                    }
                }
            },
            sub("cancelslotmigrations", 2, "Cancels the running slot migrations of this node.", "9.0.0", []) {
                [unowned self] ctx, _ in
                _ = migrator.cancelAll()
                ctx.reply.ok()
            },
            sub("importkeys", 3, "Stores a batch of keys sent by a migrating node (Shoal to Shoal).", "0.1.0",
                [Arg("frame", .string)]
            ) { [unowned self] ctx, _ in
                importKeys(&ctx)
            },
            sub("purgeslots", -3, "Deletes the keys of slots whose import was abandoned.", "0.1.0",
                [Arg("slot", .integer, multiple: true)]
            ) { [unowned self] ctx, _ in
                purgeSlots(&ctx)
            },
        ]
    }

    /// `SLOTSRANGE s e [s e ...] NODE id`.
    private static func parseMigrateSlots(_ ctx: inout CommandContext) -> ([ClosedRange<Int>], String)? {
        let args = ctx.args
        guard args[2].equalsIgnoringCase("slotsrange") else {
            ctx.reply.error(CommandError.syntax)
            return nil
        }
        var ranges: [ClosedRange<Int>] = []
        var i = 3
        while i + 1 < args.count && !args[i].equalsIgnoringCase("node") {
            guard let start = args[i].parseInt64(), let end = args[i + 1].parseInt64(),
                  start >= 0, end < 16384 else {
                ctx.reply.error("ERR Invalid or out of range slot")
                return nil
            }
            guard start <= end else {
                ctx.reply.error("ERR start slot number \(start) is greater than end slot number \(end)")
                return nil
            }
            ranges.append(Int(start)...Int(end))
            i += 2
        }
        guard !ranges.isEmpty, i + 2 == args.count, args[i].equalsIgnoringCase("node") else {
            ctx.reply.error(CommandError.syntax)
            return nil
        }
        return (ranges, args[i + 1].string)
    }

    /// CLUSTER IMPORTKEYS <frame>: every key of the frame is decoded and checked before any is
    /// stored, and only into slots this node is importing.
    private func importKeys(_ ctx: inout CommandContext) {
        let records: [MigrationRecord]
        do {
            records = try MigrationBatch.decode(Array(ctx.args[2]))
        } catch {
            ctx.reply.error("ERR \(error)")
            return
        }
        ctx.connection.routing.refresh()
        let routing = ctx.connection.routing
        let importing = routing.table.importing
        var values: [(record: MigrationRecord, slot: Int, value: RDBValue)] = []
        values.reserveCapacity(records.count)
        for record in records {
            let slot = record.key.withUnsafeBytes { keyHashSlot($0) }
            guard importing.contains(slot) || routing.owners[slot] == routing.myIndex else {
                ctx.reply.error("ERR Slot \(slot) is not being imported by this node")
                return
            }
            do {
                let value = try record.object.withUnsafeBytes { bytes throws(RDBError) in try RDBObject.decode(bytes) }
                values.append((record, slot, value))
            } catch {
                ctx.reply.error("ERR Bad data format in migrated key: \(error)")
                return
            }
        }
        let limits = rdbEncodingLimits
        var stored = 0
        for item in values {
            keyspace.lock(slot: item.slot)
            writeBarrier.beforeWrite(slot: item.slot)
            let propagator = dispatcher.propagator
            item.record.key.withUnsafeBytes { key in
                let k = Key(key, slot: item.slot)
                if item.record.append {
                    if BigValueMigration.append(item.value, to: k, db: 0, keyspace: keyspace, limits: limits, now: ctx.now) {
                        stored += 1
                        propagator?.added(db: 0, key: item.record.key, value: item.value)
                    }
                    return
                }
                _ = keyspace.delete(db: 0, key: k, now: ctx.now)
                if (try? store(item.value, key: key, db: 0, expireAt: item.record.expireAt, into: keyspace,
                               limits: limits, now: ctx.now)) == true {
                    stored += 1
                    propagator?.restored(db: 0, key: item.record.key, object: item.record.object,
                                         expireAt: item.record.expireAt)
                }
            }
            keyspace.unlock(slot: item.slot)
        }
        ctx.reply.integer(stored)
    }

    /// CLUSTER PURGESLOTS slot...: drops keys of slots this node does not own.
    private func purgeSlots(_ ctx: inout CommandContext) {
        let routing = ctx.connection.routing
        routing.refresh()
        var removed = 0
        for i in 2..<ctx.args.count {
            guard let n = ctx.args[i].parseInt64(), n >= 0, n < 16384 else {
                ctx.reply.error("ERR Invalid or out of range slot")
                return
            }
            let slot = Int(n)
            if routing.owners[slot] == routing.myIndex { continue }
            keyspace.lock(slot: slot)
            writeBarrier.beforeWrite(slot: slot)
            dispatcher.propagator?.deleted(db: 0, keys: keyspace.keys(db: 0, slot: slot, now: Int64.min))
            removed += keyspace.flush(db: 0, slot: slot)
            keyspace.unlock(slot: slot)
        }
        ctx.reply.integer(removed)
    }

    /// The compact-encoding thresholds values are stored with, from the live configuration.
    var rdbEncodingLimits: RDBEncodingLimits {
        var limits = RDBEncodingLimits()
        limits.hashMaxListpackEntries = encodingLimits.hashMaxListpackEntries
        limits.hashMaxListpackValue = encodingLimits.hashMaxListpackValue
        limits.setMaxIntsetEntries = encodingLimits.setMaxIntsetEntries
        limits.zsetMaxListpackEntries = encodingLimits.zsetMaxListpackEntries
        limits.zsetMaxListpackValue = encodingLimits.zsetMaxListpackValue
        limits.listMaxListpackSize = encodingLimits.listMaxListpackSize
        return limits
    }
}
