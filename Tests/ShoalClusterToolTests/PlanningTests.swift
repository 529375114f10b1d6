import Testing
@testable import ShoalClusterKit

/// The planners: create's allocation, reshard's slot table, rebalance, fix decisions.
@Suite struct CreateAllocationTests {
    func plan(_ hosts: [String], replicas: Int, seed: UInt64 = 7) throws -> CreateAllocation {
        var rng = SplitMix64(seed: seed)
        return try CreateAllocation.plan(hosts: hosts, replicas: replicas, using: &rng)
    }

    @Test func threeMastersGetRedisCliRanges() throws {
        let a = try plan(Array(repeating: "127.0.0.1", count: 3), replicas: 0)
        #expect(a.masters == [0, 1, 2])
        #expect(a.slotRanges == [0...5460, 5461...10922, 10923...16383])
        #expect(a.replicaOf.isEmpty && a.antiAffinityScore == 0)
    }

    @Test func rangesCoverEverySlotOnce() throws {
        for n in 3...12 {
            let a = try plan(Array(repeating: "h", count: n), replicas: 0)
            #expect(a.slotRanges.count == n)
            #expect(a.slotRanges.first?.lowerBound == 0 && a.slotRanges.last?.upperBound == 16383)
            for i in 1..<n { #expect(a.slotRanges[i].lowerBound == a.slotRanges[i - 1].upperBound + 1) }
            let sizes = a.slotRanges.map(\.count)
            #expect(sizes.max()! - sizes.min()! <= 1)
        }
        let four = try plan(Array(repeating: "h", count: 4), replicas: 0)
        #expect(four.slotRanges == [0...4095, 4096...8191, 8192...12287, 12288...16383])
    }

    @Test func sixNodesOneHostOneReplicaEach() throws {
        let a = try plan(Array(repeating: "127.0.0.1", count: 6), replicas: 1)
        #expect(a.masters == [0, 1, 2])
        #expect(a.replicaOf.count == 3)
        #expect(Set(a.replicaOf.keys) == [3, 4, 5])
        #expect(Set(a.replicaOf.values) == [0, 1, 2])
        // all on one host: every replica sits with its master
        #expect(a.antiAffinityScore == 30000)
    }

    @Test func mastersSpreadOverHostsAndReplicasAvoidTheirMastersHost() throws {
        let hosts = ["a", "a", "b", "b", "c", "c"]
        let a = try plan(hosts, replicas: 1)
        // interleaved by host: a b c a b c -> masters 0 (a), 2 (b), 4 (c)
        #expect(a.masters == [0, 2, 4])
        #expect(a.antiAffinityScore == 0)
        for (r, m) in a.replicaOf { #expect(hosts[r] != hosts[m]) }
    }

    @Test func extraNodesBecomeExtraReplicas() throws {
        let a = try plan(Array(repeating: "h", count: 7), replicas: 1)
        #expect(a.masters.count == 3 && a.replicaOf.count == 4)
        var perMaster: [Int: Int] = [:]
        for m in a.replicaOf.values { perMaster[m, default: 0] += 1 }
        #expect(perMaster.values.sorted() == [1, 1, 2])
    }

    @Test func tooFewMastersIsAnError() {
        #expect(throws: CreateAllocation.InvalidConfiguration.self) {
            try plan(Array(repeating: "h", count: 5), replicas: 1)
        }
        #expect(throws: CreateAllocation.InvalidConfiguration.self) {
            try plan(["h", "h"], replicas: 0)
        }
    }

    @Test func antiAffinityScoreCounts() {
        // master 0 on a with replica 1 on a (10000), master 2 on b with replicas 3 and 4 both on c (2)
        let hosts = ["a", "a", "b", "c", "c"]
        let s = CreateAllocation.antiAffinity(hosts: hosts, replicaOf: [1: 0, 3: 2, 4: 2])
        #expect(s.score == 10002)
        #expect(Set(s.offenders) == [1, 3])
    }

    @Test func optimizerFixesABadStart() throws {
        // 3 hosts, 2 replicas each: the optimizer must reach perfect anti-affinity
        let hosts = ["a", "b", "c", "a", "b", "c", "a", "b", "c"]
        for seed in UInt64(1)...5 {
            let a = try plan(hosts, replicas: 2, seed: seed)
            #expect(a.antiAffinityScore == 0)
        }
    }
}

@Suite struct ReshardTableTests {
    func masters(_ counts: [(String, ClosedRange<Int>)]) -> [MasterSlots] {
        counts.map { MasterSlots(id: $0.0, slots: SlotSet($0.1)) }
    }

    @Test func biggestSourceRoundsUpOthersDown() {
        let src = masters([("A", 0...5460), ("B", 5461...10922)])
        let t = ReshardTable.compute(sources: src, numSlots: 4096)
        #expect(t.count == 4096)
        let fromB = t.filter { $0.source == "B" }.map(\.slot)
        let fromA = t.filter { $0.source == "A" }.map(\.slot)
        #expect(fromB.count == 2049 && fromA.count == 2047)
        // B (5462 slots) comes first, each gives its lowest slots
        #expect(t.first?.source == "B")
        #expect(fromB == Array(5461...(5461 + 2048)))
        #expect(fromA == Array(0...2046))
    }

    @Test func equalSourcesKeepTheirOrder() {
        let src = masters([("A", 0...99), ("B", 100...199)])
        let t = ReshardTable.compute(sources: src, numSlots: 10)
        #expect(t.map(\.source) == Array(repeating: "A", count: 5) + Array(repeating: "B", count: 5))
    }

    @Test func roundingShortfallIsToppedUpUnlessRedisCliExactness() {
        let src = masters([("A", 0...9), ("B", 10...19), ("C", 20...29)])
        let redisCli = ReshardTable.compute(sources: src, numSlots: 5, exact: false)
        #expect(redisCli.count == 4)  // ceil(1.67) + floor(1.67) + floor(1.67)
        let exact = ReshardTable.compute(sources: src, numSlots: 5)
        #expect(exact.count == 5)
        #expect(Set(exact.map(\.slot)).count == 5)
        #expect(exact.filter { $0.source == "A" }.map(\.slot) == [0, 1, 2])
    }

    @Test func neverMoreThanTheSourcesHold() {
        let src = masters([("A", 0...2)])
        #expect(ReshardTable.compute(sources: src, numSlots: 10).map(\.slot) == [0, 1, 2])
        #expect(ReshardTable.compute(sources: [], numSlots: 10).isEmpty)
    }
}

@Suite struct RebalancePlanTests {
    let three = [MasterSlots(id: "A", slots: SlotSet(0...5460)), MasterSlots(id: "B", slots: SlotSet(5461...10922)),
                 MasterSlots(id: "C", slots: SlotSet(10923...16383))]

    @Test func balancedClusterNeedsNothing() {
        let p = RebalancePlan.compute(masters: three, useEmptyMasters: false, threshold: 2)
        #expect(!p.thresholdReached && p.moves.isEmpty)
        #expect(p.nodes.map(\.expected) == [5461, 5461, 5461])
    }

    @Test func emptyMasterIgnoredWithoutTheFlag() {
        let four = three + [MasterSlots(id: "D", slots: SlotSet())]
        let p = RebalancePlan.compute(masters: four, useEmptyMasters: false, threshold: 2)
        #expect(!p.thresholdReached && p.nodes.count == 3)
    }

    @Test func emptyMasterGetsItsShare() {
        let four = three + [MasterSlots(id: "D", slots: SlotSet())]
        let p = RebalancePlan.compute(masters: four, useEmptyMasters: true, threshold: 2)
        #expect(p.thresholdReached)
        #expect(p.totalWeight == 4)
        #expect(p.moves.count == 4096)
        #expect(p.moves.allSatisfy { $0.target == "D" })
        #expect(Set(p.moves.map(\.slot)).count == 4096)
        var after: [String: Int] = ["A": 5461, "B": 5462, "C": 5461, "D": 0]
        for m in p.moves { after[m.source]! -= 1; after[m.target]! += 1 }
        #expect(after.values.allSatisfy { abs($0 - 4096) <= 1 })
        // each transfer takes the source's lowest slots
        let fromA = p.moves.filter { $0.source == "A" }.map(\.slot)
        #expect(fromA == Array(0..<fromA.count))
        #expect(p.transfers.reduce(0) { $0 + $1.count } == 4096)
    }

    @Test func zeroWeightDrainsANode() {
        var m = three
        m[2].weight = 0
        let p = RebalancePlan.compute(masters: m, useEmptyMasters: false, threshold: 2)
        #expect(p.moves.count == 5461)
        #expect(p.moves.allSatisfy { $0.source == "C" })
        #expect(Set(p.moves.map(\.target)) == ["A", "B"])
        #expect(p.nodes[2].expected == 0)
    }

    @Test func weightsAndThreshold() {
        var m = three
        m[0].weight = 2  // A should hold half
        let p = RebalancePlan.compute(masters: m, useEmptyMasters: false, threshold: 2)
        #expect(p.nodes.map(\.expected) == [8192, 4096, 4096])
        #expect(p.moves.allSatisfy { $0.target == "A" })
        #expect(p.moves.count == 8192 - 5461)
        // a generous threshold: nothing to do
        let q = RebalancePlan.compute(masters: m, useEmptyMasters: false, threshold: 60)
        #expect(!q.thresholdReached)
    }

    @Test func roundingSurplusIsAbsorbed() {
        // 16384 / 3 = 5461.33: expected 5461 each, total balance +1 must be matched by a receiver
        let m = [MasterSlots(id: "A", slots: SlotSet(0...8191)), MasterSlots(id: "B", slots: SlotSet(8192...16383)),
                 MasterSlots(id: "C", slots: SlotSet())]
        let p = RebalancePlan.compute(masters: m, useEmptyMasters: true, threshold: 2)
        #expect(p.nodes.reduce(0) { $0 + $1.balance } == 0)
        #expect(p.moves.count == 5462)
    }
}

@Suite struct FixDecisionTests {
    @Test func case1InterruptedMigration() {
        let f = OpenSlotFix.decide(slot: 7, masters: [
            OpenSlotFacts(id: "A", owns: true, migratingTo: "B", keys: 3),
            OpenSlotFacts(id: "B", owns: false, importingFrom: "A", keys: 2),
            OpenSlotFacts(id: "C", owns: false),
        ])
        #expect(f.resolution == "1" && f.owner == "A" && f.error == nil)
        #expect(f.steps == [.move(from: "A", to: "B", cold: false)])
    }

    @Test func interruptedMigrationWithKeysOnBothSidesIsFinished() {
        // more keys already on the target: still rolled forward, not back
        let f = OpenSlotFix.decide(slot: 7, masters: [
            OpenSlotFacts(id: "A", owns: true, migratingTo: "B", keys: 1),
            OpenSlotFacts(id: "B", owns: false, importingFrom: "A", keys: 9),
        ])
        #expect(f.resolution == "1" && f.steps == [.move(from: "A", to: "B", cold: false)])
    }

    @Test func keysElsewhereFallBackToRedisCliRules() {
        // C holds keys too: redis-cli's rules (owner by most keys, the others' keys move there)
        let f = OpenSlotFix.decide(slot: 7, masters: [
            OpenSlotFacts(id: "A", owns: true, migratingTo: "B", keys: 3),
            OpenSlotFacts(id: "B", owns: false, importingFrom: "A", keys: 2),
            OpenSlotFacts(id: "C", owns: false, keys: 1),
        ])
        #expect(f.owner == "A" && f.resolution == "2")
        #expect(f.steps.contains(.move(from: "B", to: "A", cold: true)))
        #expect(f.steps.contains(.move(from: "C", to: "A", cold: true)))
        #expect(f.steps.last == .setNode(node: "C", owner: "A"))
    }

    @Test func case2KeysInAnImportingNode() {
        // importing without a migrating node: redis-cli moves the keys to the owner (most keys)
        let f = OpenSlotFix.decide(slot: 7, masters: [
            OpenSlotFacts(id: "A", owns: true, keys: 3),
            OpenSlotFacts(id: "B", owns: false, importingFrom: "A", keys: 2),
        ])
        #expect(f.resolution == "2" && f.owner == "A")
        #expect(f.steps == [.setStable(node: "A"), .claim(node: "A"),
                            .delSlot(node: "B"), .setNode(node: "B", owner: "A"), .setImporting(node: "B", from: "A"),
                            .move(from: "B", to: "A", cold: true), .setStable(node: "B"),
                            .setNode(node: "B", owner: "A")])
        let g = OpenSlotFix.decide(slot: 7, masters: [
            OpenSlotFacts(id: "A", owns: true, keys: 3),
            OpenSlotFacts(id: "B", owns: false, importingFrom: "A", keys: 0),
        ])
        #expect(g.resolution == "2")
        #expect(g.steps == [.move(from: "B", to: "A", cold: true), .setStable(node: "B"), .setNode(node: "B", owner: "A")])
    }

    @Test func case4MigratingOwnerWithoutImporter() {
        let f = OpenSlotFix.decide(slot: 7, masters: [
            OpenSlotFacts(id: "A", owns: true, migratingTo: "B", keys: 3),
            OpenSlotFacts(id: "B", owns: false),
        ])
        #expect(f.resolution == "4" && f.steps == [.setStable(node: "A")])
    }

    @Test func case3OneMigratingSeveralImporting() {
        let f = OpenSlotFix.decide(slot: 7, masters: [
            OpenSlotFacts(id: "A", owns: true, migratingTo: "C", keys: 3),
            OpenSlotFacts(id: "B", owns: false, importingFrom: "A"),
            OpenSlotFacts(id: "C", owns: false, importingFrom: "A"),
        ])
        #expect(f.resolution == "3")
        #expect(f.steps == [.move(from: "A", to: "C", cold: false), .setStable(node: "B")])
        let g = OpenSlotFix.decide(slot: 7, masters: [
            OpenSlotFacts(id: "A", owns: true, migratingTo: "Z", keys: 3),
            OpenSlotFacts(id: "B", owns: false, importingFrom: "A"),
            OpenSlotFacts(id: "C", owns: false, importingFrom: "A"),
        ])
        #expect(g.steps == [.setStable(node: "A"), .setStable(node: "B"), .setStable(node: "C")])
        // a migrating node that is not the owner, importing nodes holding keys: left to a human
        let h = OpenSlotFix.decide(slot: 7, masters: [
            OpenSlotFacts(id: "O", owns: true, keys: 5),
            OpenSlotFacts(id: "M", owns: false, migratingTo: "I2", keys: 0),
            OpenSlotFacts(id: "I1", owns: false, importingFrom: "M", keys: 1),
            OpenSlotFacts(id: "I2", owns: false, importingFrom: "M", keys: 0),
        ])
        #expect(h.resolution == "unfixable" && h.error != nil)
    }

    @Test func aSingleNodeWithKeysIsTheOwner() {
        let f = OpenSlotFix.decide(slot: 9, masters: [
            OpenSlotFacts(id: "A", owns: false, keys: 0),
            OpenSlotFacts(id: "B", owns: false, importingFrom: "A", keys: 5),
            OpenSlotFacts(id: "C", owns: false, keys: 0),
        ])
        #expect(f.owner == "B" && f.resolution == "2")
        #expect(f.steps == [.setNode(node: "A", owner: "B"), .setNode(node: "C", owner: "B")])
    }

    @Test func nobodyWithKeysOrOwnershipPicksTheFirstMaster() {
        let f = OpenSlotFix.decide(slot: 9, masters: [
            OpenSlotFacts(id: "A", owns: false, migratingTo: "B"),
            OpenSlotFacts(id: "B", owns: false),
        ])
        #expect(f.owner == "A")
        #expect(Array(f.steps.prefix(2)) == [.setStable(node: "A"), .claim(node: "A")])
    }

    @Test func twoOwnersFoldIntoOne() {
        let f = OpenSlotFix.decide(slot: 9, masters: [
            OpenSlotFacts(id: "A", owns: true, migratingTo: "B", keys: 0),
            OpenSlotFacts(id: "B", owns: true, keys: 4),
        ])
        #expect(f.owner == "B")
        #expect(f.steps == [
            .setStable(node: "B"), .claim(node: "B"),
            .delSlot(node: "A"), .setNode(node: "A", owner: "B"), .setImporting(node: "A", from: "B"),
            .move(from: "A", to: "B", cold: true), .setStable(node: "A"), .setNode(node: "A", owner: "B"),
        ])
        #expect(f.resolution == "2")
    }

    @Test func coverage() {
        var rng = SplitMix64(seed: 3)
        let f = CoverageFix.decide(uncovered: [1, 2, 3], keys: [2: [("B", 4)], 3: [("A", 1), ("C", 9), ("B", 2)]],
                                   masters: ["A", "B", "C"], using: &rng)
        #expect(f.noKeys.map(\.slot) == [1] && ["A", "B", "C"].contains(f.noKeys[0].owner))
        #expect(f.singleNode == [CoverageFix.SlotAssignment(slot: 2, owner: "B", movesFrom: [])])
        #expect(f.multipleNodes == [CoverageFix.SlotAssignment(slot: 3, owner: "C", movesFrom: ["A", "B"])])
    }
}
