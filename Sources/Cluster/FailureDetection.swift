/// Failure reports and the PFAIL -> FAIL -> cleared life cycle.
extension ClusterState {
    /// CLUSTER_FAIL_REPORT_VALIDITY_MULT: reports older than node_timeout * 2 are void.
    static let failReportValidityMultiplier: Int64 = 2
    /// CLUSTER_FAIL_UNDO_TIME_MULT.
    static let failUndoTimeMultiplier: Int64 = 2

    /// clusterNodeAddFailureReport: true when `reporter` had no report on `node` yet.
    func addFailureReport(_ node: ClusterNode, reporter: ClusterNode, now: Int64) -> Bool {
        if let i = node.failureReports.firstIndex(where: { $0.reporter == reporter.name }) {
            node.failureReports[i].time = now
            return false
        }
        node.failureReports.append(FailureReport(reporter: reporter.name, time: now))
        return true
    }

    func cleanupFailureReports(_ node: ClusterNode, now: Int64) {
        let maxAge = settings.nodeTimeout * Self.failReportValidityMultiplier
        node.failureReports.removeAll { now - $0.time > maxAge }
    }

    /// clusterNodeDelFailureReport.
    func deleteFailureReport(_ node: ClusterNode, reporter: ClusterNode, now: Int64) -> Bool {
        cleanupFailureReports(node, now: now)
        guard let i = node.failureReports.firstIndex(where: { $0.reporter == reporter.name }) else { return false }
        node.failureReports.remove(at: i)
        return true
    }

    /// clusterNodeFailureReportsCount.
    func failureReportCount(_ node: ClusterNode, now: Int64) -> Int {
        cleanupFailureReports(node, now: now)
        return node.failureReports.count
    }

    /// markNodeAsFailingIfNeeded: PFAIL becomes FAIL once a majority of the slot-serving masters
    /// (myself included when I am a master) reported it within the validity window; the FAIL is
    /// then broadcast so every reachable node agrees at once.
    func markNodeAsFailingIfNeeded(_ node: ClusterNode, now: Int64) {
        let quorum = size / 2 + 1
        guard node.timedOut, !node.failed else { return }
        var failures = failureReportCount(node, now: now)
        if myself.isMaster { failures += 1 }
        guard failures >= quorum else { return }
        log(.notice, "Marking node \(node.name) as failing (quorum reached).")
        node.flags.remove(.possiblyFailed)
        node.flags.insert(.failed)
        node.failTime = now
        // Replicas broadcast too: they only relay what the masters' reports established.
        sendFail(about: node.name)
        todoUpdateState = true
        todoSave = true
    }

    /// clearNodeFailureIfNeeded: a reachable replica or slotless master is cleared at once; a
    /// master with slots only after node_timeout * 2 with nobody having taken its slots.
    func clearNodeFailureIfNeeded(_ node: ClusterNode, now: Int64) {
        guard node.failed else { return }
        if node.isReplica || node.slotCount == 0 {
            log(.notice, "Clear FAIL state for node \(node.name): \(node.isReplica ? "replica" : "master without slots") is reachable again.")
            node.flags.remove(.failed)
            todoUpdateState = true
            todoSave = true
        }
        if node.isMaster && node.slotCount > 0
            && now - node.failTime > settings.nodeTimeout * Self.failUndoTimeMultiplier
        {
            log(.notice, "Clear FAIL state for node \(node.name): is reachable again and nobody is serving its slots after some time.")
            node.flags.remove(.failed)
            todoUpdateState = true
            todoSave = true
        }
    }
}
