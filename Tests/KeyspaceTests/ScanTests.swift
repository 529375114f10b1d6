import Dispatch
import Testing
@testable import Keyspace

@Suite struct ScanTests {
    /// A SCAN-like walk: whole slots per step, locking each slot while reading it.
    func scanStep(_ ks: Keyspace, from cursor: Int, count: Int) -> (next: Int, keys: [String]) {
        var keys: [String] = []
        var slot = cursor
        while slot < clusterSlotCount && keys.count < count {
            guard let next = ks.nextOccupiedSlot(db: 0, from: slot) else {
                slot = clusterSlotCount
                break
            }
            ks.lock(slot: next)
            ks.forEachEntry(db: 0, slot: next, now: 1_000) { keys.append(String(decoding: $0.keyBytes, as: UTF8.self)) }
            ks.unlock(slot: next)
            slot = next + 1
        }
        return (slot >= clusterSlotCount ? 0 : slot, keys)
    }

    @Test func everyStableKeyIsReturnedWhileTheKeyspaceChanges() {
        let ks = Keyspace(databases: 1)
        for i in 0..<5_000 { ks.set("stable:\(i)", "v") }
        for i in 0..<5_000 { ks.set("churn:\(i)", "v") }
        var seen = Set<String>()
        var cursor = 0
        var step = 0
        repeat {
            let r = scanStep(ks, from: cursor, count: 10)
            seen.formUnion(r.keys)
            cursor = r.next
            // Between calls: grow (new keys) and shrink (deleted keys) the tables.
            for j in 0..<40 { ks.set("new:\(step):\(j)", "v") }
            for j in 0..<40 { _ = ks.del("churn:\((step * 40 + j) % 5_000)") }
            step += 1
        } while cursor != 0
        for i in 0..<5_000 { #expect(seen.contains("stable:\(i)")) }
    }

    @Test func scanWithConcurrentWriterThread() {
        let ks = Keyspace(databases: 1, concurrent: true)
        for i in 0..<20_000 { ks.set("stable:\(i)", "v") }
        final class Flag: @unchecked Sendable { var stop = false }
        let flag = Flag()
        let group = DispatchGroup()
        DispatchQueue.global().async(group: group) {
            var i = 0
            while !flag.stop && i < 2_000_000 {
                let text = "w:\(i % 30_000)"
                withKey(text) { k in
                    ks.lock(slot: k.slot)
                    if i % 3 == 0 {
                        ks.delete(db: 0, key: k, now: 1_000)
                    } else {
                        withBytes("value") { ks.setString(db: 0, key: k, value: $0, now: 1_000) }
                    }
                    ks.unlock(slot: k.slot)
                }
                i += 1
            }
        }
        var seen = Set<String>()
        for _ in 0..<3 {
            var cursor = 0
            repeat {
                let r = scanStep(ks, from: cursor, count: 100)
                seen.formUnion(r.keys)
                cursor = r.next
            } while cursor != 0
        }
        flag.stop = true
        group.wait()
        for i in 0..<20_000 { #expect(seen.contains("stable:\(i)")) }
        #expect(ks.checkInvariants())
    }

    @Test func randomKeyReturnsLiveKeys() {
        let ks = Keyspace(databases: 1)
        #expect(ks.randomKey(db: 0, now: 1) == nil)
        for i in 0..<50 { ks.set("k\(i)", "v") }
        for i in 0..<50 { ks.set("dead\(i)", "v", expireAt: 10, now: 1) }
        var seen = Set<String>()
        for _ in 0..<2_000 {
            guard let k = ks.randomKey(db: 0, now: 100) else { Issue.record("nil"); break }
            seen.insert(String(decoding: k, as: UTF8.self))
        }
        #expect(seen.allSatisfy { $0.hasPrefix("k") })
        #expect(seen.count > 45)
        #expect(ks.keyCount(db: 0) == 50)
    }
}
