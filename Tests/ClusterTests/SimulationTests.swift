import Testing
@testable import Cluster

/// Whole-cluster scenarios on the in-process network (simulated time, 100 ms cron).
@Suite struct SimulationTests {
    /// Fails the test at the first event after which two masters claim a slot with one epoch.
    static func watchInvariants(_ sim: Simulation) -> () -> String? {
        final class Box: @unchecked Sendable { var violation: String? }
        let box = Box()
        sim.afterEvent = { sim in
            if box.violation == nil, let v = sim.slotClaimConflict() { box.violation = "at \(sim.now): \(v)" }
        }
        return { box.violation }
    }

    static func report(_ what: String, _ took: Int64?, _ sim: Simulation) {
        let loss = sim.messagesSent == 0 ? 0 : Double(sim.messagesDropped) / Double(sim.messagesSent)
        print("[sim] \(what): \(took.map { "\($0) ms" } ?? "NOT converged"), \(sim.nodes.count) nodes, \(sim.messagesSent) messages sent, \(Int(loss * 1000) / 10)% dropped")
    }

    @Test func smallClusterForms() throws {
        let sim = Simulation(count: 3, nodeTimeout: 5000, seed: 7)
        try sim.createCluster()
        let took = sim.run(upTo: 30_000) { $0.converged() && $0.allOK() }
        #expect(took != nil)
        // Everyone learned its own address from the MEETs / first PINGs.
        for node in sim.nodes { #expect(node.state!.myself.ip == node.ip) }
    }

    /// (a) 50 masters joined by MEETing node 0, slots spread evenly, distinct epochs.
    @Test func fiftyNodesConverge() throws {
        let sim = Simulation(count: 50, nodeTimeout: 5000, seed: 11)
        let violation = Self.watchInvariants(sim)
        try sim.createCluster()
        let took = sim.run(upTo: 60_000) { $0.converged() && $0.allOK() }
        Self.report("(a) 50 masters form", took, sim)
        #expect(took != nil)
        #expect(violation() == nil)
        let info = Dictionary(uniqueKeysWithValues: sim.nodes[17].state!.infoFields(now: sim.now))
        #expect(info["cluster_known_nodes"] == "50")
        #expect(info["cluster_size"] == "50")
        #expect(info["cluster_slots_ok"] == "16384")
    }

    /// (b) The same with 5% of the messages lost and 1..50 ms delays.
    @Test func fiftyNodesConvergeWithLoss() throws {
        let sim = Simulation(count: 50, nodeTimeout: 5000, seed: 12)
        sim.lossRate = 0.05
        sim.maxDelay = 50
        let violation = Self.watchInvariants(sim)
        try sim.createCluster()
        let joined = try sim.waitForJoin(upTo: 60_000)
        let took = sim.run(upTo: 30_000) { $0.converged() && $0.allOK() }.map { $0 + (joined ?? 0) }
        Self.report("(b) 50 masters form, 5% loss", took, sim)
        if took == nil {
            for (i, n) in sim.nodes.enumerated() where n.state!.nodes.count != 50 || n.state!.health != .ok {
                print("node \(i): knows \(n.state!.nodes.count), health \(n.state!.health)")
            }
        }
        #expect(took != nil)
        #expect(violation() == nil)
    }

    /// (c) A minority of masters cut off: they go to fail; the majority marks them PFAIL then
    /// FAIL (and stays down: their slots are uncovered). Healing clears the FAILs.
    @Test func minorityPartitionAndHeal() throws {
        let sim = Simulation(count: 20, nodeTimeout: 2000, seed: 13)
        let violation = Self.watchInvariants(sim)
        try sim.createCluster()
        #expect(sim.run(upTo: 30_000) { $0.converged() && $0.allOK() } != nil)

        let minority = [3, 7, 11, 15]
        let majority = (0..<20).filter { !minority.contains($0) }
        let minorityNames = Set(minority.map { sim.nodes[$0].state!.myName })
        sim.partition(minority)
        let detected = sim.run(upTo: 20_000) { sim in
            minority.allSatisfy { sim.nodes[$0].state!.health == .fail }
                && majority.allSatisfy { i in
                    let state = sim.nodes[i].state!
                    return minorityNames.allSatisfy { state.nodes[$0]!.failed }
                }
        }
        Self.report("(c) minority fail / majority marks FAIL", detected, sim)
        #expect(detected != nil)
        // Masters with slots failed and nobody can take over: the majority is down too.
        #expect(majority.allSatisfy { sim.nodes[$0].state!.health == .fail })

        sim.heal()
        let healed = sim.run(upTo: 30_000) { sim in
            sim.converged() && sim.allOK()
                && sim.states.allSatisfy { state in state.nodeOrder.allSatisfy { !$0.failed && !$0.timedOut } }
        }
        Self.report("(c) heal", healed, sim)
        #expect(healed != nil)
        #expect(violation() == nil)
    }

    /// (c') With replicas: the majority elects replicas of the cut-off masters, which take the
    /// slots with new config epochs; after the heal the old masters follow them as replicas.
    @Test func partitionFailoverAndRejoin() throws {
        let sim = Simulation(count: 24, nodeTimeout: 2000, seed: 14)
        let violation = Self.watchInvariants(sim)
        try sim.createCluster(masters: 12)
        #expect(sim.run(upTo: 30_000) { $0.converged() } != nil)
        try sim.attachReplicas(masters: 12)
        #expect(sim.run(upTo: 30_000) { $0.converged() && $0.allOK() } != nil)

        let minority = [2, 5, 9]  // masters; their replicas 14, 17, 21 stay in the majority
        let oldMasters = minority.map { sim.nodes[$0].state!.myName }
        sim.partition(minority)
        let majority = (0..<24).filter { !minority.contains($0) }
        let majorityOK = sim.run(upTo: 30_000) { sim in
            majority.allSatisfy { sim.nodes[$0].state!.health == .ok }
                && [14, 17, 21].allSatisfy { sim.nodes[$0].state!.myself.isMaster }
        }
        Self.report("(c') failover in majority", majorityOK, sim)
        #expect(majorityOK != nil)
        #expect(minority.allSatisfy { sim.nodes[$0].state!.health == .fail })

        sim.heal()
        let healed = sim.run(upTo: 40_000) { sim in
            sim.converged() && sim.allOK()
                && sim.states.allSatisfy { state in state.nodeOrder.allSatisfy { !$0.failed && !$0.timedOut } }
        }
        Self.report("(c') heal, old masters rejoin as replicas", healed, sim)
        #expect(healed != nil)
        for (i, name) in zip(minority, oldMasters) {
            let state = sim.nodes[i].state!
            #expect(state.myself.isReplica)
            #expect(state.myName == name)
            #expect(state.myself.replicaOf === state.nodes[sim.nodes[i + 12].state!.myName])
        }
        #expect(violation() == nil)
    }

    /// (d) Nodes crash and restart from their own nodes.conf: same names, epochs and slots, the
    /// others reconnect to them, the views converge again.
    @Test func restartsFromNodesConf() throws {
        let sim = Simulation(count: 16, nodeTimeout: 2000, seed: 15)
        let violation = Self.watchInvariants(sim)
        try sim.createCluster(masters: 8)
        #expect(sim.run(upTo: 30_000) { $0.converged() } != nil)
        try sim.attachReplicas(masters: 8)
        #expect(sim.run(upTo: 30_000) { $0.converged() && $0.allOK() } != nil)

        let victims = [1, 6, 12]
        let names = victims.map { sim.nodes[$0].state!.myName }
        let epochs = victims.map { sim.nodes[$0].state!.shownEpoch(sim.nodes[$0].state!.myself) }
        let slots = victims.map { sim.nodes[$0].state!.myself.slots }
        let masters = victims.map { sim.nodes[$0].state!.myself.replicaOf?.name }
        for v in victims { sim.crash(v) }
        sim.run(for: 1_000)
        for v in victims { try sim.restart(v) }
        for (k, v) in victims.enumerated() {
            let state = sim.nodes[v].state!
            #expect(state.myName == names[k])
            #expect(state.shownEpoch(state.myself) == epochs[k])
            #expect(state.myself.slots == slots[k])
            #expect(state.myself.replicaOf?.name == masters[k])
            #expect(state.knownNodeCount == 16)
        }
        let took = sim.run(upTo: 30_000) { sim in
            sim.converged() && sim.allOK()
                && sim.states.allSatisfy { state in state.nodeOrder.allSatisfy { !$0.failed && !$0.timedOut } }
        }
        Self.report("(d) 3 restarts", took, sim)
        #expect(took != nil)
        #expect(violation() == nil)
    }

    /// (e) Faults mixed: loss, delay, a partition, a restart during it; afterwards everything
    /// converges and no slot was ever claimed twice under one epoch.
    @Test func mixedFaultsConverge() throws {
        let sim = Simulation(count: 18, nodeTimeout: 2000, seed: 16)
        let violation = Self.watchInvariants(sim)
        sim.lossRate = 0.05
        sim.maxDelay = 30
        try sim.createCluster(masters: 9)
        #expect(try sim.waitForJoin(upTo: 40_000) != nil)
        try sim.attachReplicas(masters: 9)
        #expect(sim.run(upTo: 40_000) { $0.converged() && $0.allOK() } != nil)
        sim.partition([0, 4])
        sim.run(for: 8_000)
        sim.crash(13)
        sim.run(for: 2_000)
        try sim.restart(13)
        sim.run(for: 4_000)
        sim.heal()
        sim.lossRate = 0
        let took = sim.run(upTo: 60_000) { sim in
            sim.converged() && sim.allOK()
                && sim.states.allSatisfy { state in state.nodeOrder.allSatisfy { !$0.failed && !$0.timedOut } }
        }
        Self.report("(e) mixed faults", took, sim)
        #expect(took != nil)
        #expect(violation() == nil)
    }

    /// (f) All the faults at the 50+ node scale: 30 masters + 30 replicas, 3% loss, delays, a
    /// minority of 8 nodes cut off, three nodes restarted from nodes.conf during the cut; after
    /// the heal every view converges and no slot was ever claimed twice under one epoch.
    @Test func sixtyNodesWithAllFaults() throws {
        let sim = Simulation(count: 60, nodeTimeout: 2000, seed: 17)
        let violation = Self.watchInvariants(sim)
        sim.lossRate = 0.03
        sim.maxDelay = 30
        try sim.createCluster(masters: 30)
        #expect(try sim.waitForJoin(upTo: 60_000) != nil)
        try sim.attachReplicas(masters: 30)
        #expect(sim.run(upTo: 60_000) { $0.converged() && $0.allOK() } != nil)
        sim.partition([3, 7, 11, 19, 33, 41, 47, 58])
        sim.run(for: 6_000)
        for node in [5, 26, 52] { sim.crash(node) }
        sim.run(for: 2_000)
        for node in [5, 26, 52] { try sim.restart(node) }
        sim.run(for: 4_000)
        sim.heal()
        sim.lossRate = 0
        let took = sim.run(upTo: 90_000) { sim in
            sim.converged() && sim.allOK()
                && sim.states.allSatisfy { state in state.nodeOrder.allSatisfy { !$0.failed && !$0.timedOut } }
        }
        Self.report("(f) 60 nodes, loss + partition + restarts", took, sim)
        #expect(took != nil)
        #expect(violation() == nil)
    }
}
