/// The 100 ms cron (clusterCron) and the cluster state computation (clusterUpdateState).
extension ClusterState {
    /// CLUSTER_WRITABLE_DELAY: a master restarting waits this long before declaring the cluster
    /// ok, so the cluster can reconfigure it first.
    static let writableDelay: Int64 = 2000
    static let minRejoinDelay: Int64 = 500
    static let maxRejoinDelay: Int64 = 5000

    /// The 100 ms cluster cron.
    public func tick(now: Int64) -> [ClusterEffect] {
        iteration += 1
        let timeout = settings.nodeTimeout
        let handshakeTimeout = max(timeout, 1000)

        // Links and handshakes (clusterNodeCronHandleReconnect).
        pfailNodeCount = 0
        for node in nodeOrder {
            if node.isMyself || !node.hasAddress { continue }
            if node.timedOut { pfailNodeCount += 1 }
            if node.inHandshake && now - node.createTime > handshakeTimeout {
                deleteNode(node)
                continue
            }
            if node.link == nil && now >= node.nextConnectTime { connect(node, now: now) }
        }

        // About once a second, ping the node with the oldest pong among 5 random ones.
        if iteration % 10 == 0 {
            var best: ClusterNode?
            for _ in 0..<5 {
                let node = nodeOrder[randomInt(nodeOrder.count)]
                guard node.link != nil, node.pingSent == 0, !node.isMyself, !node.inHandshake else { continue }
                if best == nil || best!.pongReceived > node.pongReceived { best = node }
            }
            if let best, let link = best.link {
                sendPing(on: link, type: .ping, now: now)
            }
        }

        var stateMayChange = false
        for node in nodeOrder {
            if node.isMyself || !node.hasAddress || node.inHandshake { continue }
            let pingDelay = now - node.pingSent
            let dataDelay = now - node.dataReceived
            // A link that carried nothing for half the timeout while a ping waits may be stuck
            // even though the node lives: reconnect (once per timeout at most).
            if let link = node.link, now - link.createTime > timeout, node.pingSent != 0,
                pingDelay > timeout / 2, dataDelay > timeout / 2
            {
                freeLink(link, emitClose: true)
            }
            // Every node gets pinged at least every timeout/2.
            if let link = node.link, node.pingSent == 0, now - node.pongReceived > timeout / 2 {
                sendPing(on: link, type: .ping, now: now)
                continue
            }
            if node.pingSent == 0 { continue }
            // Any data proves liveness, not only PONGs.
            let delay = min(pingDelay, dataDelay)
            if delay > timeout && !node.unreachable {
                log(.debug, "*** NODE \(node.name) possibly failing")
                node.flags.insert(.possiblyFailed)
                stateMayChange = true
            }
        }

        if myself.isReplica { handleReplicaFailover(now: now) }
        if stateMayChange || health == .fail { updateState(now: now) }
        return finish(now: now)
    }

    /// clusterUpdateState: ok iff every slot is served by a non-FAIL node (when full coverage is
    /// required) and a majority of the slot-serving masters is reachable from here.
    func updateState(now: Int64) {
        todoUpdateState = false
        if firstUpdateStateTime == 0 { firstUpdateStateTime = now }
        if myself.isMaster && health == .fail && now - firstUpdateStateTime < Self.writableDelay { return }

        var newState = ClusterHealth.ok
        var reachableMasters = 0
        var newSize = 0
        var failedOwnerExists = false
        for node in nodeOrder where node.slotCount > 0 {
            if node.failed { failedOwnerExists = true }
            guard node.isMaster else { continue }
            newSize += 1
            if !node.unreachable { reachableMasters += 1 }
        }
        if settings.requireFullCoverage && (assignedSlotCount < SlotBitmap.slotCount || failedOwnerExists) {
            newState = .fail
        }
        size = newSize
        if reachableMasters < size / 2 + 1 {
            newState = .fail
            amongMinorityTime = now
        }

        guard newState != health else { return }
        // A master back from a minority partition waits a little before accepting writes, so an
        // UPDATE demoting it has a chance to arrive first.
        let rejoinDelay = min(max(settings.nodeTimeout, Self.minRejoinDelay), Self.maxRejoinDelay)
        if newState == .ok && myself.isMaster && now - amongMinorityTime < rejoinDelay { return }
        log(.warning, "Cluster state changed: \(newState == .ok ? "ok" : "fail")")
        health = newState
        todoRouting = true
    }
}
