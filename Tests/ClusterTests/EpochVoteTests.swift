import Testing
@testable import Cluster

/// configEpoch collisions, slot rebinding by epoch, UPDATE messages, failover votes, elections.
@Suite struct EpochVoteTests {
    @Test func collisionMovesTheSmallerNameToANewEpoch() throws {
        let s = try loadState([
            confLine("b", ip: "10.0.0.1", flags: "myself,master", epoch: 5, slots: "0-10"),
            confLine("c", ip: "10.0.0.2", flags: "master", epoch: 5, slots: "11-20"),
            confLine("a", ip: "10.0.0.3", flags: "master", epoch: 5, slots: "21-30"),
        ], currentEpoch: 5)
        let links = connectAll(s, now: T0)
        // a's name is smaller than mine: a must move, not me.
        _ = s.receive(peerMessage(.pong, from: nodeName("a"), currentEpoch: 5, configEpoch: 5, slots: bitmap(21...30)),
            on: links[nodeName("a")]!, now: T0)
        #expect(s.myself.configEpoch == 5 && s.currentEpoch == 5)
        // c's name is greater: I move to currentEpoch + 1.
        let effects = s.receive(peerMessage(.pong, from: nodeName("c"), currentEpoch: 5, configEpoch: 5, slots: bitmap(11...20)),
            on: links[nodeName("c")]!, now: T0)
        #expect(s.myself.configEpoch == 6 && s.currentEpoch == 6)
        #expect(effects.first == .saveConfig)
    }

    func twoMasters() throws -> (ClusterState, [NodeName: LinkID]) {
        let s = try loadState([
            confLine("a", ip: "10.0.0.1", flags: "myself,master", epoch: 1, slots: "0-99"),
            confLine("b", ip: "10.0.0.2", flags: "master", epoch: 2, slots: "100-199"),
            confLine("c", ip: "10.0.0.3", flags: "master", epoch: 3, slots: "200-299"),
        ], currentEpoch: 3)
        return (s, connectAll(s, now: T0))
    }

    @Test func updateTakingAllMySlotsMakesMeItsReplica() throws {
        let (s, _) = try twoMasters()
        let inbound = s.inboundAccepted(peerIP: "10.0.0.3", localIP: "10.0.0.1", now: T0)
        let update = peerMessage(.update, from: nodeName("c"), currentEpoch: 7, configEpoch: 3, slots: bitmap(200...299),
            body: .update(configEpoch: 7, node: nodeName("b"), slots: bitmap(0...199)))
        let effects = s.receive(update, on: inbound, now: T0)
        #expect(s.myself.isReplica && s.myself.replicaOf === s.nodes[nodeName("b")])
        #expect(s.nodes[nodeName("b")]!.configEpoch == 7 && s.nodes[nodeName("b")]!.slotCount == 200)
        #expect(s.myself.slotCount == 0)
        #expect(effects.contains(.saveConfig) && effects.contains(.routingChanged))
        #expect(s.drainLostSlots().isEmpty)  // demoted: the whole dataset resyncs instead
        // An UPDATE that is not newer changes nothing.
        _ = s.receive(peerMessage(.update, from: nodeName("c"), body: .update(configEpoch: 7, node: nodeName("c"), slots: bitmap(0...5))),
            on: inbound, now: T0)
        #expect(s.nodes[nodeName("c")]!.slotCount == 100)
    }

    @Test func losingSomeSlotsKeepsMeMasterAndReportsThem() throws {
        let (s, links) = try twoMasters()
        // b claims a few of my slots with a newer epoch in its own header.
        _ = s.receive(peerMessage(.pong, from: nodeName("b"), currentEpoch: 8, configEpoch: 8, slots: bitmap(90...199)),
            on: links[nodeName("b")]!, now: T0)
        #expect(s.myself.isMaster && s.myself.slotCount == 90)
        #expect(s.drainLostSlots() == Array(90...99))
        #expect(s.drainLostSlots().isEmpty)
        #expect(s.currentEpoch == 8)
    }

    @Test func staleClaimGetsAnUpdate() throws {
        let (s, links) = try twoMasters()
        // c still claims slots b took with a newer epoch.
        _ = s.receive(peerMessage(.pong, from: nodeName("b"), currentEpoch: 9, configEpoch: 9, slots: bitmap(100...299)),
            on: links[nodeName("b")]!, now: T0)
        #expect(s.nodes[nodeName("c")]!.slotCount == 0)
        let inbound = s.inboundAccepted(peerIP: "10.0.0.3", localIP: "10.0.0.1", now: T0)
        let effects = s.receive(peerMessage(.ping, from: nodeName("c"), currentEpoch: 3, configEpoch: 3, slots: bitmap(200...299)),
            on: inbound, now: T0)
        let updates = sentMessages(effects).filter { $0.message.header.type == .update }
        #expect(updates.count == 1)
        #expect(updates.first?.link == links[nodeName("c")])  // on our own link to c
        if case .update(let epoch, let node, let slots) = updates.first?.message.body {
            #expect(epoch == 9 && node == nodeName("b") && slots == bitmap(100...299))
        } else {
            Issue.record("not an UPDATE")
        }
        // Our view is unchanged by the stale claim.
        #expect(s.nodes[nodeName("c")]!.slotCount == 0)
    }

    /// myself = a master with slots; m = a failed master with replica r.
    func voter(masterFailed: Bool = true) throws -> (ClusterState, [NodeName: LinkID], LinkID) {
        let s = try loadState([
            confLine("a", ip: "10.0.0.1", flags: "myself,master", epoch: 1, slots: "0-99"),
            confLine("m", ip: "10.0.0.2", flags: masterFailed ? "master,fail" : "master", epoch: 2, slots: "100-199"),
            confLine("r", ip: "10.0.0.3", flags: "slave", master: "m", epoch: 2),
        ], currentEpoch: 4, timeout: 1000)
        let links = connectAll(s, now: T0)
        let inbound = s.inboundAccepted(peerIP: "10.0.0.3", localIP: "10.0.0.1", now: T0)
        return (s, links, inbound)
    }

    func request(epoch: UInt64, configEpoch: UInt64 = 2, flags: MessageFlags = []) -> ClusterMessage {
        peerMessage(.failoverAuthRequest, from: nodeName("r"), currentEpoch: epoch, configEpoch: configEpoch,
            slots: bitmap(100...199), replicaOf: nodeName("m"), flags: .replica, body: MessageBody.none, messageFlags: flags)
    }

    func acks(_ effects: [ClusterEffect]) -> [LinkID] {
        sentMessages(effects).filter { $0.message.header.type == .failoverAuthAck }.map { $0.link }
    }

    @Test func voteGrantedOncePerEpoch() throws {
        let (s, links, inbound) = try voter()
        var effects = s.receive(request(epoch: 5), on: inbound, now: T0 + 10)
        #expect(acks(effects) == [links[nodeName("r")]!])
        // The vote is on disk before the ACK leaves.
        #expect(effects.first == .saveConfig)
        #expect(s.nodesConfig().hasSuffix("vars currentEpoch 5 lastVoteEpoch 5\n"))
        effects = s.receive(request(epoch: 5), on: inbound, now: T0 + 20)
        #expect(acks(effects).isEmpty)
        #expect(effects.contains(.log(.warning, "Failover auth denied to \(nodeName("r")): already voted for epoch 5")))
        // A new epoch, but the same master within node_timeout * 2.
        effects = s.receive(request(epoch: 6), on: inbound, now: T0 + 1000)
        #expect(acks(effects).isEmpty)
        effects = s.receive(request(epoch: 7), on: inbound, now: T0 + 2100)
        #expect(acks(effects).count == 1)
    }

    @Test func voteDenials() throws {
        // Master not failed: denied unless the replica forces it (manual failover).
        var (s, _, inbound) = try voter(masterFailed: false)
        #expect(acks(s.receive(request(epoch: 5), on: inbound, now: T0)).isEmpty)
        #expect(acks(s.receive(request(epoch: 6, flags: .forceAck), on: inbound, now: T0)).count == 1)
        // An old epoch.
        (s, _, inbound) = try voter()
        #expect(acks(s.receive(request(epoch: 3), on: inbound, now: T0)).isEmpty)
        // Claimed slots already owned by someone with a newer configEpoch.
        (s, _, inbound) = try voter()
        #expect(acks(s.receive(request(epoch: 5, configEpoch: 0), on: inbound, now: T0)).isEmpty)
        // Replicas and slotless masters do not vote.
        (s, _, inbound) = try voter()
        _ = s.flushSlots(now: T0)
        #expect(acks(s.receive(request(epoch: 5), on: inbound, now: T0)).isEmpty)
    }

    /// myself = r, replica of failed master m; a, b, c are the voters.
    func candidate(noFailover: Bool = false) throws -> (ClusterState, [NodeName: LinkID]) {
        let text = [
            confLine("r", ip: "10.0.0.9", flags: "myself,slave", master: "m", epoch: 2),
            confLine("m", ip: "10.0.0.2", flags: "master,fail", epoch: 2, slots: "0-99"),
            confLine("a", ip: "10.0.0.3", flags: "master", epoch: 3, slots: "100-199"),
            confLine("b", ip: "10.0.0.4", flags: "master", epoch: 4, slots: "200-299"),
            confLine("c", ip: "10.0.0.5", flags: "master", epoch: 5, slots: "300-16383"),
        ].joined(separator: "\n") + "\nvars currentEpoch 5 lastVoteEpoch 0\n"
        var settings = testSettings(timeout: 1000)
        settings.replicaNoFailover = noFailover
        let s = try ClusterState(nodesConfig: text, settings: settings, now: T0, seed: 3)
        return (s, connectAll(s, now: T0))
    }

    @Test func replicaWinsElectionAndTakesTheSlots() throws {
        let (s, links) = try candidate()
        _ = s.tick(now: T0 + 100)  // 1 master of 4 failed: the size is 4, quorum 3
        var requested: [ClusterEffect] = []
        var t = T0 + 100
        while t < T0 + 1200 {
            t += 100
            requested = s.tick(now: t)
            if sentMessages(requested).contains(where: { $0.message.header.type == .failoverAuthRequest }) { break }
        }
        let requests = sentMessages(requested).filter { $0.message.header.type == .failoverAuthRequest }
        #expect(requests.count == 4)  // broadcast, m included
        #expect(s.currentEpoch == 6 && requests[0].message.header.currentEpoch == 6)
        // Two votes are not enough, the third wins.
        for c in "ab" {
            _ = s.receive(peerMessage(.failoverAuthAck, from: nodeName(c), currentEpoch: 6, body: MessageBody.none), on: links[nodeName(c)]!, now: t + 10)
        }
        #expect(s.myself.isReplica)
        let effects = s.receive(peerMessage(.failoverAuthAck, from: nodeName("c"), currentEpoch: 6, body: MessageBody.none),
            on: links[nodeName("c")]!, now: t + 20)
        #expect(s.myself.isMaster && s.myself.configEpoch == 6 && s.myself.slotCount == 100)
        #expect(s.nodes[nodeName("m")]!.slotCount == 0)
        #expect(effects.first == .saveConfig && effects.contains(.routingChanged))
        let pongs = sentMessages(effects).filter { $0.message.header.type == .pong }
        #expect(pongs.count == 4)
        #expect(pongs[0].message.header.configEpoch == 6 && pongs[0].message.header.replicaOf == nil)
    }

    @Test func replicaNoFailoverNeverAsks() throws {
        let (s, _) = try candidate(noFailover: true)
        var all: [ClusterEffect] = []
        for i in 1...50 { all += s.tick(now: T0 + Int64(i) * 100) }
        #expect(!sentMessages(all).contains { $0.message.header.type == .failoverAuthRequest })
        #expect(s.myself.flags.contains(.noFailover))
        #expect(s.nodesDescription(now: T0).contains("myself,slave,nofailover"))
    }
}
