/// A seedable generator (SplitMix64) so plans that use randomness are reproducible in tests.
public struct SplitMix64: RandomNumberGenerator, Sendable {
    private var state: UInt64
    public init(seed: UInt64) { state = seed }
    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// The layout `create` gives a set of empty nodes, redis-cli's algorithm:
/// nodes are interleaved by host (one per host in turn) so masters spread over hosts; the first
/// `nodes / (replicas + 1)` become masters with equal contiguous slot ranges; replicas go to masters
/// preferring a different host, extra nodes are spread one per master, and random swaps then lower
/// the anti-affinity score (replica on its master's host: 10000; replicas of one master sharing a
/// host: 1 each).
public struct CreateAllocation: Sendable, Equatable {
    /// Indices into the input, masters in slot order.
    public var masters: [Int]
    /// One slot range per master, same order as `masters`.
    public var slotRanges: [ClosedRange<Int>]
    /// replica index -> master index (both into the input).
    public var replicaOf: [Int: Int]
    public var antiAffinityScore: Int

    public struct InvalidConfiguration: Error, CustomStringConvertible, Sendable {
        public var description: String
    }

    public static func mastersCount(nodes: Int, replicas: Int) -> Int { nodes / (replicas + 1) }

    public static func plan<R: RandomNumberGenerator>(
        hosts: [String], replicas: Int, using rng: inout R
    ) throws -> CreateAllocation {
        let n = hosts.count
        let mastersCount = mastersCount(nodes: n, replicas: replicas)
        guard replicas >= 0, mastersCount >= 3 else {
            throw InvalidConfiguration(description: """
                *** ERROR: Invalid configuration for cluster creation.
                *** Redis Cluster requires at least 3 master nodes.
                *** This is not possible with \(n) nodes and \(replicas) replicas per node.
                *** At least \(3 * (max(replicas, 0) + 1)) nodes are required.
                """)
        }
        // Group by host in order of first appearance, then interleave.
        var hostOrder: [String] = []
        var byHost: [String: [Int]] = [:]
        for (i, h) in hosts.enumerated() {
            if byHost[h] == nil { hostOrder.append(h) }
            byHost[h, default: []].append(i)
        }
        var queues = hostOrder.map { byHost[$0]! }
        var interleaved: [Int] = []
        while interleaved.count < n {
            for q in queues.indices where !queues[q].isEmpty {
                interleaved.append(queues[q].removeFirst())
            }
        }
        let masters = Array(interleaved.prefix(mastersCount))
        var rest: [Int?] = interleaved.dropFirst(mastersCount).map { Optional($0) }

        // Slots: redis-cli computes with single-precision floats and lround.
        let slotsPerNode = Float(clusterSlots) / Float(mastersCount)
        var first = 0
        var cursor: Float = 0
        var ranges: [ClosedRange<Int>] = []
        for i in 0..<mastersCount {
            var last = Int((cursor + slotsPerNode - 1).rounded(.toNearestOrAwayFromZero))
            if last > clusterSlots || i == mastersCount - 1 { last = clusterSlots - 1 }
            if last < first { last = first }
            ranges.append(first...last)
            first = last + 1
            cursor += slotsPerNode
        }

        var replicaOf: [Int: Int] = [:]
        var available = rest.count
        var assignUnused = false
        while true {
            for m in masters {
                var assigned = 0
                while assigned < replicas {
                    if available == 0 { break }
                    var pick: Int?
                    if let j = rest.firstIndex(where: { $0 != nil && hosts[$0!] != hosts[m] }) {
                        pick = j
                    } else if let j = rest.firstIndex(where: { $0 != nil }) {
                        pick = j
                    }
                    guard let j = pick else { break }
                    replicaOf[rest[j]!] = m
                    rest[j] = nil
                    assigned += 1
                    available -= 1
                    if assignUnused { break }
                }
            }
            if !assignUnused && available > 0 {
                assignUnused = true
                continue
            }
            break
        }

        var alloc = CreateAllocation(masters: masters, slotRanges: ranges, replicaOf: replicaOf,
                                     antiAffinityScore: 0)
        alloc.optimizeAntiAffinity(hosts: hosts, using: &rng)
        return alloc
    }

    /// The anti-affinity score and one offending replica per offending group.
    public static func antiAffinity(hosts: [String], replicaOf: [Int: Int]) -> (score: Int, offenders: [Int]) {
        // (host, master) -> [members]; a master counts in its own group.
        struct Key: Hashable { var host: String; var master: Int }
        var groups: [Key: (hasMaster: Bool, replicas: [Int])] = [:]
        let masters = Set(replicaOf.values)
        for m in masters {
            groups[Key(host: hosts[m], master: m), default: (false, [])].hasMaster = true
        }
        for (r, m) in replicaOf.sorted(by: { $0.key < $1.key }) {
            groups[Key(host: hosts[r], master: m), default: (false, [])].replicas.append(r)
        }
        var score = 0
        var offenders: [Int] = []
        for key in groups.keys.sorted(by: { ($0.host, $0.master) < ($1.host, $1.master) }) {
            let g = groups[key]!
            let members = g.replicas.count + (g.hasMaster ? 1 : 0)
            guard members >= 2 else { continue }
            score += g.hasMaster ? 10000 * g.replicas.count : g.replicas.count
            offenders.append(g.replicas[0])
        }
        return (score, offenders)
    }

    mutating func optimizeAntiAffinity<R: RandomNumberGenerator>(hosts: [String], using rng: inout R) {
        var (score, _) = Self.antiAffinity(hosts: hosts, replicaOf: replicaOf)
        var maxIter = 500 * hosts.count
        let replicas = replicaOf.keys.sorted()
        while score > 0 && maxIter > 0 {
            maxIter -= 1
            let (s, offenders) = Self.antiAffinity(hosts: hosts, replicaOf: replicaOf)
            score = s
            if score == 0 || offenders.isEmpty { break }
            let first = offenders[Int.random(in: 0..<offenders.count, using: &rng)]
            let others = replicas.filter { $0 != first }
            if others.isEmpty { break }
            let second = others[Int.random(in: 0..<others.count, using: &rng)]
            let (m1, m2) = (replicaOf[first]!, replicaOf[second]!)
            replicaOf[first] = m2
            replicaOf[second] = m1
            let newScore = Self.antiAffinity(hosts: hosts, replicaOf: replicaOf).score
            if newScore > score {
                replicaOf[first] = m1
                replicaOf[second] = m2
            } else {
                score = newScore
            }
        }
        antiAffinityScore = Self.antiAffinity(hosts: hosts, replicaOf: replicaOf).score
    }
}
