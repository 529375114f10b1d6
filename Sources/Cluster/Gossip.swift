/// Building PING / PONG / MEET (clusterBuildMessageHdr, clusterSendPing) and consuming their
/// gossip sections and extensions (clusterProcessGossipSection, clusterProcessPingExtensions).
extension ClusterState {
    var announcedPort: Int { settings.announcePort != 0 ? settings.announcePort : settings.port }
    var announcedBusPort: Int { settings.announceBusPort != 0 ? settings.announceBusPort : settings.busPort }

    /// clusterBuildMessageHdr: a replica speaks for its master's slots and configEpoch, flagged
    /// as a replica so receivers know it does not serve them.
    func header(_ type: MessageType) -> MessageHeader {
        let master = (myself.isReplica ? myself.replicaOf : nil) ?? myself
        return MessageHeader(
            type: type, sender: myself.name, port: UInt16(clamping: announcedPort),
            busPort: UInt16(clamping: announcedBusPort), plaintextPort: 0, currentEpoch: epoch,
            configEpoch: master.configEpoch, replicationOffset: myself.replicationOffset,
            slots: master.slots, replicaOf: myself.replicaOf?.name, ip: settings.announceIP,
            flags: myself.flags, health: health, messageFlags: [])
    }

    func gossipEntry(_ node: ClusterNode) -> GossipEntry {
        GossipEntry(
            name: node.name, pingSent: UInt32(clamping: node.pingSent / 1000),
            pongReceived: UInt32(clamping: node.pongReceived / 1000), ip: node.ip,
            port: UInt16(clamping: node.port), busPort: UInt16(clamping: node.busPort),
            flags: node.flags, plaintextPort: UInt16(clamping: node.plaintextPort))
    }

    static func isPost70Extension(_ ext: PingExtension) -> Bool {
        switch ext {
        case .humanNodename, .forgottenNode, .shardID: true
        case .hostname, .unknown: false
        }
    }

    /// clusterSendPing. Gossip: N/10 random nodes (at least 3, at most N-2) so that failure
    /// reports reach a quorum within node_timeout, plus every PFAIL node so they turn into FAIL
    /// fast. The node we send to may be among them, as in Redis.
    func sendPing(on link: ClusterLink, type: MessageType, now: Int64, forceNewExtensions: Bool = false) {
        let count = nodeOrder.count
        var freshNodes = count - 2
        var wanted = max(3, count / 10)
        if wanted > freshNodes { wanted = freshNodes }

        if !link.inbound && type == .ping, let node = link.node { node.pingSent = now }
        // An unconnected link cannot carry anything; its connect handler sends a PING anyway.
        guard link.connected else { return }

        var entries: [GossipEntry] = []
        var included = Set<ObjectIdentifier>()
        var iterations = wanted * 3
        while freshNodes > 0 && entries.count < wanted && iterations > 0 {
            iterations -= 1
            let node = nodeOrder[randomInt(count)]
            if node === myself || node.timedOut { continue }
            if node.inHandshake || !node.hasAddress || (node.link == nil && node.slotCount == 0)
            {
                freshNodes -= 1  // not exact, as in Redis: it only bounds the loop
                continue
            }
            if included.contains(ObjectIdentifier(node)) { continue }
            included.insert(ObjectIdentifier(node))
            entries.append(gossipEntry(node))
            freshNodes -= 1
        }
        var pfailWanted = pfailNodeCount
        if pfailWanted > 0 {
            for node in nodeOrder where pfailWanted > 0 {
                if node.inHandshake || !node.hasAddress || !node.timedOut { continue }
                entries.append(gossipEntry(node))
                pfailWanted -= 1
            }
        }

        var extensions: [PingExtension] = []
        if !myself.hostname.isEmpty { extensions.append(.hostname(myself.hostname)) }
        // Redis 7.0 knows only the hostname extension and logs a warning for every other one
        // it receives; the newer ones go to peers that showed they know them (or as the probe
        // on a fresh outbound link, see ClusterLink.probeExtensions).
        let newer = forceNewExtensions || link.probeExtensions || (link.node?.speaksNewExtensions ?? false)
        if newer {
            if !myself.humanNodename.isEmpty { extensions.append(.humanNodename(myself.humanNodename)) }
            for (name, expiry) in forgotten.sorted(by: { $0.key < $1.key }) where expiry > now {
                extensions.append(.forgottenNode(name, ttlSeconds: UInt64((expiry - now + 999) / 1000)))
            }
            extensions.append(.shardID(myself.shardID))
        }
        link.probeExtensions = false

        var hdr = header(type)
        if !extensions.isEmpty { hdr.messageFlags.insert(.extensionData) }
        send(ClusterMessage(header: hdr, body: .gossip(entries, extensions: extensions)), on: link)
    }

    /// clusterBroadcastMessage: every node we have an outbound link to.
    func broadcast(_ message: ClusterMessage) {
        for node in nodeOrder {
            guard let link = node.link, node !== myself, !node.inHandshake else { continue }
            send(message, on: link)
        }
    }

    /// clusterBroadcastPong. `localReplicasOnly`: only the other replicas of my master.
    func broadcastPong(localReplicasOnly: Bool, now: Int64) {
        for node in nodeOrder {
            guard let link = node.link, node !== myself, !node.inHandshake else { continue }
            if localReplicasOnly {
                let sameShard = node.isReplica && node.replicaOf != nil
                    && (node.replicaOf === myself.replicaOf || node.replicaOf === myself)
                if !sameShard { continue }
            }
            sendPing(on: link, type: .pong, now: now)
        }
    }

    func sendFail(about name: NodeName) {
        broadcast(ClusterMessage(header: header(.fail), body: .fail(name)))
    }

    /// clusterSendUpdate: tell a node with a stale slot claim who owns them now.
    func sendUpdate(on link: ClusterLink?, about node: ClusterNode, now: Int64) {
        guard let link else { return }
        send(
            ClusterMessage(
                header: header(.update),
                body: .update(configEpoch: node.configEpoch, node: node.name, slots: node.slots)),
            on: link)
    }

    /// clusterProcessGossipSection.
    func processGossipSection(_ message: ClusterMessage, sender: ClusterNode, now: Int64) {
        guard case .gossip(let entries, _) = message.body else { return }
        for g in entries {
            if let node = nodes[g.name] {
                // Failure reports count only when a master makes them.
                if sender.isMaster && node !== myself {
                    if g.flags.unreachable {
                        if addFailureReport(node, reporter: sender, now: now) {
                            log(.verbose, "Node \(sender.name) reported node \(node.name) as not reachable.")
                        }
                        markNodeAsFailingIfNeeded(node, now: now)
                    } else if deleteFailureReport(node, reporter: sender, now: now) {
                        log(.verbose, "Node \(sender.name) reported node \(node.name) is back online.")
                    }
                }
                // Someone hears from the node more recently than we do and nothing suggests it
                // is down: take the newer pong time (not from the future, 500 ms tolerance).
                if !g.flags.unreachable && node.pingSent == 0
                    && failureReportCount(node, now: now) == 0
                {
                    let pongTime = Int64(g.pongReceived) * 1000
                    if pongTime <= now + 500 && pongTime > node.pongReceived { node.pongReceived = pongTime }
                }
                // A node we cannot reach, seen at another address by a node that can: move.
                if node.unreachable && !g.flags.has(.noAddress) && !g.flags.unreachable
                    && (node.ip.lowercased() != g.ip.lowercased() || node.port != Int(g.port)
                        || node.busPort != Int(g.busPort))
                {
                    if let l = node.link { freeLink(l, emitClose: true) }
                    node.ip = g.ip
                    node.port = Int(g.port)
                    node.plaintextPort = Int(g.plaintextPort)
                    node.busPort = Int(g.busPort)
                    node.flags.remove(.noAddress)
                    todoRouting = true
                }
            } else if !g.flags.has(.noAddress) && !isForgotten(g.name, now: now) {
                // Redis trusts a known node's gossip and adds the node under its real name, no
                // handshake: a handshake by address could join us to another cluster reusing it.
                let node = ClusterNode(
                    name: g.name, flags: g.flags.subtracting([.myself, .handshake, .meet]),
                    shardID: randomName().text, now: now)
                node.ip = g.ip
                node.port = Int(g.port)
                node.plaintextPort = Int(g.plaintextPort)
                node.busPort = Int(g.busPort)
                addNode(node)
                // Routing is unaffected: the table appends it and it serves no slots yet.
                todoSave = true
            }
        }
    }

    /// clusterProcessPingExtensions (7.0's hostname, plus 7.2's human-nodename, forgotten-node
    /// and shard-id, which we always accept).
    func processPingExtensions(_ extensions: [PingExtension], sender: ClusterNode, now: Int64) {
        var hostname = ""
        var humanNodename = ""
        for ext in extensions {
            switch ext {
            case .hostname(let h): hostname = h
            case .humanNodename(let h): humanNodename = h
            case .forgottenNode(let name, let ttl):
                guard let node = nodes[name], node !== myself, !(myself.isReplica && myself.replicaOf === node)
                else { continue }
                forgotten[name] = now + Int64(clamping: ttl) * 1000
                deleteNode(node)
                todoSave = true
                todoUpdateState = true
            case .shardID(let id):
                if sender.shardID != id {
                    sender.shardID = id
                    todoSave = true
                }
            case .unknown(let type, _):
                log(.warning, "Received unknown extension type \(type)")
            }
        }
        // No hostname extension means the peer announces none (any more).
        if sender.hostname != hostname {
            sender.hostname = hostname
            todoSave = true
            todoRouting = true
        }
        sender.humanNodename = humanNodename
    }

    func isForgotten(_ name: NodeName, now: Int64) -> Bool {
        guard let expiry = forgotten[name] else { return false }
        if expiry <= now {
            forgotten[name] = nil
            return false
        }
        return true
    }
}
