#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Keyspace
import RESP

/// How hashes are stored, with Redis 7.0's rules (`hashTypeTryConversion`, `hashTypeSet`):
/// a hash stays compact while it has at most `hash-max-listpack-entries` fields and every field
/// and value written into it is at most `hash-max-listpack-value` bytes; otherwise it becomes a
/// `HashFieldTable` and never goes back.
enum HashStorage {
    /// Redis refuses to grow a listpack past 1 GiB (`lpSafeToAdd`) and converts instead.
    static let maxCompactBytes = 1 << 30

    /// Sets `pairCount` field/value pairs (from `pair(i)`) in the hash at `key`, whose entry is
    /// `entry` (a hash) or nil (created here). Returns how many fields were new. Marks the
    /// keyspace dirty by `pairCount`, as Redis counts HSET's changes.
    static func set(
        _ ctx: inout CommandContext, key: Key, entry: EntryRef?, pairCount: Int,
        _ pair: (Int) -> (field: UnsafeRawBufferPointer, value: UnsafeRawBufferPointer)
    ) -> Int {
        let keyspace = ctx.keyspace
        if let e = entry, e.holdsObject {
            let table = HashView.table(of: e)
            var created = 0
            for i in 0..<pairCount {
                let (f, v) = pair(i)
                if table.set(field: f, value: v) { created += 1 }
            }
            keyspace.addDirty(pairCount, slot: key.slot)
            return created
        }
        let compact = entry.map { HashListpack($0.valueBytes) }
        let maxValue = ctx.encodings.hashMaxListpackValue
        var fits = true
        var added = 0
        for i in 0..<pairCount {
            let (f, v) = pair(i)
            if f.count > maxValue || v.count > maxValue {
                fits = false
                break
            }
            added += f.count + v.count
        }
        if fits && (compact?.bytes.count ?? 0) + added > maxCompactBytes { fits = false }
        guard fits else {
            let table = compact.map { HashFieldTable($0, extraCapacity: pairCount) } ?? HashFieldTable(capacity: pairCount)
            var created = 0
            for i in 0..<pairCount {
                let (f, v) = pair(i)
                if table.set(field: f, value: v) { created += 1 }
            }
            keyspace.setObject(db: ctx.db, key: key, object: table, keepTTL: true, now: ctx.now)
            keyspace.addDirty(pairCount - 1, slot: key.slot)
            return created
        }
        // Values rewritten with the same length are patched in the entry itself: no new block.
        var start = 0
        if let compact {
            while start < pairCount {
                let (f, v) = pair(start)
                guard let p = compact.find(f), p.value.count == v.count else { break }
                if v.count > 0 {
                    UnsafeMutableRawPointer(mutating: p.value.baseAddress!).copyMemory(
                        from: v.baseAddress!, byteCount: v.count)
                }
                start += 1
            }
            if start == pairCount {
                keyspace.addDirty(pairCount, slot: key.slot)
                return 0
            }
        }
        let maxEntries = ctx.encodings.hashMaxListpackEntries
        var builder = HashListpackBuilder(copying: compact, reserve: added + 4 * (pairCount - start))
        var created = 0
        var i = start
        while i < pairCount {
            let (f, v) = pair(i)
            i += 1
            guard builder.set(field: f, value: v) else { continue }
            created += 1
            if builder.count > maxEntries {
                let table = HashFieldTable(builder.sealed(), extraCapacity: pairCount - i)
                while i < pairCount {
                    let (f, v) = pair(i)
                    i += 1
                    if table.set(field: f, value: v) { created += 1 }
                }
                keyspace.setObject(db: ctx.db, key: key, object: table, keepTTL: true, now: ctx.now)
                keyspace.addDirty(pairCount - 1, slot: key.slot)
                return created
            }
        }
        let sealed = builder.sealed()
        keyspace.setCompact(
            db: ctx.db, key: key, type: .hash, encoding: .listpack, bytes: sealed.bytes, keepTTL: true, now: ctx.now)
        keyspace.addDirty(pairCount - 1, slot: key.slot)
        return created
    }

    /// Sets one field (HSETNX, HINCRBY, HINCRBYFLOAT).
    static func set(
        _ ctx: inout CommandContext, key: Key, entry: EntryRef?, field: UnsafeRawBufferPointer,
        value: UnsafeRawBufferPointer
    ) {
        _ = set(&ctx, key: key, entry: entry, pairCount: 1) { _ in (field, value) }
    }
}

extension HashCommands {
    /// A write lookup that replies WRONGTYPE for a non-hash: `.some(nil)` means no such key, nil
    /// means a reply was written.
    static func writeHash(_ ctx: inout CommandContext, _ key: Key) -> EntryRef?? {
        guard let e = ctx.lookupWrite(key) else { return .some(nil) }
        guard e.type == .hash else {
            ctx.reply.error(CommandError.wrongType)
            return nil
        }
        return .some(e)
    }

    /// HSET (number of new fields) and HMSET (+OK).
    static func hset(_ ctx: inout CommandContext, replyOK: Bool) {
        let n = ctx.args.count
        guard n % 2 == 0 else {
            ctx.reply.error(CommandError.wrongArity(replyOK ? "hmset" : "hset"))
            return
        }
        let key = ctx.key(1)
        guard let entry = writeHash(&ctx, key) else { return }
        let args = ctx.args
        let created = HashStorage.set(&ctx, key: key, entry: entry, pairCount: (n - 2) / 2) { i in
            (args[2 + 2 * i], args[3 + 2 * i])
        }
        if replyOK { ctx.reply.ok() } else { ctx.reply.integer(created) }
    }

    static func hsetnx(_ ctx: inout CommandContext) {
        let key = ctx.key(1)
        guard let entry = writeHash(&ctx, key) else { return }
        if let e = entry, HashView(e).value(of: ctx.args[2]) != nil {
            ctx.reply.integer(0)
            return
        }
        HashStorage.set(&ctx, key: key, entry: entry, field: ctx.args[2], value: ctx.args[3])
        ctx.reply.integer(1)
    }

    static func hdel(_ ctx: inout CommandContext) {
        let key = ctx.key(1)
        guard let found = writeHash(&ctx, key) else { return }
        guard let e = found else {
            ctx.reply.integer(0)
            return
        }
        let n = ctx.args.count
        var deleted = 0
        var empty = false
        if e.holdsObject {
            let table = HashView.table(of: e)
            for i in 2..<n where table.remove(field: ctx.args[i]) {
                deleted += 1
                if table.count == 0 { break }
            }
            empty = table.count == 0
            if deleted > 0 && !empty { ctx.keyspace.addDirty(deleted, slot: key.slot) }
        } else {
            let compact = HashListpack(e.valueBytes)
            // Nothing to delete is the common miss: answer it without copying the hash.
            var any = false
            for i in 2..<n where compact.find(ctx.args[i]) != nil {
                any = true
                break
            }
            if any {
                var builder = HashListpackBuilder(copying: compact, reserve: 0)
                for i in 2..<n where builder.remove(field: ctx.args[i]) {
                    deleted += 1
                    if builder.count == 0 { break }
                }
                empty = builder.count == 0
                if !empty {
                    ctx.keyspace.setCompact(
                        db: ctx.db, key: key, type: .hash, encoding: .listpack, bytes: builder.sealed().bytes,
                        keepTTL: true, now: ctx.now)
                    ctx.keyspace.addDirty(deleted - 1, slot: key.slot)
                }
            }
        }
        if empty {
            ctx.keyspace.delete(db: ctx.db, key: key, now: ctx.now)
            ctx.keyspace.addDirty(deleted - 1, slot: key.slot)
        }
        ctx.reply.integer(deleted)
    }

    static func hincrby(_ ctx: inout CommandContext) {
        guard let increment = ctx.args[3].parseInt64() else {
            ctx.reply.error(CommandError.notInteger)
            return
        }
        let key = ctx.key(1)
        guard let entry = writeHash(&ctx, key) else { return }
        let field = ctx.args[2]
        var old: Int64 = 0
        if let e = entry, let stored = HashView(e).value(of: field) {
            guard let v = parseCanonicalInt64(stored.baseAddress, count: stored.count) else {
                ctx.reply.error(HashErrors.notInteger)
                return
            }
            old = v
        }
        let (value, overflow) = old.addingReportingOverflow(increment)
        if overflow {
            ctx.reply.error(KeyErrors.overflow)
            return
        }
        var digits: (UInt64, UInt64, UInt64) = (0, 0, 0)
        withUnsafeMutableBytes(of: &digits) { buf in
            let n = RESPWriter.formatDecimal(Int(value), into: buf.baseAddress!)
            HashStorage.set(
                &ctx, key: key, entry: entry, field: field,
                value: UnsafeRawBufferPointer(start: buf.baseAddress!, count: n))
        }
        ctx.reply.integer(Int(value))
    }

    static func hincrbyfloat(_ ctx: inout CommandContext) {
        guard let increment = parseLongDouble(ctx.args[3]) else {
            ctx.reply.error(CommandError.notFloat)
            return
        }
        if increment.isNaN || increment.isInfinite {
            ctx.reply.error(HashErrors.incrementNotFinite)
            return
        }
        let key = ctx.key(1)
        guard let entry = writeHash(&ctx, key) else { return }
        let field = ctx.args[2]
        var value: LongDouble = 0
        if let e = entry, let stored = HashView(e).value(of: field) {
            guard let v = parseLongDouble(stored) else {
                ctx.reply.error(HashErrors.notFloat)
                return
            }
            value = v
        }
        value += increment
        if value.isNaN || value.isInfinite {
            ctx.reply.error(KeyErrors.nanOrInfinity)
            return
        }
        let text = formatLongDouble(value)
        text.withUnsafeBytes { bytes in
            HashStorage.set(&ctx, key: key, entry: entry, field: field, value: bytes)
            ctx.reply.bulk(bytes)
        }
    }
}
