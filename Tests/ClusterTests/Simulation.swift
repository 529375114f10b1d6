@testable import Cluster

/// An in-process network of `ClusterState` nodes with simulated time: an event queue, links as
/// pairs of IDs, per-direction FIFO delivery with random delay, message loss, partitions, and
/// node crashes / restarts from the node's own saved nodes.conf. Messages travel as value copies.
final class Simulation {
    struct Endpoint: Hashable {
        var node: Int
        var link: LinkID
    }

    enum Event {
        case tick(node: Int, generation: Int)
        case deliver(to: Endpoint, ClusterMessage, generation: Int)
        case connectResult(from: Endpoint, toNode: Int, generation: Int, peerGeneration: Int)
        case closed(Endpoint, generation: Int)
    }

    struct Scheduled {
        var time: Int64
        var seq: Int
        var event: Event
    }

    final class SimNode {
        let index: Int
        let ip: String
        var settings: ClusterSettings
        var state: ClusterState?
        var savedConfig: String?
        /// Bumped at each crash so events for the previous incarnation are discarded.
        var generation = 0
        var logs: [String] = []
        init(index: Int, ip: String, settings: ClusterSettings) {
            self.index = index
            self.ip = ip
            self.settings = settings
        }
    }

    var now: Int64
    var nodes: [SimNode] = []
    var queue: [Scheduled] = []  // binary min-heap on (time, seq)
    var seq = 0
    var rng: SplitMix64
    /// Connection peers in both directions.
    var peer: [Endpoint: Endpoint] = [:]
    /// When the last message in each direction is delivered (TCP keeps order).
    var lastDelivery: [Endpoint: Int64] = [:]
    var lossRate = 0.0
    var minDelay: Int64 = 1
    var maxDelay: Int64 = 5
    /// Partition group of each node; nodes in different groups cannot talk.
    var group: [Int] = []
    var messagesSent = 0
    var messagesDropped = 0
    var keepLogs = false
    var routingRebuilds = 0
    /// Build the routing table on every `.routingChanged`, as the shell does.
    var rebuildRouting = true
    /// Called after every event with the simulation (invariant checks).
    var afterEvent: ((Simulation) -> Void)?

    init(count: Int, nodeTimeout: Int64 = 5000, seed: UInt64 = 1, start: Int64 = 1_700_000_000_000) {
        now = start
        rng = SplitMix64(seed: seed)
        for i in 0..<count {
            var settings = ClusterSettings(port: 7000, busPort: 17000)
            settings.nodeTimeout = nodeTimeout
            let node = SimNode(index: i, ip: "10.0.\(i / 250).\(i % 250 + 1)", settings: settings)
            node.state = ClusterState(settings: settings, now: now, seed: seed &* 1000 &+ UInt64(i))
            node.savedConfig = node.state!.nodesConfig()
            nodes.append(node)
            group.append(0)
            schedule(at: now + Int64(rng.next() % 100), .tick(node: i, generation: 0))
        }
    }

    // MARK: queue

    func schedule(at time: Int64, _ event: Event) {
        seq += 1
        queue.append(Scheduled(time: time, seq: seq, event: event))
        var i = queue.count - 1
        while i > 0 {
            let parent = (i - 1) / 2
            if less(queue[i], queue[parent]) {
                queue.swapAt(i, parent)
                i = parent
            } else {
                break
            }
        }
    }

    private func less(_ a: Scheduled, _ b: Scheduled) -> Bool {
        a.time < b.time || (a.time == b.time && a.seq < b.seq)
    }

    private func pop() -> Scheduled? {
        guard !queue.isEmpty else { return nil }
        queue.swapAt(0, queue.count - 1)
        let top = queue.removeLast()
        var i = 0
        while true {
            let l = 2 * i + 1, r = l + 1
            var m = i
            if l < queue.count && less(queue[l], queue[m]) { m = l }
            if r < queue.count && less(queue[r], queue[m]) { m = r }
            if m == i { break }
            queue.swapAt(i, m)
            i = m
        }
        return top
    }

    func delay() -> Int64 {
        minDelay + Int64(rng.next() % UInt64(maxDelay - minDelay + 1))
    }

    func chance(_ p: Double) -> Bool {
        p > 0 && Double(rng.next() % 1_000_000) / 1_000_000 < p
    }

    // MARK: running

    func run(for duration: Int64) {
        run(until: now + duration)
    }

    func run(until end: Int64) {
        while let top = queue.first, top.time <= end {
            _ = pop()
            now = top.time
            handle(top.event)
            afterEvent?(self)
        }
        now = end
    }

    /// Runs until `condition` holds (checked every simulated 100 ms); returns the time it took,
    /// or nil if `limit` passed first.
    func run(upTo limit: Int64, until condition: (Simulation) -> Bool) -> Int64? {
        let start = now
        while now - start < limit {
            if condition(self) { return now - start }
            run(for: 100)
        }
        return condition(self) ? now - start : nil
    }

    private func handle(_ event: Event) {
        switch event {
        case .tick(let i, let generation):
            let node = nodes[i]
            guard generation == node.generation, let state = node.state else { return }
            apply(state.tick(now: now), from: i)
            schedule(at: now + 100, .tick(node: i, generation: generation))
        case .deliver(let to, let message, let generation):
            let node = nodes[to.node]
            guard generation == node.generation, let state = node.state, peer[to] != nil else { return }
            apply(state.receive(message, on: to.link, now: now), from: to.node)
        case .connectResult(let from, let toNode, let generation, let peerGeneration):
            let a = nodes[from.node]
            guard generation == a.generation, let stateA = a.state else { return }
            let b = nodes[toNode]
            if peerGeneration == b.generation, let stateB = b.state, group[from.node] == group[toNode] {
                let inbound = stateB.inboundAccepted(peerIP: a.ip, localIP: b.ip, now: now)
                let there = Endpoint(node: toNode, link: inbound)
                peer[from] = there
                peer[there] = from
                apply(stateA.outboundConnected(from.link, localIP: a.ip, now: now), from: from.node)
            } else {
                apply(stateA.linkClosed(from.link, now: now), from: from.node)
            }
        case .closed(let endpoint, let generation):
            let node = nodes[endpoint.node]
            guard generation == node.generation, let state = node.state else { return }
            apply(state.linkClosed(endpoint.link, now: now), from: endpoint.node)
        }
    }

    func apply(_ effects: [ClusterEffect], from i: Int) {
        let node = nodes[i]
        for effect in effects {
            switch effect {
            case .connect(let link, let ip, let busPort):
                let from = Endpoint(node: i, link: link)
                if let target = nodes.firstIndex(where: { $0.ip == ip && $0.settings.busPort == busPort }) {
                    schedule(at: now + delay(), .connectResult(from: from, toNode: target,
                        generation: node.generation, peerGeneration: nodes[target].generation))
                } else {
                    schedule(at: now + delay(), .closed(from, generation: node.generation))
                }
            case .send(let link, let message):
                messagesSent += 1
                let from = Endpoint(node: i, link: link)
                guard let to = peer[from] else { continue }
                if group[i] != group[to.node] || chance(lossRate) {
                    messagesDropped += 1
                    continue
                }
                let at = max(now + delay(), lastDelivery[from] ?? 0)
                lastDelivery[from] = at
                schedule(at: at, .deliver(to: to, message, generation: nodes[to.node].generation))
            case .close(let link):
                let from = Endpoint(node: i, link: link)
                if let to = peer[from] {
                    peer[from] = nil
                    peer[to] = nil
                    schedule(at: now + delay(), .closed(to, generation: nodes[to.node].generation))
                }
            case .saveConfig:
                node.savedConfig = node.state!.nodesConfig()
            case .routingChanged:
                routingRebuilds += 1
                if rebuildRouting { _ = node.state!.routingTable() }
            case .log(let level, let text):
                if keepLogs || level == .warning { node.logs.append("\(now) \(text)") }
            }
        }
    }

    // MARK: faults

    /// The process dies: its connections drop (peers see them close).
    func crash(_ i: Int) {
        let node = nodes[i]
        node.state = nil
        node.generation += 1
        for (from, to) in peer where from.node == i {
            peer[from] = nil
            peer[to] = nil
            schedule(at: now + delay(), .closed(to, generation: nodes[to.node].generation))
        }
    }

    /// Starts again from the nodes.conf it last saved.
    func restart(_ i: Int) throws {
        let node = nodes[i]
        node.state = try ClusterState(
            nodesConfig: node.savedConfig!, settings: node.settings, now: now,
            seed: rng.next())
        schedule(at: now + 100, .tick(node: i, generation: node.generation))
    }

    /// Nodes in `minority` can only talk among themselves; established links stay up but carry
    /// nothing across (as with a network partition under TCP).
    func partition(_ minority: [Int]) {
        for i in 0..<nodes.count { group[i] = minority.contains(i) ? 1 : 0 }
    }

    func heal() {
        for i in 0..<nodes.count { group[i] = 0 }
    }

    // MARK: cluster set-up and inspection

    var states: [ClusterState] { nodes.compactMap { $0.state } }

    /// What `redis-cli --cluster create --cluster-replicas` does after the join: each node past
    /// the masters replicates master `i % masters`.
    func attachReplicas(masters: Int) throws {
        for i in masters..<nodes.count {
            let master = nodes[i % masters].state!.myName.text
            apply(try nodes[i].state!.replicate(master, nodeHasKeys: false, now: now), from: i)
        }
    }

    /// What `redis-cli --cluster create` does: slots spread evenly over the masters, distinct
    /// config epochs for all, then every node MEETs the first.
    func createCluster(masters: Int? = nil) throws {
        let masterCount = masters ?? nodes.count
        for i in 0..<masterCount {
            let first = SlotBitmap.slotCount * i / masterCount
            let last = SlotBitmap.slotCount * (i + 1) / masterCount - 1
            apply(try nodes[i].state!.addSlots(Array(first...last), now: now), from: i)
        }
        for i in 0..<nodes.count {
            apply(try nodes[i].state!.setConfigEpoch(Int64(i + 1), now: now), from: i)
        }
        for i in 1..<nodes.count {
            apply(try nodes[i].state!.meet(ip: nodes[0].ip, port: 7000, busPort: 17000, now: now), from: i)
        }
    }

    /// redis-cli's wait for the join: while the views differ, once a second, MEET node 0 again
    /// from every node it does not know yet (a MEET is sent once; if it is lost the handshake
    /// dies, and redis-cli's clusterManagerWaitForClusterJoin re-sends CLUSTER MEET).
    func waitForJoin(upTo limit: Int64, retryAfter: Int64 = 3_000) throws -> Int64? {
        let start = now
        while now - start < limit {
            if converged() { return now - start }
            run(for: 1_000)
            if now - start >= retryAfter {
                let first = nodes[0].state!
                for i in 1..<nodes.count {
                    guard let state = nodes[i].state,
                        first.nodes[state.myName] == nil || state.nodes[first.myName] == nil
                    else { continue }
                    apply(try state.meet(ip: nodes[0].ip, port: 7000, busPort: 17000, now: now), from: i)
                }
            }
        }
        return converged() ? now - start : nil
    }

    /// Every live node knows every live node (none in handshake) and agrees on each slot's owner.
    func converged(_ indices: [Int]? = nil) -> Bool {
        let live = (indices ?? Array(0..<nodes.count)).filter { nodes[$0].state != nil }
        guard let first = live.first else { return true }
        for i in live {
            let state = nodes[i].state!
            if state.nodes.count != nodes.count { return false }
            if state.nodeOrder.contains(where: { $0.inHandshake }) { return false }
        }
        let reference = view(of: nodes[first].state!)
        for i in live where view(of: nodes[i].state!) != reference { return false }
        return true
    }

    struct View: Equatable {
        var members: Set<NodeName>
        var owners: [NodeName: [UInt64]]
        var masters: [NodeName: NodeName]
        var failed: Set<NodeName>
    }

    /// The member list, each owner's slot bitmap, who replicates whom and who is FAIL, as one
    /// comparable value.
    func view(of state: ClusterState) -> View {
        var owners: [NodeName: [UInt64]] = [:]
        var masters: [NodeName: NodeName] = [:]
        var failed: Set<NodeName> = []
        for node in state.nodeOrder {
            if node.slotCount > 0 { owners[node.name] = node.slots.words }
            if node.isReplica, let master = node.replicaOf { masters[node.name] = master.name }
            if node.failed { failed.insert(node.name) }
        }
        return View(members: Set(state.nodes.keys), owners: owners, masters: masters, failed: failed)
    }

    func allOK(_ indices: [Int]? = nil) -> Bool {
        (indices ?? Array(0..<nodes.count)).allSatisfy { nodes[$0].state.map { $0.health == .ok } ?? true }
    }

    /// No two masters claim one slot for themselves with the same configEpoch.
    func slotClaimConflict() -> String? {
        var byEpoch: [UInt64: [ClusterNode]] = [:]
        var collision = false
        for node in nodes {
            guard let me = node.state?.myself, me.isMaster, me.slotCount > 0 else { continue }
            if byEpoch[me.configEpoch] != nil { collision = true }
            byEpoch[me.configEpoch, default: []].append(me)
        }
        if !collision { return nil }
        for (epoch, claimants) in byEpoch where claimants.count > 1 {
            for a in 0..<claimants.count {
                for b in (a + 1)..<claimants.count {
                    let x = claimants[a].slots.words, y = claimants[b].slots.words
                    for w in 0..<x.count where x[w] & y[w] != 0 {
                        return "a slot claimed by \(claimants[a].name) and \(claimants[b].name) with epoch \(epoch)"
                    }
                }
            }
        }
        return nil
    }
}
