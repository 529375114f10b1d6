import Testing
@testable import Cluster

/// PFAIL after node_timeout, FAIL by quorum of master reports, FAIL propagation and clearing.
@Suite struct FailureTests {
    /// Five masters with slots, myself = a; node timeout 1 s. Everyone but e answered our PING.
    func fiveMasters() throws -> (ClusterState, [NodeName: LinkID]) {
        let s = try loadState([
            confLine("a", ip: "10.0.0.1", flags: "myself,master", epoch: 1, slots: "0-3000"),
            confLine("b", ip: "10.0.0.2", flags: "master", epoch: 2, slots: "3001-6000"),
            confLine("c", ip: "10.0.0.3", flags: "master", epoch: 3, slots: "6001-9000"),
            confLine("d", ip: "10.0.0.4", flags: "master", epoch: 4, slots: "9001-12000"),
            confLine("e", ip: "10.0.0.5", flags: "master", epoch: 5, slots: "12001-16383"),
        ], currentEpoch: 5, timeout: 1000)
        let links = connectAll(s, now: T0)
        for c in "bcd" {
            _ = s.receive(pong(c), on: links[nodeName(c)]!, now: T0 + 10)
        }
        return (s, links)
    }

    func pong(_ c: Character, gossip: [GossipEntry] = [], type: MessageType = .pong) -> ClusterMessage {
        let epochs: [Character: UInt64] = ["b": 2, "c": 3, "d": 4, "e": 5]
        let slots: [Character: SlotBitmap] = ["b": bitmap(3001...6000), "c": bitmap(6001...9000),
            "d": bitmap(9001...12000), "e": bitmap(12001...16383)]
        return peerMessage(type, from: nodeName(c), currentEpoch: 5, configEpoch: epochs[c] ?? 0,
            slots: slots[c] ?? SlotBitmap(), gossip: gossip)
    }

    @Test func pfailThenFailByQuorum() throws {
        let (s, links) = try fiveMasters()
        let e = s.nodes[nodeName("e")]!
        _ = s.tick(now: T0 + 900)  // pongs older than timeout/2: everyone is pinged again
        #expect(!e.timedOut)
        for c in "bcd" { _ = s.receive(pong(c), on: links[nodeName(c)]!, now: T0 + 950) }
        _ = s.tick(now: T0 + 2500)  // bcd answered; e never did
        #expect(e.timedOut)
        #expect(!s.nodes[nodeName("b")]!.timedOut)
        #expect(s.nodesDescription(now: T0).contains("master,fail? - "))
        // Quorum is 5/2+1 = 3: b's report + myself = 2, not yet.
        _ = s.receive(pong("b", gossip: [gossipAbout(e.name, flags: [.master, .possiblyFailed])]),
            on: links[nodeName("b")]!, now: T0 + 2600)
        #expect(try s.countFailureReports(e.name.text, now: T0 + 2600) == 1)
        #expect(!e.failed)
        // c's report makes three: FAIL, broadcast to every node we have a link to.
        let effects = s.receive(pong("c", gossip: [gossipAbout(e.name, flags: [.master, .possiblyFailed])]),
            on: links[nodeName("c")]!, now: T0 + 2700)
        #expect(e.failed && !e.timedOut && e.failTime == T0 + 2700)
        let fails = sentMessages(effects).filter { $0.message.header.type == .fail }
        // Not to e: its silent link was dropped for a reconnect (cron's half-timeout rule).
        #expect(fails.count == 3)
        #expect(fails.allSatisfy { $0.message.body == .fail(e.name) })
        #expect(effects.contains(.saveConfig) && effects.contains(.routingChanged))
        // Its slots are uncovered: the cluster is down.
        _ = s.tick(now: T0 + 2800)
        #expect(s.health == .fail)
        #expect(Dictionary(uniqueKeysWithValues: s.infoFields(now: T0)).values.contains("4383"))
    }

    @Test func reportsExpireAndAreWithdrawn() throws {
        let (s, links) = try fiveMasters()
        let e = nodeName("e")
        _ = s.receive(pong("b", gossip: [gossipAbout(e, flags: [.master, .possiblyFailed])]), on: links[nodeName("b")]!, now: T0 + 100)
        #expect(try s.countFailureReports(e.text, now: T0 + 2100) == 1)
        #expect(try s.countFailureReports(e.text, now: T0 + 2101) == 0)  // node_timeout * 2
        _ = s.receive(pong("b", gossip: [gossipAbout(e, flags: [.master, .possiblyFailed])]), on: links[nodeName("b")]!, now: T0 + 3000)
        #expect(try s.countFailureReports(e.text, now: T0 + 3000) == 1)
        // b sees e healthy again.
        _ = s.receive(pong("b", gossip: [gossipAbout(e, flags: [.master])]), on: links[nodeName("b")]!, now: T0 + 3100)
        #expect(try s.countFailureReports(e.text, now: T0 + 3100) == 0)
    }

    @Test func replicaReportsDoNotCount() throws {
        let s = try loadState([
            confLine("a", ip: "10.0.0.1", flags: "myself,master", epoch: 1, slots: "0-100"),
            confLine("b", ip: "10.0.0.2", flags: "master", epoch: 2, slots: "101-200"),
            confLine("r", ip: "10.0.0.3", flags: "slave", master: "b", epoch: 2),
        ], currentEpoch: 2)
        let links = connectAll(s, now: T0)
        let report = peerMessage(.pong, from: nodeName("r"), configEpoch: 2, slots: bitmap(101...200),
            replicaOf: nodeName("b"), flags: .replica, gossip: [gossipAbout(nodeName("b"), flags: [.master, .possiblyFailed])])
        _ = s.receive(report, on: links[nodeName("r")]!, now: T0)
        #expect(try s.countFailureReports(nodeName("b").text, now: T0) == 0)
    }

    @Test func failMessageMarksFailOnlyFromKnownSenders() throws {
        let (s, _) = try fiveMasters()
        let stranger = s.inboundAccepted(peerIP: "10.9.9.9", localIP: "10.0.0.1", now: T0)
        _ = s.receive(peerMessage(.fail, from: nodeName("z"), body: .fail(nodeName("d"))), on: stranger, now: T0 + 20)
        #expect(!s.nodes[nodeName("d")]!.failed)
        let fromB = s.inboundAccepted(peerIP: "10.0.0.2", localIP: "10.0.0.1", now: T0)
        let effects = s.receive(pong("b", type: .fail).withBody(.fail(nodeName("d"))), on: fromB, now: T0 + 20)
        #expect(s.nodes[nodeName("d")]!.failed)
        #expect(effects.contains(.saveConfig))
        // Never about myself.
        _ = s.receive(pong("b", type: .fail).withBody(.fail(s.myName)), on: fromB, now: T0 + 30)
        #expect(!s.myself.failed)
    }

    @Test func failClearing() throws {
        let s = try loadState([
            confLine("a", ip: "10.0.0.1", flags: "myself,master", epoch: 1, slots: "0-100"),
            confLine("b", ip: "10.0.0.2", flags: "master,fail", epoch: 2, slots: "101-200"),
            confLine("c", ip: "10.0.0.3", flags: "master,fail", epoch: 3),
            confLine("r", ip: "10.0.0.4", flags: "slave,fail", master: "b", epoch: 2),
        ], currentEpoch: 3, timeout: 1000)
        let links = connectAll(s, now: T0)
        // A reachable replica and a slotless master are cleared at once.
        _ = s.receive(peerMessage(.pong, from: nodeName("r"), configEpoch: 2, slots: bitmap(101...200),
            replicaOf: nodeName("b"), flags: .replica), on: links[nodeName("r")]!, now: T0 + 10)
        _ = s.receive(peerMessage(.pong, from: nodeName("c"), configEpoch: 3), on: links[nodeName("c")]!, now: T0 + 10)
        #expect(!s.nodes[nodeName("r")]!.failed && !s.nodes[nodeName("c")]!.failed)
        // A master with slots: only after node_timeout * 2 since it was flagged (loaded FAIL = now).
        let bPong = peerMessage(.pong, from: nodeName("b"), configEpoch: 2, slots: bitmap(101...200))
        _ = s.receive(bPong, on: links[nodeName("b")]!, now: T0 + 2000)
        #expect(s.nodes[nodeName("b")]!.failed)
        let effects = s.receive(bPong, on: links[nodeName("b")]!, now: T0 + 2001)
        #expect(!s.nodes[nodeName("b")]!.failed)
        #expect(effects.contains(.saveConfig))
    }

    @Test func minorityMasterGoesDownAndWaitsToRejoin() throws {
        let (s, links) = try fiveMasters()
        // Pinged again, nobody answers any more: all four peers time out.
        _ = s.tick(now: T0 + 600)
        _ = s.tick(now: T0 + 1700)
        #expect(s.nodeOrder.filter { $0.timedOut }.count == 4)
        #expect(s.health == .fail)  // never became ok: the 2 s writable delay, then the minority
        // The silent links were dropped at once; reconnected, everyone answers again. The
        // master still waits the rejoin delay (node_timeout, at least 500 ms) after its last
        // minority verdict.
        #expect(links.values.allSatisfy { s.linksByID[$0] == nil })
        let fresh = connectAll(s, now: T0 + 2500)
        #expect(fresh.count == 4)
        #expect(s.health == .fail)
        _ = s.tick(now: T0 + 3000)
        #expect(s.health == .fail)
        for c in "bcde" { _ = s.receive(pong(c), on: fresh[nodeName(c)]!, now: T0 + 3150) }
        _ = s.tick(now: T0 + 3200)
        #expect(s.health == .fail)
        _ = s.tick(now: T0 + 4200)
        #expect(s.health == .ok)
    }
}

extension ClusterMessage {
    func withBody(_ body: MessageBody) -> ClusterMessage { ClusterMessage(header: header, body: body) }
}
