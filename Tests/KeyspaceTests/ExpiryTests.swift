import Testing
@testable import Keyspace

@Suite struct ExpiryTests {
    @Test func lazyExpiryOnEveryRead() {
        let ks = Keyspace()
        ks.set("k", "v", expireAt: 5_000, now: 1_000)
        #expect(ks.get("k", now: 5_000) == "v")  // expires when now > expireAt
        #expect(ks.expiredKeys == 0)
        #expect(ks.get("k", now: 5_001) == nil)
        #expect(ks.expiredKeys == 1)
        #expect(ks.keyCount(db: 0) == 0)
        #expect(ks.expiringKeyCount(db: 0) == 0)
        // Writes see it gone too: a SET with KEEPTTL on an expired key keeps no TTL.
        ks.set("w", "v", expireAt: 5_000, now: 1_000)
        ks.set("w", "new", keepTTL: true, now: 6_000)
        #expect(ks.entry("w", now: 6_000)?.expireAt == nil)
        #expect(ks.expiredKeys == 2)
        // DEL of an expired key reports absent but counts the expiry.
        ks.set("d", "v", expireAt: 5_000, now: 1_000)
        #expect(!ks.del("d", now: 7_000))
        #expect(ks.expiredKeys == 3)
        // Iteration skips and collects expired keys.
        ks.set("i1", "v", expireAt: 5_000, now: 1_000)
        ks.set("i2", "v", now: 1_000)
        var seen: [String] = []
        for slot in 0..<clusterSlotCount {
            ks.forEachEntry(db: 0, slot: slot, now: 9_000) { seen.append(String(decoding: $0.keyBytes, as: UTF8.self)) }
        }
        #expect(Set(seen) == ["w", "i2"])
        #expect(ks.expiredKeys == 4)
        #expect(ks.checkInvariants())
    }

    @Test func observerSeesExpiredKeys() {
        let ks = Keyspace()
        final class Box: @unchecked Sendable { var keys: [String] = [] }
        let box = Box()
        ks.expirationObserver = { db, key in box.keys.append("\(db):" + String(decoding: key, as: UTF8.self)) }
        ks.set("a", "v", expireAt: 10, now: 1)
        _ = ks.get("a", now: 11)
        #expect(box.keys == ["0:a"])
    }

    @Test func activeExpiryDeletesOnlyExpiredKeys() {
        let ks = Keyspace(databases: 2)
        for i in 0..<5_000 { ks.set("e\(i)", "v", expireAt: 2_000, now: 1_000) }
        for i in 0..<5_000 { ks.set("l\(i)", "v", expireAt: 1_000_000, now: 1_000) }
        for i in 0..<5_000 { ks.set("p\(i)", "v", now: 1_000) }
        for i in 0..<100 { ks.set("x\(i)", "v", db: 1, expireAt: 2_000, now: 1_000) }
        #expect(ks.expiringKeyCount(db: 0) == 10_000)
        var total = 0
        // A clock that never advances: the budget never runs out, the stale-ratio rule stops it.
        for _ in 0..<200 {
            total += ks.activeExpireCycle(now: 3_000, timeBudgetMicros: 1_000, clock: { 0 })
            if ks.keyCount(db: 0) == 10_000 && ks.keyCount(db: 1) == 0 { break }
        }
        #expect(total == 5_100)
        #expect(ks.expiredKeys == 5_100)
        #expect(ks.keyCount(db: 0) == 10_000)
        #expect(ks.keyCount(db: 1) == 0)
        #expect(ks.expiringKeyCount(db: 0) == 5_000)
        // The TTL estimate converges towards the live keys' TTL (~997 s).
        let avg = ks.averageTTL(db: 0, now: 3_000)
        #expect(avg > 900_000 && avg <= 999_000)
        #expect(ks.checkInvariants())
    }

    @Test func activeExpiryStopsAtTheBudget() {
        let ks = Keyspace()
        for i in 0..<20_000 { ks.set("e\(i)", "v", expireAt: 2_000, now: 1_000) }
        final class Ticks: @unchecked Sendable { var t: Int64 = 0 }
        let ticks = Ticks()
        // Each clock read advances 100 µs; a 1 ms budget allows only a few rounds.
        let n = ks.activeExpireCycle(now: 3_000, timeBudgetMicros: 1_000) {
            ticks.t += 100
            return ticks.t
        }
        #expect(n > 0 && n < 20_000)
        #expect(ks.keyCount(db: 0) == 20_000 - n)
        // Later cycles continue from the cursor and finish the job.
        var rest = 0
        for _ in 0..<10_000 where ks.keyCount(db: 0) > 0 {
            rest += ks.activeExpireCycle(now: 3_000, timeBudgetMicros: 1_000) {
                ticks.t += 100
                return ticks.t
            }
        }
        #expect(n + rest == 20_000)
        #expect(ks.keyCount(db: 0) == 0)
    }

    @Test func nothingToExpireIsCheap() {
        let ks = Keyspace()
        for i in 0..<1_000 { ks.set("p\(i)", "v") }
        #expect(ks.activeExpireCycle(now: 10_000_000, timeBudgetMicros: 1_000) == 0)
        #expect(ks.keyCount(db: 0) == 1_000)
    }
}
