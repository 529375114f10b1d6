/// Message processing: Redis's `clusterProcessPacket`, one branch per message type.
extension ClusterState {
    public func receive(_ message: ClusterMessage, on link: LinkID, now: Int64) -> [ClusterEffect] {
        guard let l = linksByID[link] else { return [] }
        let type = Int(message.header.type.rawValue)
        if type < MessageType.count { statsReceived[type] += 1 }
        processPacket(message, link: l, now: now)
        return finish(now: now)
    }

    /// getNodeFromLinkAndMsg: the link's node once it is known for real, else a lookup by the
    /// header's name; an inbound link gets bound to the node it turns out to come from.
    func senderOf(_ header: MessageHeader, link: ClusterLink) -> ClusterNode? {
        if let node = link.node, !node.inHandshake { return node }
        let sender = nodes[header.sender]
        if let sender, link.node == nil, link.inbound {
            sender.inboundLink = link
            link.node = sender
        }
        return sender
    }

    func processPacket(_ message: ClusterMessage, link: ClusterLink, now: Int64) {
        let hdr = message.header
        let type = hdr.type

        // A message carrying our own name comes from a connection to ourselves (CLUSTER MEET of
        // our own address): answer it so the handshake completes, then drop the handshake node.
        if hdr.sender == myself.name {
            if type == .ping || type == .meet { sendPing(on: link, type: .pong, now: now) }
            if !link.inbound, let node = link.node, node.inHandshake { deleteNode(node) }
            return
        }

        let peerSpeaksNew: Bool
        if case .gossip(_, let extensions) = message.body {
            peerSpeaksNew = extensions.contains { Self.isPost70Extension($0) }
        } else {
            peerSpeaksNew = false
        }

        let sender = senderOf(hdr, link: link)
        if let sender {
            sender.dataReceived = now
            if peerSpeaksNew { sender.speaksNewExtensions = true }
        }

        var senderConfigEpoch: UInt64 = 0
        var senderCurrentEpoch: UInt64 = 0
        if let sender, !sender.inHandshake {
            senderCurrentEpoch = hdr.currentEpoch
            senderConfigEpoch = hdr.configEpoch
            if senderCurrentEpoch > epoch {
                epoch = senderCurrentEpoch
                todoSave = true
            }
            if senderConfigEpoch > sender.configEpoch {
                sender.configEpoch = senderConfigEpoch
                todoSave = true
            }
            sender.replicationOffset = hdr.replicationOffset
            sender.replicationOffsetTime = now
        }

        // Initial processing of PING and MEET: learn our address, admit a MEETing stranger, PONG.
        if type == .ping || type == .meet {
            // Only cluster nodes send MEET, and they reach us at our official address: the local
            // end of this connection is the address to announce (or any PING when we have none).
            if (type == .meet || myself.ip.isEmpty) && settings.announceIP.isEmpty
                && !link.localIP.isEmpty && link.localIP != myself.ip
            {
                myself.ip = link.localIP
                log(.warning, "IP address for this node updated to \(myself.ip)")
                todoSave = true
                todoRouting = true
            }
            if sender == nil && type == .meet {
                // Details (role, slots) come with its PONGs; for now only its address.
                let node = ClusterNode(name: randomName(), flags: .handshake, shardID: randomName().text, now: now)
                node.ip = hdr.ip.isEmpty ? link.peerIP : hdr.ip
                node.port = Int(hdr.port)
                node.plaintextPort = Int(hdr.plaintextPort)
                node.busPort = Int(hdr.busPort)
                addNode(node)
                todoSave = true
            }
            sendPing(on: link, type: .pong, now: now, forceNewExtensions: peerSpeaksNew)
        }

        switch type {
        case .ping, .pong, .meet:
            processPingPongMeet(message, link: link, sender: sender, senderConfigEpoch: senderConfigEpoch, now: now)
        case .fail:
            guard case .fail(let failingName) = message.body else { return }
            guard sender != nil else {
                log(.notice, "Ignoring FAIL message from unknown node \(hdr.sender) about \(failingName)")
                return
            }
            if let failing = nodes[failingName], !failing.flags.contains(.failed), !failing.isMyself {
                log(.notice, "FAIL message received from \(hdr.sender) about \(failingName)")
                failing.flags.insert(.failed)
                failing.failTime = now
                failing.flags.remove(.possiblyFailed)
                todoSave = true
                todoUpdateState = true
            }
        case .failoverAuthRequest:
            guard let sender else { return }
            sendFailoverAuthIfNeeded(to: sender, request: hdr, now: now)
        case .failoverAuthAck:
            guard let sender else { return }
            // Only votes of masters with slots count, and only for the election we started.
            if sender.isMaster && sender.slotCount > 0 && senderCurrentEpoch >= failoverAuthEpoch {
                failoverAuthCount += 1
                todoHandleFailover = true
            }
        case .update:
            guard sender != nil, case .update(let reportedEpoch, let name, let slots) = message.body else { return }
            guard let node = nodes[name], node.configEpoch < reportedEpoch else { return }
            if node.isReplica { setNodeAsMaster(node) }
            node.configEpoch = reportedEpoch
            todoSave = true
            updateSlotsConfig(with: node, configEpoch: reportedEpoch, slots: slots, now: now)
        case .publish, .publishShard, .module, .mfstart:
            // Pub/Sub and modules are the shell's business; manual failover is not implemented.
            break
        default:
            log(.warning, "Received unknown packet type: \(type.rawValue)")
        }
    }

    /// The PING / PONG / MEET branch: handshake completion, address, liveness, role, slots,
    /// epoch collisions, then gossip and extensions.
    private func processPingPongMeet(
        _ message: ClusterMessage, link: ClusterLink, sender: ClusterNode?, senderConfigEpoch: UInt64, now: Int64
    ) {
        let hdr = message.header
        let type = hdr.type
        if !link.inbound, let linkNode = link.node {
            if linkNode.inHandshake {
                if let sender {
                    // We already know this node under its real name: keep that record.
                    log(.verbose, "Handshake: we already know node \(sender.name), updating the address if needed.")
                    if updateAddressIfNeeded(sender, link: link, header: hdr) {
                        todoSave = true
                        todoUpdateState = true
                    }
                    deleteNode(linkNode)
                    return
                }
                renameNode(linkNode, to: hdr.sender)
                log(.debug, "Handshake with node \(linkNode.name) completed.")
                linkNode.flags.remove(.handshake)
                linkNode.flags.formUnion(hdr.flags.intersection([.master, .replica]))
                todoSave = true
            } else if linkNode.name != hdr.sender {
                // Someone else answers at this address now: forget the address, keep the node.
                log(.debug, "PONG contains mismatching sender ID. About node \(linkNode.name) added \(now - linkNode.createTime) ms ago, having flags \(linkNode.flags.rawValue)")
                linkNode.flags.insert(.noAddress)
                linkNode.ip = ""
                linkNode.port = 0
                linkNode.plaintextPort = 0
                linkNode.busPort = 0
                freeLink(link, emitClose: true)
                todoSave = true
                todoRouting = true
                return
            }
        }

        // NOFAILOVER is dynamic: the sender's latest word counts (replica ranking needs it).
        if let sender {
            let bit = NodeFlags.noFailover.rawValue
            sender.flags = NodeFlags(rawValue: (sender.flags.rawValue & ~bit) | (hdr.flags.rawValue & bit))
        }

        if let sender, type == .ping, !sender.inHandshake, updateAddressIfNeeded(sender, link: link, header: hdr) {
            todoSave = true
            todoUpdateState = true
        }

        if !link.inbound, type == .pong, let node = link.node {
            node.pongReceived = now
            node.pingSent = 0
            // PFAIL reverts by itself; FAIL only under clearNodeFailureIfNeeded's conditions.
            if node.timedOut {
                node.flags.remove(.possiblyFailed)
                todoSave = true
                todoUpdateState = true
            } else if node.failed {
                clearNodeFailureIfNeeded(node, now: now)
            }
        }

        guard let sender else { return }

        // Role switch: replica -> master or master -> replica.
        if let masterName = hdr.replicaOf {
            let master = nodes[masterName]
            if !sender.isMaster && !sender.isReplica {
                // A record with no role yet (a nodes.conf placeholder): it is a replica.
                sender.flags.insert(.replica)
                todoSave = true
            }
            if sender.isMaster {
                deleteNodeSlots(sender)
                sender.flags.remove([.master, .migrateTo])
                sender.flags.insert(.replica)
                todoSave = true
                todoUpdateState = true
                todoRouting = true
            }
            if let master, sender.replicaOf !== master, master !== sender {
                if let old = sender.replicaOf { removeReplica(sender, from: old) }
                addReplica(sender, to: master)
                sender.replicaOf = master
                todoSave = true
                todoRouting = true
            }
        } else {
            setNodeAsMaster(sender)
        }

        // Slots: only worth a scan when the claim differs from what we have for the sender's shard.
        var dirtySlots = false
        if let senderMaster = sender.isMaster ? sender : sender.replicaOf {
            dirtySlots = senderMaster.slots != hdr.slots
        }
        if sender.isMaster && dirtySlots {
            updateSlotsConfig(with: sender, configEpoch: senderConfigEpoch, slots: hdr.slots, now: now)
        }
        // The reverse: the sender claims slots we know a newer owner of (a master back from a
        // partition). Tell it with an UPDATE; one is enough, the rest follow on later pings.
        if dirtySlots {
            let stale = hdr.slots.firstSlot { slot in
                guard let owner = slotOwner[slot], owner !== sender else { return false }
                return owner.configEpoch > senderConfigEpoch
            }
            if let stale, let owner = slotOwner[stale] {
                log(.verbose, "Node \(sender.name) has old slots configuration, sending an UPDATE message about \(owner.name)")
                sendUpdate(on: sender.link, about: owner, now: now)
            }
        }

        if myself.isMaster && sender.isMaster && senderConfigEpoch == myself.configEpoch {
            handleConfigEpochCollision(sender, now: now)
        }

        processGossipSection(message, sender: sender, now: now)
        if case .gossip(_, let extensions) = message.body {
            processPingExtensions(extensions, sender: sender, now: now)
        }
    }

    /// nodeUpdateAddressIfNeeded: a peer that PINGs us from a new address (its announced one, or
    /// the connection's when it announces none) moved; reconnect to the new one.
    func updateAddressIfNeeded(_ node: ClusterNode, link: ClusterLink, header: MessageHeader) -> Bool {
        if node === myself || link === node.link { return false }
        let ip = header.ip.isEmpty ? link.peerIP : header.ip
        if ip.isEmpty { return false }
        if node.port == Int(header.port) && node.busPort == Int(header.busPort)
            && node.plaintextPort == Int(header.plaintextPort) && node.ip == ip
        {
            return false
        }
        node.ip = ip
        node.port = Int(header.port)
        node.plaintextPort = Int(header.plaintextPort)
        node.busPort = Int(header.busPort)
        if let l = node.link { freeLink(l, emitClose: true) }
        node.flags.remove(.noAddress)
        log(.warning, "Address updated for node \(node.name), now \(node.ip):\(node.port)")
        todoRouting = true
        return true
    }
}
