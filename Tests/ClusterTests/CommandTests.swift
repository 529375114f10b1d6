import Testing
@testable import Cluster

/// CLUSTER subcommands: results and Redis 7.0's exact error texts.
@Suite struct CommandTests {
    func fresh(seed: UInt64 = 1) -> ClusterState {
        ClusterState(settings: testSettings(), now: T0, seed: seed)
    }

    func error(_ body: () throws -> Void) -> String? {
        do {
            try body()
            return nil
        } catch let error as ClusterCommandError {
            return error.message
        } catch {
            return "unexpected \(error)"
        }
    }

    @Test func freshNodeIsAnEmptyMaster() {
        let s = fresh()
        #expect(s.knownNodeCount == 1)
        #expect(s.currentEpoch == 0)
        #expect(s.myName.text.allSatisfy { "0123456789abcdef".contains($0) })
        #expect(s.myShardID.count == 40)
        #expect(s.nodesDescription(now: T0) == "\(s.myName) :7000@17000 myself,master - 0 0 0 connected\n")
        #expect(fresh(seed: 1).myName == s.myName)
        #expect(fresh(seed: 2).myName != s.myName)
    }

    @Test func addSlotsAndErrors() throws {
        let s = fresh()
        let effects = try s.addSlots([0, 1, 2, 3, 4, 5, 7, 100], now: T0)
        #expect(effects.contains(.saveConfig))
        #expect(effects.contains(.routingChanged))
        #expect(s.nodesDescription(now: T0).hasSuffix("connected 0-5 7 100\n"))
        #expect(error { _ = try s.addSlots([8, 5], now: T0) } == "ERR Slot 5 is already busy")
        #expect(error { _ = try s.addSlots([9, 9], now: T0) } == "ERR Slot 9 specified multiple times")
        #expect(error { _ = try s.addSlots([16384], now: T0) } == "ERR Invalid or out of range slot")
        #expect(error { _ = try s.addSlots([-1], now: T0) } == "ERR Invalid or out of range slot")
        // A refused command changes nothing.
        #expect(s.myself.slotCount == 8)
        #expect(error { _ = try s.deleteSlots([6], now: T0) } == "ERR Slot 6 is already unassigned")
        #expect(error { _ = try s.deleteSlots([7, 7], now: T0) } == "ERR Slot 7 specified multiple times")
        _ = try s.deleteSlots([7, 100], now: T0)
        #expect(s.nodesDescription(now: T0).hasSuffix("connected 0-5\n"))
        _ = s.flushSlots(now: T0)
        #expect(s.myself.slotCount == 0)
        #expect(s.assignedSlotCount == 0)
    }

    @Test func setConfigEpochRules() throws {
        let s = fresh()
        #expect(error { _ = try s.setConfigEpoch(-1, now: T0) } == "ERR Invalid config epoch specified: -1")
        _ = try s.setConfigEpoch(7, now: T0)
        #expect(s.currentEpoch == 7)
        #expect(error { _ = try s.setConfigEpoch(8, now: T0) } == "ERR Node config epoch is already non-zero")
        let t = fresh(seed: 3)
        _ = try t.meet(ip: "10.0.0.2", port: 7000, busPort: 17000, now: T0)
        #expect(error { _ = try t.setConfigEpoch(8, now: T0) }
            == "ERR The user can assign a config epoch only when the node does not know any other node.")
    }

    @Test func bumpEpochRule() throws {
        let s = fresh()
        var r = s.bumpEpoch(now: T0)
        #expect(r.bumped && r.epoch == 1)
        #expect(r.effects.contains(.saveConfig))
        r = s.bumpEpoch(now: T0)
        #expect(!r.bumped && r.epoch == 1)
        // Another node has a greater epoch: mine is no longer the greatest.
        let t = try loadState([
            confLine("a", ip: "10.0.0.1", flags: "myself,master", epoch: 3),
            confLine("b", ip: "10.0.0.2", flags: "master", epoch: 5),
        ], currentEpoch: 5)
        r = t.bumpEpoch(now: T0)
        #expect(r.bumped && r.epoch == 6 && t.currentEpoch == 6)
        r = t.bumpEpoch(now: T0)
        #expect(!r.bumped && r.epoch == 6)
    }

    @Test func meetValidatesAndNormalizes() throws {
        let s = fresh()
        #expect(error { _ = try s.meet(ip: "1.2.3.4", port: 0, busPort: 10000, now: T0) }
            == "ERR Invalid node address specified: 1.2.3.4:0")
        #expect(error { _ = try s.meet(ip: "1.2.3.4", port: 99999, busPort: 109999, now: T0) }
            == "ERR Invalid node address specified: 1.2.3.4:99999")
        #expect(error { _ = try s.meet(ip: "bad", port: 100, busPort: 10100, now: T0) }
            == "ERR Invalid node address specified: bad:100")
        #expect(error { _ = try s.meet(ip: "1.2.3.256", port: 100, busPort: 10100, now: T0) } != nil)
        let effects = try s.meet(ip: "0:0::1", port: 7001, busPort: 17001, now: T0)
        #expect(effects.contains { if case .connect(_, "::1", 17001) = $0 { true } else { false } })
        // The same handshake again is a no-op that still succeeds.
        #expect(try s.meet(ip: "::1", port: 7001, busPort: 17001, now: T0).isEmpty)
        #expect(s.knownNodeCount == 2)
        #expect(s.nodesDescription(now: T0).contains("::1:7001@17001 handshake - "))
        // Handshake nodes are not written to nodes.conf.
        #expect(!s.nodesConfig().contains("handshake"))
        #expect(IPAddress.normalize("::ffff:10.0.0.1") == "::ffff:10.0.0.1")
        #expect(IPAddress.normalize("2001:DB8:0:0:1:0:0:1") == "2001:db8::1:0:0:1")
        #expect(IPAddress.normalize("01.2.3.4") == nil)
    }

    func threeNodes() throws -> ClusterState {
        try loadState([
            confLine("a", ip: "10.0.0.1", flags: "myself,master", epoch: 1),
            confLine("b", ip: "10.0.0.2", flags: "master", epoch: 2, slots: "0-100"),
            confLine("c", ip: "10.0.0.3", flags: "slave", master: "b", epoch: 2),
        ], currentEpoch: 2)
    }

    @Test func forgetRules() throws {
        let s = try threeNodes()
        #expect(error { _ = try s.forget(s.myName.text, now: T0) } == "ERR I tried hard but I can't forget myself...")
        #expect(error { _ = try s.forget("1234", now: T0) } == "ERR Unknown node 1234")
        _ = try s.replicate(nodeName("b").text, nodeHasKeys: false, now: T0)
        #expect(error { _ = try s.forget(nodeName("b").text, now: T0) } == "ERR Can't forget my master!")
        let effects = try s.forget(nodeName("c").text, now: T0)
        #expect(effects.contains(.saveConfig))
        #expect(s.knownNodeCount == 2)
        // Gossip from b cannot bring c back for 60 s.
        let link = s.inboundAccepted(peerIP: "10.0.0.2", localIP: "10.0.0.1", now: T0)
        let ping = peerMessage(.ping, from: nodeName("b"), configEpoch: 2, slots: bitmap(0...100),
            gossip: [gossipAbout(nodeName("c"), flags: .replica, ip: "10.0.0.3")])
        _ = s.receive(ping, on: link, now: T0 + 1_000)
        #expect(s.knownNodeCount == 2)
        _ = s.receive(ping, on: link, now: T0 + 61_000)
        #expect(s.knownNodeCount == 3)
    }

    @Test func replicateRules() throws {
        let s = try threeNodes()
        #expect(error { _ = try s.replicate("abc", nodeHasKeys: false, now: T0) } == "ERR Unknown node abc")
        #expect(error { _ = try s.replicate(s.myName.text, nodeHasKeys: false, now: T0) } == "ERR Can't replicate myself")
        #expect(error { _ = try s.replicate(nodeName("c").text, nodeHasKeys: false, now: T0) }
            == "ERR I can only replicate a master, not a replica.")
        #expect(error { _ = try s.replicate(nodeName("b").text, nodeHasKeys: true, now: T0) }
            == "ERR To set a master the node must be empty and without assigned slots.")
        _ = try s.addSlots([500], now: T0)
        #expect(error { _ = try s.replicate(nodeName("b").text, nodeHasKeys: false, now: T0) }
            == "ERR To set a master the node must be empty and without assigned slots.")
        _ = s.flushSlots(now: T0)
        let effects = try s.replicate(nodeName("b").text, nodeHasKeys: false, now: T0)
        #expect(effects.contains(.saveConfig) && effects.contains(.routingChanged))
        let line = s.nodesDescription(now: T0).split(separator: "\n").first { $0.hasPrefix(s.myName.text) }!
        #expect(line.contains(" myself,slave \(nodeName("b")) "))
        // A replica shows its master's config epoch.
        #expect(line.hasSuffix(" 2 connected"))
        #expect(s.routingTable().myMasterIndex >= 0)
        #expect(try s.replicasDescription(of: nodeName("b").text, now: T0).count == 2)
        #expect(error { _ = try s.replicasDescription(of: nodeName("c").text, now: T0) } == "ERR The specified node is not a master")
        #expect(error { _ = try s.replicasDescription(of: "zzz", now: T0) } == "ERR Unknown node zzz")
        #expect(error { _ = try s.countFailureReports("zzz", now: T0) } == "ERR Unknown node zzz")
        #expect(try s.countFailureReports(nodeName("b").text, now: T0) == 0)
    }

    @Test func resetSoftAndHard() throws {
        let s = try threeNodes()
        let name = s.myName
        _ = try s.replicate(nodeName("b").text, nodeHasKeys: false, now: T0)
        _ = s.reset(hard: false, now: T0)
        #expect(s.knownNodeCount == 1 && s.myName == name && s.myself.isMaster && s.currentEpoch == 2)
        #expect(s.assignedSlotCount == 0)
        _ = s.reset(hard: true, now: T0)
        #expect(s.myName != name && s.currentEpoch == 0 && s.myself.configEpoch == 0)
        #expect(s.nodesConfig().hasSuffix("vars currentEpoch 0 lastVoteEpoch 0\n"))
    }
}
