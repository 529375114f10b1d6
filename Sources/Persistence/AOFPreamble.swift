#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import RDB

/// Feeds an RDB preamble to an `RDBFileReader` and, when the caller cannot say where the RDB
/// ended (its `read` summary is not handed back), finds that end afterwards.
///
/// The reader buffers ahead, so the file position after it tells nothing. But an RDB ends with
/// EOF (0xFF) and the CRC-64 of every byte before the checksum: the loader keeps the running
/// CRC at each chunk it hands over, and afterwards scans the last chunks for the first 0xFF
/// followed by the CRC of everything up to it. Chunks are capped so the read-ahead — and so the
/// scanned window — stays small. A file written with `rdbchecksum no` stores 0 there; then the
/// first 0xFF + 8 zero bytes followed by the end of the file or a command is taken.
final class PreambleSource {
    static let chunk = 64 << 10
    static let window = 16

    let fd: Int32
    /// Bytes handed to the reader so far (from offset 0).
    var handed = 0
    var crc: UInt64 = 0
    /// (offset, CRC of the bytes before it) at the start of each recent chunk.
    var marks: [(offset: Int, crc: UInt64)] = []

    init(fd: Int32) {
        self.fd = fd
        _ = lseek(fd, 0, SEEK_SET)
    }

    func read(_ p: UnsafeMutableRawPointer, _ n: Int) -> Int {
        let r = FileIO.read(fd, p, min(n, Self.chunk))
        if r < 0 { return -Int(errno) }
        if r > 0 {
            if marks.count == Self.window { marks.removeFirst() }
            marks.append((handed, crc))
            crc = crc64(crc, p, count: r)
            handed += r
        }
        return r
    }

    /// The file offset just after the RDB's checksum, or nil if no end is in the window.
    func locateEnd(fileSize: Int) -> Int? {
        guard let first = marks.first else { return nil }
        let from = first.offset
        let count = min(handed + 1, fileSize) - from
        guard count > 0 else { return nil }
        var bytes = [UInt8](repeating: 0, count: count)
        let got = bytes.withUnsafeMutableBytes { FileIO.pread(fd, $0.baseAddress!, count, at: from) }
        guard got == count else { return nil }
        let scanned = handed - from
        var c = first.crc
        var zeroCandidate: Int?
        return bytes.withUnsafeBytes { (b: UnsafeRawBufferPointer) -> Int? in
            for i in 0..<scanned {
                c = crc64(c, b.baseAddress! + i, count: 1)
                guard b[i] == 0xFF, i + 9 <= scanned else { continue }
                let stored = UInt64(littleEndian: b.loadUnaligned(fromByteOffset: i + 1, as: UInt64.self))
                if stored == c { return from + i + 9 }
                if stored == 0 && zeroCandidate == nil {
                    let after = i + 9
                    if from + after == fileSize || b[after] == UInt8(ascii: "*") || b[after] == UInt8(ascii: "#") {
                        zeroCandidate = from + after
                    }
                }
            }
            return zeroCandidate
        }
    }
}
