import Testing
@testable import Cluster

@Suite struct SimulationTests {
    @Test func smallClusterForms() throws {
        let sim = Simulation(count: 3, nodeTimeout: 5000, seed: 7)
        try sim.createCluster()
        let took = sim.run(upTo: 30_000) { $0.converged() && $0.allOK() }
        #expect(took != nil)
    }

    @Test func fiftyNodesConverge() throws {
        let clock = ContinuousClock()
        let start = clock.now
        let sim = Simulation(count: 50, nodeTimeout: 5000, seed: 11)
        try sim.createCluster()
        let took = sim.run(upTo: 120_000) { $0.converged() && $0.allOK() }
        print("50 nodes: converged after \(took.map { String($0) } ?? "never") ms simulated, \(sim.messagesSent) messages, wall \(clock.now - start)")
        #expect(took != nil)
    }
}
