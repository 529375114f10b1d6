/// Failover: a master's vote (clusterSendFailoverAuthIfNeeded) and a replica's election
/// (clusterHandleSlaveFailover, clusterFailoverReplaceYourMaster). Manual failover (MFSTART,
/// CLUSTER FAILOVER) is not implemented; replication data age is not modelled (see below).
extension ClusterState {
    /// Vote for `node` (a replica asking to replace its FAILed master) if the rules allow:
    /// I serve slots, the request is for my current epoch and I have not voted in it, its master
    /// is FAIL (unless FORCEACK), I did not vote for this master within node_timeout * 2, and no
    /// slot it claims is owned here by a master with a newer configEpoch.
    func sendFailoverAuthIfNeeded(to node: ClusterNode, request: MessageHeader, now: Int64) {
        let master = node.replicaOf
        let forceAck = request.messageFlags.contains(.forceAck)
        if myself.isReplica || myself.slotCount == 0 { return }
        if request.currentEpoch < epoch {
            log(.warning, "Failover auth denied to \(node.name): reqEpoch (\(request.currentEpoch)) < curEpoch(\(epoch))")
            return
        }
        if lastVoteEpoch == epoch {
            log(.warning, "Failover auth denied to \(node.name): already voted for epoch \(epoch)")
            return
        }
        if node.isMaster || master == nil || (!master!.failed && !forceAck) {
            if node.isMaster {
                log(.warning, "Failover auth denied to \(node.name): it is a master node")
            } else if master == nil {
                log(.warning, "Failover auth denied to \(node.name): I don't know its master")
            } else {
                log(.warning, "Failover auth denied to \(node.name): its master is up")
            }
            return
        }
        let master2 = master!
        if now - master2.votedTime < settings.nodeTimeout * 2 {
            log(.warning, "Failover auth denied to \(node.name): can't vote about this master before \(settings.nodeTimeout * 2 - (now - master2.votedTime)) milliseconds")
            return
        }
        let newer = request.slots.firstSlot { slot in
            guard let owner = slotOwner[slot] else { return false }
            return owner.configEpoch > request.configEpoch
        }
        if let slot = newer, let owner = slotOwner[slot] {
            log(.warning, "Failover auth denied to \(node.name): slot \(slot) epoch (\(owner.configEpoch)) > reqEpoch (\(request.configEpoch))")
            return
        }
        lastVoteEpoch = epoch
        master2.votedTime = now
        todoSave = true
        // The ACK goes on our own link to the replica (clusterSendFailoverAuth).
        send(ClusterMessage(header: header(.failoverAuthAck), body: .none), on: node.link)
        log(.warning, "Failover auth granted to \(node.name) for epoch \(epoch)")
    }

    /// clusterGetSlaveRank: how many replicas of my master have a better replication offset.
    func replicaRank() -> Int {
        guard let master = myself.replicaOf else { return 0 }
        let mine = myself.replicationOffset
        return master.replicas.filter { $0 !== myself && !$0.flags.contains(.noFailover) && $0.replicationOffset > mine }.count
    }

    /// clusterHandleSlaveFailover. The election starts 500 ms + random(0..500) ms + 1 s per rank
    /// after the master is seen FAIL, asks every master for a vote in a new epoch, and wins with
    /// a majority of the slot-serving masters within max(node_timeout * 2, 2 s); a lost election
    /// may be retried after twice that. Redis also refuses when the replication link has been
    /// down too long (cluster-replica-validity-factor): replication is not modelled yet, so the
    /// data is always taken as fresh.
    func handleReplicaFailover(now: Int64) {
        todoHandleFailover = false
        let authAge = now - failoverAuthTime
        let quorum = size / 2 + 1
        let authTimeout = max(settings.nodeTimeout * 2, 2000)
        let authRetryTime = authTimeout * 2
        guard let master = myself.replicaOf, myself.isReplica, master.failed, !settings.replicaNoFailover,
            master.slotCount > 0
        else {
            cantFailoverReason = 0
            return
        }
        if authAge > authRetryTime {
            failoverAuthTime = now + 500 + Int64(randomInt(500))
            failoverAuthCount = 0
            failoverAuthSent = false
            failoverAuthRank = replicaRank()
            failoverAuthTime += Int64(failoverAuthRank) * 1000
            log(.warning, "Start of election delayed for \(failoverAuthTime - now) milliseconds (rank #\(failoverAuthRank), offset \(myself.replicationOffset)).")
            // Let the other replicas compare offsets with ours before they pick their delay.
            broadcastPong(localReplicasOnly: true, now: now)
            return
        }
        if !failoverAuthSent {
            let newRank = replicaRank()
            if newRank > failoverAuthRank {
                let added = Int64(newRank - failoverAuthRank) * 1000
                failoverAuthTime += added
                failoverAuthRank = newRank
                log(.warning, "Replica rank updated to #\(newRank), added \(added) milliseconds of delay.")
            }
        }
        if now < failoverAuthTime {
            logCantFailover(2, "Waiting the delay before I can start a new failover.", now: now)
            return
        }
        if authAge > authTimeout {
            logCantFailover(3, "Failover attempt expired.", now: now)
            return
        }
        if !failoverAuthSent {
            epoch += 1
            failoverAuthEpoch = epoch
            log(.warning, "Starting a failover election for epoch \(epoch).")
            broadcast(ClusterMessage(header: header(.failoverAuthRequest), body: .none))
            failoverAuthSent = true
            todoSave = true
            todoUpdateState = true
            return
        }
        if failoverAuthCount >= quorum {
            log(.warning, "Failover election won: I'm the new master.")
            if myself.configEpoch < failoverAuthEpoch {
                myself.configEpoch = failoverAuthEpoch
                log(.warning, "configEpoch set to \(myself.configEpoch) after successful failover")
            }
            replaceMyMaster(now: now)
        } else {
            logCantFailover(4, "Waiting for votes, but majority still not reached.", now: now)
        }
    }

    /// clusterLogCantFailover: the same reason is logged at most every 10 s.
    func logCantFailover(_ reason: Int, _ text: String, now: Int64) {
        if reason == cantFailoverReason && now - lastCantFailoverLogTime < 10_000 { return }
        cantFailoverReason = reason
        lastCantFailoverLogTime = now
        log(.notice, "Currently unable to failover: \(text)")
    }

    /// clusterFailoverReplaceYourMaster: become master, take the old master's slots, tell everyone.
    func replaceMyMaster(now: Int64) {
        guard myself.isReplica, let old = myself.replicaOf else { return }
        setNodeAsMaster(myself)
        old.slots.forEachSlot { slot in
            deleteSlot(slot)
            addSlot(slot, to: myself)
        }
        updateState(now: now)
        todoSave = true
        broadcastPong(localReplicasOnly: false, now: now)
        resetFailoverState()
    }
}
