import Testing
@testable import Keyspace

@Suite struct HashingTests {
    func slot(_ s: String) -> Int { withBytes(s) { keyHashSlot($0) } }

    @Test func crc16KnownValue() {
        // CRC16-XMODEM check value.
        let crc = withBytes("123456789") { crc16($0.baseAddress!, count: $0.count) }
        #expect(crc == 0x31C3)
        #expect(slot("123456789") == 12739)
    }

    @Test func knownSlots() {
        // Values from the Redis Cluster documentation / CLUSTER KEYSLOT.
        #expect(slot("foo") == 12182)
        #expect(slot("somekey") == 11058)
        #expect(slot("foo{hash_tag}") == 2515)
        #expect(slot("") == 0)
    }

    @Test func hashTags() {
        #expect(slot("{user1000}.following") == slot("{user1000}.followers"))
        #expect(slot("{user1000}.following") == slot("user1000"))
        // Only the first `{` counts, with the first `}` after it.
        #expect(slot("foo{bar}{zap}") == slot("bar"))
        #expect(slot("foo{{bar}}zap") == slot("{bar"))
        // An empty tag hashes the whole key.
        #expect(slot("foo{}{bar}") != slot("bar"))
        #expect(slot("foo{}{bar}") == withBytes("foo{}{bar}") { Int(crc16($0.baseAddress!, count: $0.count) & 0x3FFF) })
        // No closing brace: whole key.
        #expect(slot("foo{bar") == withBytes("foo{bar") { Int(crc16($0.baseAddress!, count: $0.count) & 0x3FFF) })
    }

    @Test func keyStructComputesBoth() {
        withKey("{tag}rest") { k in
            #expect(k.slot == slot("tag"))
            #expect(k.hash == keyHash64(k.bytes.baseAddress, count: k.bytes.count))
        }
    }

    @Test func hashSpreadsAndDependsOnEveryByte() {
        // Every length from 0 to 100, flipping each byte changes the hash.
        for n in 0...100 {
            var bytes = [UInt8](repeating: 0x61, count: n)
            let base = bytes.withUnsafeBytes { keyHash64($0.baseAddress, count: n) }
            for i in 0..<n {
                bytes[i] ^= 1
                let h = bytes.withUnsafeBytes { keyHash64($0.baseAddress, count: n) }
                #expect(h != base)
                bytes[i] ^= 1
            }
        }
        // The fragment bits (top 20) of sequential keys are well spread.
        var seen = Set<UInt64>()
        for i in 0..<10_000 {
            let h = withBytes("key:\(i)") { keyHash64($0.baseAddress, count: $0.count) }
            seen.insert(h >> 44)
        }
        #expect(seen.count > 9_900)
    }
}
