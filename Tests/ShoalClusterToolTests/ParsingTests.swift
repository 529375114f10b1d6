import Testing
@testable import ShoalClusterKit

/// CLUSTER NODES, INFO, addresses, slot sets, key slots, GETSLOTMIGRATIONS, JSON.
@Suite struct ParsingTests {
    static let nodesText = """
        07c37dfeb235213a872192d90877d0cd55635b91 127.0.0.1:30004@31004,host-d slave e7d1eecce10fd6bb5eb35b9f99a514335d9ba9ca 0 1426238317239 4 connected
        67ed2db8d677e59ec4a4cefb06858cf2a1a89fa1 127.0.0.1:30002@31002 master - 0 1426238316232 2 connected 5461-10922 [5461->-e7d1eecce10fd6bb5eb35b9f99a514335d9ba9ca]
        292f8b365bb7edb5e285caf0b7e6ddc7265d2f4f 127.0.0.1:30003@31003 master - 0 1426238318243 3 connected 10923-16383
        6ec23923021cf3ffec47632106199cb7f496ce01 127.0.0.1:30005@31005 slave 67ed2db8d677e59ec4a4cefb06858cf2a1a89fa1 0 1426238316232 5 connected
        824fe116063bc5fcf9f4ffd895bc17aee7731ac3 127.0.0.1:30006@31006 slave 292f8b365bb7edb5e285caf0b7e6ddc7265d2f4f 0 1426238317741 6 connected
        e7d1eecce10fd6bb5eb35b9f99a514335d9ba9ca 127.0.0.1:30001@31001 myself,master - 0 0 1 connected 0-5460 7000 [5461-<-67ed2db8d677e59ec4a4cefb06858cf2a1a89fa1]
        aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa :0@0 master,fail,noaddr - 1426238316000 1426238316000 7 disconnected

        """

    @Test func clusterNodesFields() throws {
        let recs = try parseClusterNodes(Self.nodesText)
        #expect(recs.count == 7)
        let replica = recs[0]
        #expect(replica.id == "07c37dfeb235213a872192d90877d0cd55635b91")
        #expect(replica.host == "127.0.0.1" && replica.port == 30004 && replica.busPort == 31004)
        #expect(replica.hostname == "host-d")
        #expect(replica.isReplica && !replica.isMaster)
        #expect(replica.masterId == "e7d1eecce10fd6bb5eb35b9f99a514335d9ba9ca")
        #expect(replica.configEpoch == 4 && replica.linkState == "connected")
        #expect(replica.slots.isEmpty)

        let m2 = recs[1]
        #expect(m2.slots.count == 5462 && m2.slots.contains(5461) && m2.slots.contains(10922))
        #expect(m2.migrating == [5461: "e7d1eecce10fd6bb5eb35b9f99a514335d9ba9ca"])
        #expect(m2.masterId == nil)

        let me = recs[5]
        #expect(me.isMyself && me.isMaster)
        #expect(me.slots.count == 5462 && me.slots.contains(7000) && !me.slots.contains(5461))
        #expect(me.importing == [5461: "67ed2db8d677e59ec4a4cefb06858cf2a1a89fa1"])
        #expect(me.slotTokens == ["0-5460", "7000"])

        let gone = recs[6]
        #expect(gone.hasNoAddress && gone.isFailed && gone.host.isEmpty && gone.port == 0)
        #expect(gone.linkState == "disconnected")
    }

    @Test func clusterNodesRejectsGarbage() {
        #expect(throws: ParseError.self) { try parseClusterNodes("abc 127.0.0.1:1@2 master") }
        #expect(throws: ParseError.self) {
            try parseClusterNodes("a 127.0.0.1:1@2 master - 0 0 1 connected 5-3")
        }
        #expect(throws: ParseError.self) {
            try parseClusterNodes("a 127.0.0.1:1@2 master - 0 0 1 connected 16384")
        }
    }

    @Test func redis6AddressWithoutBusPortAndIPv6() throws {
        let recs = try parseClusterNodes("""
            a 10.0.0.1:7000 myself,master - 0 0 1 connected 0-10
            b ::1:7001@17001 master - 0 0 2 connected 11
            """)
        #expect(recs[0].port == 7000 && recs[0].busPort == 0)
        #expect(recs[1].host == "::1" && recs[1].port == 7001)
    }

    @Test func signatureIgnoresOrderAndOpenSlots() throws {
        let a = try parseClusterNodes("""
            x 1.1.1.1:1@2 myself,master - 0 0 1 connected 0-100 200 [300->-y]
            y 1.1.1.2:1@2 master - 0 0 2 connected 101-199
            z 1.1.1.3:1@2 slave x 0 0 3 connected
            """)
        let b = try parseClusterNodes("""
            y 1.1.1.2:1@2 myself,master - 0 0 2 connected 101-199 [300-<-x]
            z 1.1.1.3:1@2 slave x 0 0 3 connected
            x 1.1.1.1:1@2 master - 0 0 1 connected 200 0-100
            """)
        #expect(configSignature(a) == "x:0-100,200|y:101-199")
        #expect(configSignature(a) == configSignature(b))
        #expect(configSignature(try parseClusterNodes("z 1.1.1.3:1@2 myself,master - 0 0 3 connected")) == nil)
    }

    @Test func infoFields() {
        let info = parseInfo("# Server\r\nredis_version:7.0.15\r\nshoal_version:0.1.0\r\n\r\n# Cluster\r\ncluster_enabled:1\r\n")
        #expect(info["redis_version"] == "7.0.15")
        #expect(info["shoal_version"] == "0.1.0")
        #expect(info["cluster_enabled"] == "1")
    }

    @Test func hostPort() {
        #expect(HostPort("127.0.0.1:7000") == HostPort(host: "127.0.0.1", port: 7000))
        #expect(HostPort("127.0.0.1:7000@17000") == HostPort(host: "127.0.0.1", port: 7000))
        #expect(HostPort("[::1]:7000") == HostPort(host: "::1", port: 7000))
        #expect(HostPort("localhost") == nil)
        #expect(HostPort("h:0") == nil)
        #expect(HostPort("h:70000") == nil)
        #expect(HostPort(host: "::1", port: 1).description == "[::1]:1")
    }

    @Test func slotSet() {
        var s = SlotSet([5, 3, 4, 10, 16383, 0])
        #expect(s.count == 6)
        #expect(s.sorted == [0, 3, 4, 5, 10, 16383])
        #expect(s.rangeText == "0,3-5,10,16383")
        #expect(s.remove(4) && !s.remove(4))
        #expect(s.rangeText == "0,3,5,10,16383")
        #expect(s.complement.count == clusterSlots - 5)
        #expect(SlotSet(ranges: [0...16383]).count == clusterSlots)
        #expect(runsInOrder([3, 4, 5, 9, 8, 10]) == [3...5, 9...9, 8...8, 10...10])
    }

    @Test func keySlots() {
        #expect(keyHashSlot(Array("foo".utf8)) == 12182)
        #expect(keyHashSlot(Array("bar".utf8)) == 5061)
        #expect(keyHashSlot(Array("hello".utf8)) == 866)
        #expect(keyHashSlot(Array("{user1000}.following".utf8)) == keyHashSlot(Array("user1000".utf8)))
        #expect(keyHashSlot(Array("foo{}{bar}".utf8)) == Int(crc16(Array("foo{}{bar}".utf8)) & 0x3FFF))
        #expect(keyHashSlot(Array("foo{{bar}}zap".utf8)) == keyHashSlot(Array("{bar".utf8)))
        #expect(keyHashSlot(Array("{}x".utf8)) == Int(crc16(Array("{}x".utf8)) & 0x3FFF))
    }

    @Test func slotMigrationsRESP2AndRESP3() {
        let resp2: Reply = .array([
            .array([.bulk("name"), .bulk("job-1"), .bulk("slot_ranges"), .bulk("0-99 200-200"),
                    .bulk("state"), .bulk("running"), .bulk("keys_moved"), .integer(42),
                    .bulk("bytes_sent"), .integer(4096), .bulk("error"), .bulk("")]),
        ])
        let e = SlotMigrationEntry.parse(resp2)
        #expect(e.count == 1)
        #expect(e[0].id == "job-1" && e[0].ranges == [0...99, 200...200] && e[0].state == "running")
        #expect(e[0].keysMoved == 42 && e[0].bytesSent == 4096 && e[0].error == nil && !e[0].isFinished)
        #expect(e[0].overlaps(SlotSet([150, 200])) && !e[0].overlaps(SlotSet([150])))

        let resp3: Reply = .array([
            .map([Reply.Pair(.bulk("slot_ranges"), .array([.integer(10), .integer(20), .integer(30), .integer(30)])),
                  Reply.Pair(.bulk("state"), .status("FAILED")),
                  Reply.Pair(.bulk("keys_moved"), .bulk("7")),
                  Reply.Pair(.bulk("bytes_sent"), .integer(1)),
                  Reply.Pair(.bulk("error"), .bulk("target unreachable"))]),
            .bulk("not a map"),
        ])
        let f = SlotMigrationEntry.parse(resp3)
        #expect(f.count == 1)
        #expect(f[0].ranges == [10...20, 30...30] && f[0].state == "failed" && f[0].keysMoved == 7)
        #expect(f[0].error == "target unreachable" && f[0].isFinished)
        #expect(SlotMigrationEntry.parseRanges(.array([.array([.integer(1), .integer(5)])])) == [1...5])
        #expect(SlotMigrationEntry.parseRanges(.bulk("1-5,9")) == [1...5, 9...9])
    }

    @Test func jsonRendering() {
        let j: JSON = .object([("a", .string("q\"\\\n\u{1}")), ("b", .array([.int(1), .null, .bool(true)])),
                               ("c", .double(1.5)), ("d", .object([]))])
        #expect(j.render() == #"{"a":"q\"\\\n\u0001","b":[1,null,true],"c":1.500,"d":{}}"#)
        #expect(formatFixed(2.0 / 3.0, 2) == "0.67")
        #expect(formatFixed(-1.005, 1) == "-1.0")
        #expect(humanBytes(1536) == "1.5 KiB")
        #expect(humanDuration(75) == "1:15")
    }

    @Test func replyHelpers() {
        let flat: Reply = .array([.bulk("a"), .integer(1), .status("b"), .bulk("x")])
        #expect(flat.fields?["a"] == .integer(1))
        #expect(flat.fields?["b"]?.string == "x")
        #expect(Reply.array([.bulk("a")]).fields == nil)
        #expect(Reply.bulk(Array("12".utf8)).int == 12)
        #expect(Reply.status("OK").isOK && Reply.error("ERR x").errorMessage == "ERR x")
        #expect(Reply.array([.integer(1), .bulk(nil)]).rawText == "1\n")
    }
}

extension Reply {
    static func bulk(_ s: String) -> Reply { .bulk(Array(s.utf8)) }
}
