#if canImport(Glibc)
import Glibc
#endif
import Keyspace

/// INFO: Redis's sections and field names, filled with what this node really measures.
extension ShoalServer {
    static let defaultSections = ["server", "clients", "memory", "persistence", "stats", "replication", "cpu", "cluster", "keyspace"]

    func infoText(sections requested: [String], db: Int) -> String {
        var wanted: [String]
        if requested.isEmpty || requested.contains("default") {
            wanted = ShoalServer.defaultSections
        } else if requested.contains("all") || requested.contains("everything") {
            wanted = ShoalServer.defaultSections
        } else {
            wanted = requested
        }
        wanted = ShoalServer.defaultSections.filter { wanted.contains($0) }
        var blocks: [String] = []
        for section in wanted {
            var lines: [String] = []
            switch section {
            case "server": lines = serverSection()
            case "clients": lines = clientsSection()
            case "memory": lines = memorySection()
            case "persistence": lines = persistenceSection()
            case "stats": lines = statsSection()
            case "replication": lines = replicationSection()
            case "cpu": lines = cpuSection()
            case "cluster": lines = ["cluster_enabled:\(cluster == nil ? 0 : 1)"]
            case "keyspace": lines = keyspaceSection()
            default: continue
            }
            blocks.append("# \(section.prefix(1).uppercased() + section.dropFirst())\r\n" + lines.map { $0 + "\r\n" }.joined())
        }
        return blocks.joined(separator: "\r\n")
    }

    private func serverSection() -> [String] {
        let uptime = (monotonicMillis() - startedAt) / 1000
        let micros = wallClockMicros()
        return [
            "redis_version:\(ShoalVersion.redis)",
            "redis_git_sha1:00000000",
            "redis_git_dirty:0",
            "redis_build_id:0",
            "redis_mode:\(configuration.clusterEnabled ? "cluster" : "standalone")",
            "os:\(Platform.operatingSystem())",
            "arch_bits:64",
            "monotonic_clock:POSIX clock_gettime",
            "multiplexing_api:epoll",
            "atomicvar_api:c11-builtin",
            "gcc_version:0.0.0",
            "process_id:\(getpid())",
            "process_supervised:no",
            "run_id:\(runID)",
            "tcp_port:\(settings.port)",
            "server_time_usec:\(micros)",
            "uptime_in_seconds:\(uptime)",
            "uptime_in_days:\(uptime / 86400)",
            "hz:\(settings.hz)",
            "configured_hz:\(settings.hz)",
            "lru_clock:\((micros / 1_000_000) & 0xFFFFFF)",
            "executable:\(Platform.executablePath())",
            "config_file:\(settings.configFile)",
            "io_threads_active:\(ioThreads > 1 ? 1 : 0)",
            "shoal_version:\(ShoalVersion.shoal)",
            "shoal_event_loops:\(ioThreads)",
        ]
    }

    private func clientsSection() -> [String] {
        let all = clients.all
        return [
            "connected_clients:\(all.count)",
            "cluster_connections:\(cluster?.linkCount ?? 0)",
            "maxclients:\(settings.maxClients)",
            "client_recent_max_input_buffer:\(all.map(\.queryBufferLength).max() ?? 0)",
            "client_recent_max_output_buffer:0",
            "blocked_clients:\(dispatcher.blocked.parked)",
            "tracking_clients:0",
            "clients_in_timeout_table:0",
        ]
    }

    private func memorySection() -> [String] {
        let used = Platform.heapInUse()
        let rss = Platform.residentBytes()
        peakMemory.update(used)
        let peak = peakMemory.value
        let system = Platform.totalSystemMemory()
        let maxmemory = settings.maxMemory
        let ratio = used > 0 ? Double(rss) / Double(used) : 0
        return [
            "used_memory:\(used)",
            "used_memory_human:\(Platform.humanBytes(used))",
            "used_memory_rss:\(rss)",
            "used_memory_rss_human:\(Platform.humanBytes(rss))",
            "used_memory_peak:\(peak)",
            "used_memory_peak_human:\(Platform.humanBytes(peak))",
            "used_memory_peak_perc:\(Platform.format2(peak > 0 ? Double(used) * 100 / Double(peak) : 100))%",
            "used_memory_startup:\(startupMemory)",
            "used_memory_dataset:\(max(0, used - startupMemory))",
            "total_system_memory:\(system)",
            "total_system_memory_human:\(Platform.humanBytes(system))",
            "maxmemory:\(maxmemory)",
            "maxmemory_human:\(Platform.humanBytes(maxmemory))",
            "maxmemory_policy:\(settings.maxMemoryPolicy)",
            "mem_fragmentation_ratio:\(Platform.format2(ratio))",
            "mem_allocator:libc",
            "lazyfree_pending_objects:0",
        ]
    }

    private func persistenceSection() -> [String] {
        let progress = snapshots.progress
        let rdbRunning = snapshots.backgroundInProgress
        var lines = [
            "loading:0",
            "async_loading:0",
            // No fork: what a write copies during a save is the serialised form of its slot.
            "current_cow_peak:\(progress.capturedPeak)",
            "current_cow_size:\(progress.capturedBytes)",
            "current_cow_size_age:0",
            "current_fork_perc:\(Platform.format2(progress.total > 0 ? Double(progress.processed) * 100 / Double(progress.total) : 0))",
            "current_save_keys_processed:\(progress.processed)",
            "current_save_keys_total:\(progress.total)",
            "rdb_changes_since_last_save:\(snapshots.changesSinceLastSave)",
            "rdb_bgsave_in_progress:\(rdbRunning ? 1 : 0)",
            "rdb_last_save_time:\(snapshots.lastSaveSeconds)",
            "rdb_last_bgsave_status:\(snapshots.lastBackgroundOK ? "ok" : "err")",
            "rdb_last_bgsave_time_sec:\(snapshots.lastBackgroundSeconds)",
            "rdb_current_bgsave_time_sec:\(snapshots.currentSeconds)",
            "rdb_saves:\(snapshots.saves)",
            "rdb_last_cow_size:\(snapshots.lastCopiedPeak)",
            "rdb_last_load_keys_expired:\(snapshots.lastLoadKeysExpired)",
            "rdb_last_load_keys_loaded:\(snapshots.lastLoadKeysLoaded)",
        ]
        lines += appendOnlyInfoLines()
        return lines
    }

    private func statsSection() -> [String] {
        let rates = instantaneous
        let hits = loops.reduce(0) { $0 + $1.stats.keyspaceHits }
        let misses = loops.reduce(0) { $0 + $1.stats.keyspaceMisses }
        return [
            "total_connections_received:\(clients.totalConnectionsReceived)",
            "total_commands_processed:\(totalCommandsProcessed)",
            "instantaneous_ops_per_sec:\(rates.opsPerSec)",
            "total_net_input_bytes:\(loops.reduce(0) { $0 + $1.netInputBytes })",
            "total_net_output_bytes:\(loops.reduce(0) { $0 + $1.netOutputBytes })",
            "instantaneous_input_kbps:\(Platform.format2(rates.inputKbps))",
            "instantaneous_output_kbps:\(Platform.format2(rates.outputKbps))",
            "rejected_connections:\(clients.rejectedConnections)",
            "expired_keys:\(keyspace.expiredKeys - expiredKeysAtReset)",
            "evicted_keys:0",
            "keyspace_hits:\(hits)",
            "keyspace_misses:\(misses)",
            "pubsub_channels:0",
            "pubsub_patterns:0",
            "latest_fork_usec:0",
            "total_forks:0",
        ]
    }

    private func replicationSection() -> [String] {
        [
            "role:master",
            "connected_slaves:0",
            "master_failover_state:no-failover",
            "master_replid:\(replicationID)",
            "master_replid2:0000000000000000000000000000000000000000",
            "master_repl_offset:0",
            "second_repl_offset:-1",
            "repl_backlog_active:0",
            "repl_backlog_size:1048576",
            "repl_backlog_first_byte_offset:0",
            "repl_backlog_histlen:0",
        ]
    }

    private func cpuSection() -> [String] {
        let cpu = Platform.cpuTimes()
        return [
            "used_cpu_sys:\(String(format6: cpu.system))",
            "used_cpu_user:\(String(format6: cpu.user))",
            "used_cpu_sys_children:0.000000",
            "used_cpu_user_children:0.000000",
        ]
    }

    private func keyspaceSection() -> [String] {
        let now = wallClockMillis()
        var lines: [String] = []
        for db in 0..<keyspace.databaseCount {
            let keys = keyspace.keyCount(db: db)
            guard keys > 0 else { continue }
            let expires = keyspace.expiringKeyCount(db: db)
            lines.append("db\(db):keys=\(keys),expires=\(expires),avg_ttl=\(keyspace.averageTTL(db: db, now: now))")
        }
        return lines
    }
}

extension String {
    /// `%.6f`, as Redis prints CPU seconds.
    init(format6 value: Double) {
        let micros = Int((value * 1_000_000).rounded())
        let fraction = String(micros % 1_000_000)
        self = "\(micros / 1_000_000)." + String(repeating: "0", count: 6 - fraction.count) + fraction
    }
}

/// The largest value seen (INFO used_memory_peak).
final class PeakTracker: @unchecked Sendable {
    private(set) var value = 0
    func update(_ v: Int) { if v > value { value = v } }
}
