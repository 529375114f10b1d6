#if canImport(Glibc)
import Glibc
#endif
import CPlatform

/// Milliseconds since the Unix epoch (what TTLs and EXPIREAT are measured against).
@inline(__always)
func wallClockMillis() -> Int64 {
    var ts = timespec()
    clock_gettime(CLOCK_REALTIME, &ts)
    return Int64(ts.tv_sec) * 1000 + Int64(ts.tv_nsec) / 1_000_000
}

/// Microseconds since the Unix epoch.
func wallClockMicros() -> Int64 {
    var ts = timespec()
    clock_gettime(CLOCK_REALTIME, &ts)
    return Int64(ts.tv_sec) * 1_000_000 + Int64(ts.tv_nsec) / 1000
}

/// Milliseconds of a clock that never jumps (idle times, uptime).
@inline(__always)
func monotonicMillis() -> Int64 {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return Int64(ts.tv_sec) * 1000 + Int64(ts.tv_nsec) / 1_000_000
}

/// Microseconds of the monotonic clock (budgets of work slices).
@inline(__always)
func monotonicMicros() -> Int64 {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return Int64(ts.tv_sec) * 1_000_000 + Int64(ts.tv_nsec) / 1000
}

enum Platform {
    /// CPUs this process may run on (honours `taskset`), at least 1.
    static func usableCores() -> Int { Int(shoal_usable_cores()) }

    /// Bytes the allocator has handed out and not taken back (INFO used_memory).
    static func heapInUse() -> Int { Int(shoal_heap_in_use()) }

    /// Resident set size in bytes, from /proc/self/statm.
    static func residentBytes() -> Int {
        guard let file = fopen("/proc/self/statm", "r") else { return 0 }
        defer { fclose(file) }
        var size = 0
        var resident = 0
        guard withUnsafeMutablePointer(to: &size, { s in
            withUnsafeMutablePointer(to: &resident) { r in
                withVaList([s, r]) { vfscanf(file, "%ld %ld", $0) }
            }
        }) == 2 else { return 0 }
        return resident * Int(sysconf(Int32(_SC_PAGESIZE)))
    }

    static func totalSystemMemory() -> Int {
        Int(sysconf(Int32(_SC_PHYS_PAGES))) * Int(sysconf(Int32(_SC_PAGESIZE)))
    }

    /// User and system CPU seconds used by this process.
    static func cpuTimes() -> (user: Double, system: Double) {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        func seconds(_ t: timeval) -> Double { Double(t.tv_sec) + Double(t.tv_usec) / 1_000_000 }
        return (seconds(usage.ru_utime), seconds(usage.ru_stime))
    }

    static func operatingSystem() -> String {
        var name = utsname()
        uname(&name)
        func field<T>(_ value: T) -> String {
            withUnsafeBytes(of: value) { raw in
                String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
            }
        }
        return "\(field(name.sysname)) \(field(name.release)) \(field(name.machine))"
    }

    static func executablePath() -> String {
        var buffer = [UInt8](repeating: 0, count: 4096)
        let n = readlink("/proc/self/exe", &buffer, buffer.count - 1)
        return n > 0 ? String(decoding: buffer[0..<n], as: UTF8.self) : ""
    }

    static func currentDirectory() -> String {
        var buffer = [UInt8](repeating: 0, count: 4096)
        guard getcwd(&buffer, buffer.count) != nil else { return "" }
        return String(decoding: buffer.prefix { $0 != 0 }, as: UTF8.self)
    }

    /// 40 random hex characters, like Redis's run_id and replication ids.
    static func randomHexID() -> String {
        var rng = SystemRandomNumberGenerator()
        let digits = Array("0123456789abcdef")
        return String((0..<40).map { _ in digits[Int(rng.next() % 16)] })
    }

    /// `1.23M`-style sizes as INFO's `*_human` fields print them.
    static func humanBytes(_ n: Int) -> String {
        let d = Double(n)
        if d < 1024 { return "\(n)B" }
        if d < 1024 * 1024 { return format2(d / 1024) + "K" }
        if d < 1024 * 1024 * 1024 { return format2(d / (1024 * 1024)) + "M" }
        return format2(d / (1024 * 1024 * 1024)) + "G"
    }

    static func format2(_ value: Double) -> String {
        let scaled = (value * 100).rounded()
        let whole = Int(scaled) / 100
        let fraction = Int(scaled) % 100
        return "\(whole)." + (fraction < 10 ? "0\(fraction)" : "\(fraction)")
    }
}
