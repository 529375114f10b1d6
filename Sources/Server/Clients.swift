import Persistence
import Commands
import NIOConcurrencyHelpers
import NIOCore

/// State owned by one event loop: its counters (summed by INFO) and its connections.
final class LoopState: @unchecked Sendable {
    let eventLoop: EventLoop
    let stats = CommandStats()
    var netInputBytes = 0
    var netOutputBytes = 0
    /// Cluster mode: who serves which slot, as this loop last heard.
    let routing: LoopRouting
    /// The AOF this loop flushes at the end of each batch, before replies go out; only this
    /// loop's thread reads or sets it.
    var aof: AOFWriter?

    init(eventLoop: EventLoop, publisher: RoutingPublisher) {
        self.eventLoop = eventLoop
        self.routing = LoopRouting(publisher: publisher)
    }


    func resetStats() {
        stats.reset()
        netInputBytes = 0
        netOutputBytes = 0
    }
}

/// What CLIENT LIST / INFO / KILL know about a connection. Written by the connection's own loop,
/// read by whichever loop runs CLIENT LIST (a word-sized field may be slightly stale, never torn).
final class ClientInfo: @unchecked Sendable {
    let id: Int
    let address: String
    let localAddress: String
    let fd: Int32
    let createdAt: Int64
    var lastInteraction: Int64
    var name: String = ""
    var db: Int = 0
    /// Positions in the command table of the last command run (and its subcommand, or -1).
    var lastCommand: Int = -1
    var lastSubcommand: Int = -1
    var queryBufferLength = 0
    var protocolVersion = 2
    var noEvict = false
    var blocked = false
    weak var connection: Connection?

    init(id: Int, address: String, localAddress: String, fd: Int32, now: Int64) {
        self.id = id
        self.address = address
        self.localAddress = localAddress
        self.fd = fd
        self.createdAt = now
        self.lastInteraction = now
    }

    /// One line in Redis 7.0's CLIENT LIST format.
    func describe(now: Int64, commandName: String? = nil) -> String {
        let age = (now - createdAt) / 1000
        let idle = (now - lastInteraction) / 1000
        let flags = (blocked ? "b" : "") + (noEvict ? "e" : "") + (blocked || noEvict ? "" : "N")
        let cmd = commandName ?? "NULL"
        return "id=\(id) addr=\(address) laddr=\(localAddress) fd=\(fd) name=\(name) age=\(age) idle=\(idle) "
            + "flags=\(flags) db=\(db) sub=0 psub=0 ssub=0 multi=-1 qbuf=\(queryBufferLength) qbuf-free=0 "
            + "argv-mem=0 multi-mem=0 rbs=16384 rbp=0 obl=0 oll=0 omem=0 tot-mem=0 events=r "
            + "cmd=\(cmd) user=default redir=-1 resp=\(protocolVersion)"
    }
}

/// Every connected client, for CLIENT LIST / KILL, INFO clients, maxclients and idle timeouts.
final class ClientRegistry: @unchecked Sendable {
    private let lock = NIOLock()
    private var clients: [Int: ClientInfo] = [:]
    private var nextID = 1
    private(set) var totalConnectionsReceived = 0
    private(set) var rejectedConnections = 0

    func makeID() -> Int {
        lock.withLock {
            defer { nextID += 1 }
            return nextID
        }
    }

    var count: Int { lock.withLock { clients.count } }

    func add(_ info: ClientInfo) {
        lock.withLock {
            clients[info.id] = info
            totalConnectionsReceived += 1
        }
    }

    func remove(_ info: ClientInfo) {
        lock.withLock { _ = clients.removeValue(forKey: info.id) }
    }

    func noteRejected() { lock.withLock { rejectedConnections += 1 } }

    func resetStats() {
        lock.withLock {
            totalConnectionsReceived = 0
            rejectedConnections = 0
        }
    }

    /// All clients, oldest first.
    var all: [ClientInfo] { lock.withLock { clients.values.sorted { $0.id < $1.id } } }

    func client(id: Int) -> ClientInfo? { lock.withLock { clients[id] } }
}
