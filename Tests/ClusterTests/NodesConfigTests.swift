import Testing
@testable import Cluster

/// nodes.conf: files written by redis-server 7.0.15, round trips, and refusals naming the line.
@Suite struct NodesConfigTests {
    /// Written by redis-server 7.0.15 (3 nodes: a master with slots, a master announcing a
    /// hostname, a replica of the first announcing a hostname).
    static let redisFile = """
        4db90c9d4e4da34219e33b58cb1f8a225fe5a9b4 127.0.0.1:21003@31003,host-21003.example slave 02080b672278d4bc6d60a3330ff724c207a38d37 0 1795250362102 5 connected
        7840bb62f343c0086ff0bbdb82417f63edb73ec8 127.0.0.1:21002@31002,host-21002.example master - 0 1795250360095 0 connected 200-201
        02080b672278d4bc6d60a3330ff724c207a38d37 127.0.0.1:21001@31001 myself,master - 0 1795250361000 5 connected 1-3 5 100
        vars currentEpoch 6 lastVoteEpoch 0

        """

    /// A lone node of redis-server 7.0.15 after ADDSLOTS 1 2 3 5 100 and SET-CONFIG-EPOCH 5,
    /// before any MEET (no IP known yet).
    static let redisLoneFile = """
        02080b672278d4bc6d60a3330ff724c207a38d37 :21001@31001 myself,master - 0 0 5 connected 1-3 5 100
        vars currentEpoch 5 lastVoteEpoch 0

        """

    func settings() -> ClusterSettings { testSettings(port: 21001) }

    @Test func loadsRedisWrittenFile() throws {
        let s = try ClusterState(nodesConfig: Self.redisFile, settings: settings(), now: T0, seed: 1)
        #expect(s.myName.text == "02080b672278d4bc6d60a3330ff724c207a38d37")
        #expect(s.currentEpoch == 6)
        #expect(s.knownNodeCount == 3)
        #expect(s.myself.slots == bitmap(1...3, 5...5, 100...100))
        #expect(s.myself.configEpoch == 5)
        let replica = s.nodes[NodeName("4db90c9d4e4da34219e33b58cb1f8a225fe5a9b4")!]!
        #expect(replica.isReplica && replica.replicaOf === s.myself && replica.hostname == "host-21003.example")
        #expect(s.myself.replicas.count == 1)
        let other = s.nodes[NodeName("7840bb62f343c0086ff0bbdb82417f63edb73ec8")!]!
        #expect(other.busPort == 31002 && other.slots == bitmap(200...201))
        // Other nodes start without links; pong times restart from now.
        let text = s.nodesDescription(now: T0)
        #expect(text.contains(
            "4db90c9d4e4da34219e33b58cb1f8a225fe5a9b4 127.0.0.1:21003@31003,host-21003.example slave 02080b672278d4bc6d60a3330ff724c207a38d37 0 \(T0) 5 disconnected\n"))
        #expect(text.contains("02080b672278d4bc6d60a3330ff724c207a38d37 127.0.0.1:21001@31001 myself,master - 0 \(T0) 5 connected 1-3 5 100\n"))
        #expect(s.nodesConfig().hasSuffix("vars currentEpoch 6 lastVoteEpoch 0\n"))
        // And tick reconnects them.
        let connects = s.tick(now: T0 + 100).filter { if case .connect = $0 { true } else { false } }
        #expect(connects.count == 2)
    }

    @Test func loadsLoneRedisNode() throws {
        let s = try ClusterState(nodesConfig: Self.redisLoneFile, settings: settings(), now: T0, seed: 1)
        #expect(s.myself.ip == "")
        #expect(s.nodesConfig() == Self.redisLoneFile)
    }

    @Test func roundTrip() throws {
        let a = try ClusterState(nodesConfig: Self.redisFile, settings: settings(), now: T0, seed: 1)
        _ = try a.forget("7840bb62f343c0086ff0bbdb82417f63edb73ec8", now: T0)
        let b = try ClusterState(nodesConfig: a.nodesConfig(), settings: settings(), now: T0, seed: 2)
        #expect(b.nodesConfig() == a.nodesConfig())
        #expect(b.nodesDescription(now: T0) == a.nodesDescription(now: T0))
    }

    @Test func acceptsOldAndNewerFormats() throws {
        // Before 4.0 there was no "@cport": the bus port is port + 10000.
        let old = "0000000000000000000000000000000000000001 10.0.0.1:7000 myself,master - 0 0 0 connected 0-16383\nvars currentEpoch 0 lastVoteEpoch 0\n"
        let s = try ClusterState(nodesConfig: old, settings: testSettings(), now: T0, seed: 1)
        #expect(s.myself.busPort == 17000)  // from the settings, as Redis derives it
        #expect(s.assignedSlotCount == 16384)
        // 7.2's aux fields after the address.
        let newer = """
            0000000000000000000000000000000000000001 10.0.0.1:7000@17000,h1,tls-port=0,shard-id=abcdefabcdefabcdefabcdefabcdefabcdefabcd myself,master - 0 0 0 connected
            0000000000000000000000000000000000000002 10.0.0.2:7000@17000,,tls-port=0,shard-id=1111111111111111111111111111111111111111 master - 0 0 0 connected [5->-0000000000000000000000000000000000000001]
            vars currentEpoch 0 lastVoteEpoch 0
            """
        let t = try ClusterState(nodesConfig: newer, settings: testSettings(), now: T0, seed: 1)
        #expect(t.myShardID == "abcdefabcdefabcdefabcdefabcdefabcdefabcd")
        #expect(t.knownNodeCount == 2)
    }

    @Test func migratingAndImportingSurvive() throws {
        let text = """
            0000000000000000000000000000000000000001 10.0.0.1:7000@17000 myself,master - 0 0 1 connected 0-10 [11->-0000000000000000000000000000000000000002] [12-<-0000000000000000000000000000000000000002]
            0000000000000000000000000000000000000002 10.0.0.2:7000@17000 master - 0 0 2 disconnected 11-12
            vars currentEpoch 2 lastVoteEpoch 0

            """
        let s = try ClusterState(nodesConfig: text, settings: testSettings(), now: T0, seed: 1)
        #expect(s.nodesConfig() == text)
        let table = s.routingTable()
        #expect(table.migrating[11] == table.owner[11])
        #expect(table.importing == [12])
    }

    func refusal(_ text: String) -> NodesConfigError? {
        do {
            _ = try ClusterState(nodesConfig: text, settings: testSettings(), now: T0, seed: 1)
            return nil
        } catch let error as NodesConfigError {
            return error
        } catch {
            return nil
        }
    }

    @Test func rejectsGarbageNamingTheLine() {
        let good = "0000000000000000000000000000000000000001 10.0.0.1:7000@17000 myself,master - 0 0 0 connected"
        var e = refusal(good + "\nthis is not a node line\n")
        #expect(e?.lineNumber == 2)
        #expect(e?.description.contains("this is not a node line") == true)
        e = refusal(good.replacingOccurrences(of: "myself,master", with: "myself,boss"))
        #expect(e?.lineNumber == 1 && e?.reason.contains("boss") == true)
        e = refusal(good + " 0-16384")
        #expect(e?.lineNumber == 1)
        e = refusal(good + " 10-5")
        #expect(e?.lineNumber == 1)
        e = refusal("vars currentEpoch x lastVoteEpoch 0\n" + good)
        #expect(e?.lineNumber == 1)
        e = refusal(good.replacingOccurrences(of: "10.0.0.1:7000@17000", with: "10.0.0.1"))
        #expect(e?.lineNumber == 1)
        e = refusal("0000000000000000000000000000000000000001 10.0.0.1:7000@17000 master - 0 0 0 connected\n")
        #expect(e?.lineNumber == 0)
        e = refusal(good + "\n" + good.replacingOccurrences(of: "01 10.0.0.1", with: "02 10.0.0.2"))
        #expect(e?.lineNumber == 2)
    }
}

private extension String {
    func replacingOccurrences(of target: String, with replacement: String) -> String {
        var out = ""
        var rest = Substring(self)
        while let r = rest.firstRange(of: target) {
            out += rest[..<r.lowerBound]
            out += replacement
            rest = rest[r.upperBound...]
        }
        return out + rest
    }
}
