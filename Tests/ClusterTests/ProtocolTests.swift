import Testing
@testable import Cluster

/// Handshakes, links, gossip selection, ping extensions, address changes, views.
@Suite struct ProtocolTests {
    @Test func meetHandshakeRenamesNode() throws {
        let s = ClusterState(settings: testSettings(), now: T0, seed: 1)
        var effects = try s.meet(ip: "10.0.0.2", port: 7000, busPort: 17000, now: T0)
        guard case .connect(let link, "10.0.0.2", 17000) = effects.last! else {
            Issue.record("no connect")
            return
        }
        effects = s.outboundConnected(link, localIP: "10.0.0.1", now: T0 + 1)
        let sent = sentMessages(effects)
        #expect(sent.count == 1 && sent[0].link == link && sent[0].message.header.type == .meet)
        #expect(sent[0].message.header.sender == s.myName)
        // The PONG names the node: the handshake record takes that name.
        let peer = nodeName("b")
        effects = s.receive(peerMessage(.pong, from: peer, configEpoch: 3, slots: bitmap(0...9)), on: link, now: T0 + 2)
        #expect(effects.contains(.saveConfig))
        let node = s.nodes[peer]
        #expect(node != nil && node!.inHandshake == false && node!.isMaster)
        #expect(s.knownNodeCount == 2)
        // Role and slots arrive with the next message (the handshake PONG has no known sender).
        _ = s.receive(peerMessage(.pong, from: peer, configEpoch: 3, slots: bitmap(0...9)), on: link, now: T0 + 3)
        #expect(node!.slotCount == 10 && node!.configEpoch == 3 && s.currentEpoch == 0)
        let info = Dictionary(uniqueKeysWithValues: s.infoFields(now: T0))
        #expect(info["cluster_stats_messages_meet_sent"] == "1")
        #expect(info["cluster_stats_messages_pong_received"] == "2")
        #expect(info["cluster_stats_messages_received"] == "2")
    }

    @Test func meetFromStrangerIsAdmittedAndAnswered() {
        let s = ClusterState(settings: testSettings(), now: T0, seed: 1)
        let link = s.inboundAccepted(peerIP: "10.0.0.7", localIP: "10.0.0.1", now: T0)
        let effects = s.receive(peerMessage(.meet, from: nodeName("c")), on: link, now: T0)
        // Our own address comes from the local end of the connection.
        #expect(s.myself.ip == "10.0.0.1")
        #expect(effects.contains { if case .log(.warning, "IP address for this node updated to 10.0.0.1") = $0 { true } else { false } })
        let replies = sentMessages(effects)
        #expect(replies.count == 1 && replies[0].link == link && replies[0].message.header.type == .pong)
        // A handshake record under a random name, at the connection's address.
        let added = s.nodeOrder.first { $0 !== s.myself }!
        #expect(added.inHandshake && added.ip == "10.0.0.7" && added.port == 7000 && added.name != nodeName("c"))
        // A plain PING from a stranger is answered but admits nobody.
        let t = ClusterState(settings: testSettings(), now: T0, seed: 2)
        let l2 = t.inboundAccepted(peerIP: "10.0.0.7", localIP: "10.0.0.1", now: T0)
        let e2 = t.receive(peerMessage(.ping, from: nodeName("c")), on: l2, now: T0)
        #expect(sentMessages(e2).map { $0.message.header.type } == [.pong])
        #expect(t.knownNodeCount == 1)
    }

    @Test func handshakeTimesOut() throws {
        let s = ClusterState(settings: testSettings(timeout: 500), now: T0, seed: 1)
        _ = try s.meet(ip: "10.0.0.2", port: 7000, busPort: 17000, now: T0)
        _ = s.tick(now: T0 + 900)
        #expect(s.knownNodeCount == 2)
        let effects = s.tick(now: T0 + 1001)  // max(node_timeout, 1 s)
        #expect(s.knownNodeCount == 1)
        #expect(effects.contains { if case .close = $0 { true } else { false } })
    }

    func cluster(_ count: Int, pfail: Int = 0) throws -> (ClusterState, [NodeName: LinkID]) {
        var lines = [confLine("a", ip: "10.0.0.1", flags: "myself,master", epoch: 1, slots: "0-99")]
        let letters = Array("bcdefghijklmnopqrstuvwxyzBCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")
        for i in 0..<(count - 1) {
            lines.append(confLine(letters[i], ip: "10.0.1.\(i + 1)", flags: "master"))
        }
        let s = try loadState(lines, currentEpoch: 1)
        let links = connectAll(s, now: T0)
        return (s, links)
    }

    @Test func gossipCarriesATenthOfTheNodesPlusAllPFail() throws {
        for (count, wanted) in [(3, 1), (5, 3), (30, 3), (60, 6)] {
            let (s, links) = try cluster(count)
            let target = links.values.first!
            let l = s.linksByID[target]!
            s.sendPing(on: l, type: .ping, now: T0 + 10)
            let message = sentMessages(s.finish(now: T0 + 10)).last!.message
            let entries = gossipOf(message).entries
            #expect(entries.count == wanted, "\(count) nodes")
            #expect(Set(entries.map { $0.name }).count == entries.count)
            #expect(!entries.contains { $0.name == s.myName })
        }
        // PFAIL nodes come on top of the random ones.
        let (s, links) = try cluster(60)
        let suspects = s.nodeOrder.filter { $0 !== s.myself }.prefix(4)
        for node in suspects { node.flags.insert(.possiblyFailed) }
        _ = s.tick(now: T0 + 20)  // counts them
        s.sendPing(on: s.linksByID[links.values.first!]!, type: .ping, now: T0 + 30)
        let entries = gossipOf(sentMessages(s.finish(now: T0 + 30)).last!.message).entries
        #expect(entries.count == 6 + 4)
        #expect(Set(suspects.map { $0.name }).isSubset(of: Set(entries.map { $0.name })))
    }

    @Test func gossipSkipsHandshakeNoAddrAndUnreachableSlotless() throws {
        let s = try loadState([
            confLine("a", ip: "10.0.0.1", flags: "myself,master", epoch: 1),
            confLine("b", ip: "10.0.0.2", flags: "master"),
            confLine("c", ip: "10.0.0.3", flags: "master,noaddr"),
            confLine("d", ip: "10.0.0.4", flags: "master"),
            confLine("e", ip: "10.0.0.5", flags: "master", slots: "0"),
        ])
        let links = connectAll(s, now: T0)
        // d has no link and no slots; e has no link but slots.
        for name in [nodeName("d"), nodeName("e")] { _ = s.linkClosed(links[name]!, now: T0) }
        _ = try s.meet(ip: "10.0.0.9", port: 7000, busPort: 17000, now: T0)
        var seen = Set<NodeName>()
        for i in 0..<30 {
            s.sendPing(on: s.linksByID[links[nodeName("b")]!]!, type: .ping, now: T0 + Int64(i))
            for m in sentMessages(s.finish(now: T0)) { seen.formUnion(gossipOf(m.message).entries.map { $0.name }) }
        }
        #expect(seen == [nodeName("b"), nodeName("e")])
    }

    @Test func newerExtensionsOnlyToPeersThatSpeakThem() throws {
        var settings = testSettings()
        settings.announceHostname = "a.example"
        settings.humanNodename = "node-a"
        let s = try ClusterState(
            nodesConfig: confLine("a", ip: "10.0.0.1", flags: "myself,master") + "\n"
                + confLine("b", ip: "10.0.0.2", flags: "master") + "\n"
                + confLine("c", ip: "10.0.0.3", flags: "master") + "\n",
            settings: settings, now: T0, seed: 1)
        // The first packet on a new link probes with every extension.
        var firstPackets: [NodeName: ClusterMessage] = [:]
        for effect in s.tick(now: T0) {
            if case .connect(let link, _, _) = effect {
                let node = s.nodeOrder.first { $0.link?.id == link }!
                firstPackets[node.name] = sentMessages(s.outboundConnected(link, localIP: "10.0.0.1", now: T0))[0].message
            }
        }
        let probe = gossipOf(firstPackets[nodeName("b")]!).extensions
        #expect(probe.contains(.hostname("a.example")) && probe.contains(.humanNodename("node-a")))
        #expect(probe.contains(.shardID(s.myShardID)))
        #expect(firstPackets[nodeName("b")]!.header.messageFlags.contains(.extensionData))
        // b (a 7.0 node) answers with the hostname only: from now on it only gets the hostname.
        let bLink = s.nodes[nodeName("b")]!.link!
        _ = s.receive(peerMessage(.pong, from: nodeName("b"), extensions: [.hostname("b.example")]), on: bLink.id, now: T0 + 1)
        #expect(s.nodes[nodeName("b")]!.hostname == "b.example")
        s.sendPing(on: bLink, type: .ping, now: T0 + 2)
        #expect(gossipOf(sentMessages(s.finish(now: T0 + 2))[0].message).extensions == [.hostname("a.example")])
        // c speaks shard-id: it keeps getting all of them, and its shard id is recorded.
        let cLink = s.nodes[nodeName("c")]!.link!
        _ = s.receive(peerMessage(.pong, from: nodeName("c"), extensions: [.shardID(String(repeating: "7", count: 40))]), on: cLink.id, now: T0 + 1)
        #expect(s.nodes[nodeName("c")]!.shardID == String(repeating: "7", count: 40))
        s.sendPing(on: cLink, type: .ping, now: T0 + 2)
        #expect(gossipOf(sentMessages(s.finish(now: T0 + 2))[0].message).extensions.count == 3)
        // A hostname that stops coming is cleared; unknown types are logged and skipped.
        let effects = s.receive(peerMessage(.pong, from: nodeName("b"), extensions: [.unknown(type: 99, payload: [])]), on: bLink.id, now: T0 + 3)
        #expect(s.nodes[nodeName("b")]!.hostname == "")
        #expect(effects.contains(.log(.warning, "Received unknown extension type 99")))
    }

    @Test func forgottenNodeExtensionRemovesTheNode() throws {
        let s = try loadState([
            confLine("a", ip: "10.0.0.1", flags: "myself,master"),
            confLine("b", ip: "10.0.0.2", flags: "master"),
            confLine("c", ip: "10.0.0.3", flags: "master"),
        ])
        let links = connectAll(s, now: T0)
        _ = s.receive(peerMessage(.pong, from: nodeName("b"), extensions: [.forgottenNode(nodeName("c"), ttlSeconds: 30)]),
            on: links[nodeName("b")]!, now: T0)
        #expect(s.nodes[nodeName("c")] == nil)
        #expect(s.isForgotten(nodeName("c"), now: T0 + 29_000))
        #expect(!s.isForgotten(nodeName("c"), now: T0 + 31_000))
    }

    @Test func peerMovingToANewAddressIsFollowed() throws {
        let s = try loadState([
            confLine("a", ip: "10.0.0.1", flags: "myself,master"),
            confLine("b", ip: "10.0.0.2", flags: "master"),
        ])
        let links = connectAll(s, now: T0)
        // b PINGs us from another address, announcing none: we reconnect there.
        let inbound = s.inboundAccepted(peerIP: "10.9.9.9", localIP: "10.0.0.1", now: T0)
        let effects = s.receive(peerMessage(.ping, from: nodeName("b")), on: inbound, now: T0 + 5)
        #expect(effects.contains(.close(links[nodeName("b")]!)))
        #expect(effects.contains(.routingChanged) && effects.contains(.saveConfig))
        #expect(s.nodes[nodeName("b")]!.ip == "10.9.9.9")
        #expect(s.tick(now: T0 + 100).contains { if case .connect(_, "10.9.9.9", 17000) = $0 { true } else { false } })
        // Links view: b has a fresh "to" link (connecting) and the "from" link it pinged on.
        #expect(s.links().map { $0.direction }.sorted() == ["from", "to"])
    }

    @Test func mismatchedPongSenderDropsTheAddress() throws {
        let s = try loadState([
            confLine("a", ip: "10.0.0.1", flags: "myself,master"),
            confLine("b", ip: "10.0.0.2", flags: "master"),
        ])
        let links = connectAll(s, now: T0)
        let effects = s.receive(peerMessage(.pong, from: nodeName("z")), on: links[nodeName("b")]!, now: T0)
        #expect(effects.contains(.close(links[nodeName("b")]!)))
        let b = s.nodes[nodeName("b")]!
        #expect(b.flags.contains(.noAddress) && b.ip == "")
        #expect(s.nodesDescription(now: T0).contains(" :0@0 master,noaddr "))
    }

    @Test func nodesViewFormatting() throws {
        var settings = testSettings()
        settings.announceHostname = "a.example"
        let text = [
            confLine("a", ip: "10.0.0.1", flags: "myself,master", epoch: 4, slots: "0-5 7 9-10"),
            confLine("b", ip: "10.0.0.2", flags: "slave,fail", master: "a", epoch: 4),
            confLine("c", ip: "10.0.0.3", flags: "master,fail?,nofailover", epoch: 2, slots: "11"),
            confLine("d", ip: "10.0.0.4", flags: "noflags"),
        ].joined(separator: "\n") + "\nvars currentEpoch 4 lastVoteEpoch 0\n"
        let s = try ClusterState(nodesConfig: text, settings: settings, now: T0, seed: 1)
        let lines = s.nodesDescription(now: T0).split(separator: "\n").map(String.init)
        #expect(lines == [
            "\(nodeName("a")) 10.0.0.1:7000@17000,a.example myself,master - 0 0 4 connected 0-5 7 9-10",
            "\(nodeName("b")) 10.0.0.2:7000@17000 slave,fail \(nodeName("a")) 0 0 4 disconnected",
            "\(nodeName("c")) 10.0.0.3:7000@17000 master,fail?,nofailover - 0 0 2 disconnected 11",
            "\(nodeName("d")) 10.0.0.4:7000@17000 noflags - 0 0 0 disconnected",
        ])
        let info = s.infoFields(now: T0)
        #expect(info.map { $0.0 } == [
            "cluster_state", "cluster_slots_assigned", "cluster_slots_ok", "cluster_slots_pfail",
            "cluster_slots_fail", "cluster_known_nodes", "cluster_size", "cluster_current_epoch",
            "cluster_my_epoch", "cluster_stats_messages_sent", "cluster_stats_messages_received",
            "total_cluster_links_buffer_limit_exceeded",
        ])
        #expect(info[1].1 == "10" && info[2].1 == "9" && info[3].1 == "1" && info[4].1 == "0")
        // CLUSTER SLOTS: per range, master then its non-failed replicas (b is failed).
        let ranges = s.slotRanges()
        #expect(ranges.map { [$0.start, $0.end] } == [[0, 5], [7, 7], [9, 10], [11, 11]])
        #expect(ranges[0].nodes.map { $0.name } == [nodeName("a")])
        // CLUSTER SHARDS: every master, all replicas; the failed replica says "fail".
        let shard = s.shards().first { $0.nodes[0].name == nodeName("a") }!
        #expect(shard.ranges == [0...5, 7...7, 9...10])
        #expect(shard.nodes.map { $0.health } == ["online", "fail"])
        // Routing: per-endpoint-type text.
        let table = s.routingTable()
        #expect(table.endpoints[Int(table.owner[0])] == "10.0.0.1:7000" && table.owner[0] == table.myIndex)
        #expect(table.owner[6] == RoutingTable.unassigned && !table.clusterOK)
        var hs = settings
        hs.preferredEndpointType = .hostname
        _ = s.updateSettings(hs, now: T0)
        #expect(s.routingTable().endpoints[Int(s.routingTable().owner[11])] == "?:7000")
        #expect(s.routingTable().endpoints[Int(s.routingTable().myIndex)] == "a.example:7000")
        hs.preferredEndpointType = .unknownEndpoint
        _ = s.updateSettings(hs, now: T0)
        #expect(s.routingTable().endpoints[0] == ":7000")  // Redis 7.0: an empty endpoint
    }
}
