import Testing
@testable import Keyspace
#if canImport(Glibc)
import Glibc
#endif

@Suite struct MemoryTests {
    func residentBytes() -> Int {
        let fd = open("/proc/self/statm", O_RDONLY)
        guard fd >= 0 else { return 0 }
        defer { close(fd) }
        var buf = [UInt8](repeating: 0, count: 128)
        let n = read(fd, &buf, 127)
        let fields = String(decoding: buf[0..<max(0, n)], as: UTF8.self).split(separator: " ")
        return (Int(fields[1]) ?? 0) * Int(sysconf(Int32(_SC_PAGESIZE)))
    }

    /// 1,000,000 keys of 16 bytes with 32-byte values: what the allocator holds per key (entries,
    /// tables, shard arrays, malloc chunk headers), which must stay within the 80-byte budget.
    @Test func bytesPerKeyForOneMillionSmallStrings() {
        let before = residentBytes()
        let ks = Keyspace(databases: 16)
        let n = 1_000_000
        var key = [UInt8](repeating: 0, count: 16)
        var value = [UInt8](repeating: 0x76, count: 32)
        for i in 0..<n {
            // "key:000000000042" style, 16 bytes.
            var x = i
            for j in stride(from: 15, through: 4, by: -1) {
                key[j] = UInt8(48 + x % 10)
                x /= 10
            }
            key[0] = 0x6B; key[1] = 0x65; key[2] = 0x79; key[3] = 0x3A
            value[0] = UInt8(truncatingIfNeeded: i)
            key.withUnsafeBytes { k in value.withUnsafeBytes { v in ks.setString(db: 0, key: Key(k), value: v, now: 1) } }
        }
        let after = residentBytes()
        let accounted = Double(ks.accountedBytes()) / Double(n)
        let rss = Double(after - before) / Double(n)
        print("Keyspace memory for 1M 16B/32B keys: \(accounted) bytes/key allocated, \(rss) bytes/key RSS delta (meaningful only when this test runs alone)")
        #expect(ks.keyCount(db: 0) == n)
        #expect(accounted <= 80)
    }
}
