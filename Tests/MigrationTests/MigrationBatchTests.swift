import LZ4
import Testing

@testable import Migration

@Suite("Migration batches")
struct MigrationBatchTests {
    private func sample(_ n: Int) -> [MigrationRecord] {
        var records: [MigrationRecord] = []
        for i in 0..<n {
            let expireAt: Int64? = i % 3 == 0 ? nil : 1_800_000_000_000 + Int64(i)
            let json = "{\"id\":\(i),\"name\":\"user \(i)\",\"active\":true}"
            let object: [UInt8] = [0] + Array(json.utf8)
            records.append(MigrationRecord(key: Array("user:\(i)".utf8), expireAt: expireAt, object: object, append: i % 7 == 6))
        }
        return records
    }

    @Test func roundTrip() throws {
        var builder = MigrationBatchBuilder()
        let records = sample(500)
        for r in records { builder.append(r) }
        #expect(builder.count == 500)
        let frame = try builder.seal()
        #expect(builder.count == 0)
        #expect(try MigrationBatch.decode(frame) == records)
        // Side by side, similar values compress well: this is why keys travel in batches.
        #expect(frame.count * 3 < records.reduce(0) { $0 + $1.key.count + $1.object.count })
    }

    @Test func emptyFrameHasNoRecords() throws {
        var builder = MigrationBatchBuilder()
        #expect(try MigrationBatch.decode(try builder.seal()) == [])
    }

    @Test func everyTruncationIsRejectedWhole() throws {
        var builder = MigrationBatchBuilder()
        for r in sample(20) { builder.append(r) }
        let frame = try builder.seal()
        for cut in 0..<frame.count {
            #expect(throws: MigrationBatchError.self) { try MigrationBatch.decode(Array(frame[0..<cut])) }
        }
    }

    @Test func everyFlippedByteIsRejected() throws {
        var builder = MigrationBatchBuilder()
        for r in sample(10) { builder.append(r) }
        let frame = try builder.seal()
        for i in 0..<frame.count {
            var bad = frame
            bad[i] ^= 0x5A
            #expect(throws: MigrationBatchError.self) { try MigrationBatch.decode(bad) }
        }
    }

    @Test func malformedRecordsInsideAValidFrameAreRejected() throws {
        // A valid LZ4 frame whose records lie about their lengths.
        let ones = [UInt8](repeating: 0xFF, count: 8)  // expiry -1
        var belowMinusOne = ones
        belowMinusOne[0] = 0xFE  // expiry -2
        let header: [UInt8] = [1, 0, 0, 0, 65]  // key "A"
        var cases: [[UInt8]] = []
        cases.append([5, 0, 0, 0, 1, 2])  // key longer than the rest
        cases.append(header + [0] + ones + [0, 0, 0, 0])  // empty value
        cases.append(header + [0] + belowMinusOne + [1, 0, 0, 0, 0])  // expiry < -1
        cases.append(header + [0] + ones + [0xFF, 0xFF, 0xFF, 0x7F, 0])  // huge value length
        cases.append(header + [2] + ones + [1, 0, 0, 0, 0])  // unknown kind
        for raw in cases {
            let frame = try LZ4Block.encode(raw)
            #expect(throws: MigrationBatchError.self) { try MigrationBatch.decode(frame) }
        }
    }
}
