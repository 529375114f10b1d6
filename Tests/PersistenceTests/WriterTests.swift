import Dispatch
import Foundation
import Testing
@testable import Persistence

/// Every command of one AOF file, each prefixed with the database it applies to ("0 SET a b"),
/// as a loader would see it.
func commandsWithDB(_ path: String) throws -> [String] {
    let fd = open(path, O_RDONLY)
    defer { close(fd) }
    var st = stat()
    fstat(fd, &st)
    let reader = AOFCommandReader(fd: fd, offset: 0, fileSize: Int(st.st_size), bufferSize: 4096)
    var db = -1
    var out: [String] = []
    while try reader.next() {
        let args = reader.args.map { String(decoding: $0, as: UTF8.self) }
        if args[0] == "SELECT" { db = Int(args[1])!; continue }
        out.append("\(db) " + args.joined(separator: " "))
    }
    return out
}

func fileSize(_ path: String) -> Int {
    var st = stat()
    return stat(path, &st) == 0 ? Int(st.st_size) : -1
}

@Suite struct WriterTests {
    @Test func selectIsEmittedWhenTheDatabaseChanges() throws {
        let tmp = TempDir()
        let path = "\(tmp.path)/incr.aof"
        let fd = open(path, O_WRONLY | O_APPEND | O_CREAT, 0o644)
        let w = AOFWriter(fileDescriptor: fd, policy: .no, initialSize: 0)
        w.append(db: 0, [Array("SET".utf8), Array("a".utf8), Array("b".utf8)])
        w.append(db: 0, [Array("SET".utf8), Array("c".utf8), Array("d".utf8)])
        w.append(db: 12, [Array("DEL".utf8), Array("a".utf8)])
        w.append(db: -1, [Array("FLUSHALL".utf8)])
        let key = Array("k".utf8)
        key.withUnsafeBytes { k in
            "INCR".utf8CString.withUnsafeBytes { name in
                w.append(db: 0, [UnsafeRawBufferPointer(rebasing: name.dropLast()), k])
            }
        }
        #expect(w.bufferedBytes > 0)
        w.flush()
        #expect(w.bufferedBytes == 0)
        let expected = resp("SELECT", "0") + resp("SET", "a", "b") + resp("SET", "c", "d")
            + resp("SELECT", "12") + resp("DEL", "a") + resp("FLUSHALL") + resp("SELECT", "0") + resp("INCR", "k")
        #expect(tmp.read("incr.aof") == expected)
        #expect(w.currentSize == expected.count)
        #expect(w.lastWriteError == nil)
        w.stop()
        close(fd)
    }

    @Test func binaryAndEmptyArguments() throws {
        let tmp = TempDir()
        let fd = open("\(tmp.path)/f", O_WRONLY | O_CREAT, 0o644)
        let w = AOFWriter(fileDescriptor: fd, policy: .always, initialSize: 0)
        let value: [UInt8] = [0, 13, 10, 255, 36, 42] + [UInt8](repeating: 7, count: 100_000)
        w.append(db: 3, [Array("SET".utf8), [], value])
        w.flush()
        #expect(tmp.read("f") == resp("SELECT", "3") + resp([Array("SET".utf8), [], value]))
        close(fd)
    }

    @Test func concurrentAppendersProduceAParsableLog() throws {
        let tmp = TempDir()
        let path = "\(tmp.path)/incr.aof"
        let fd = open(path, O_WRONLY | O_APPEND | O_CREAT, 0o644)
        let w = AOFWriter(fileDescriptor: fd, policy: .everysec, initialSize: 0)
        w.start()
        let threads = 4, perThread = 3000
        DispatchQueue.concurrentPerform(iterations: threads) { t in
            for i in 0..<perThread {
                // Each thread writes to its own database: a missing or stale SELECT shows up.
                w.append(db: t, [Array("SET".utf8), Array("k\(t)".utf8), Array("\(i)".utf8)])
                if i % 64 == 0 { w.flush() }
            }
            w.flush()
        }
        w.stop()
        let commands = try commandsWithDB(path)
        #expect(commands.count == threads * perThread)
        for t in 0..<threads {
            let mine = commands.filter { $0.hasPrefix("\(t) SET k\(t) ") }
            #expect(mine == (0..<perThread).map { "\(t) SET k\(t) \($0)" })
        }
        #expect(w.currentSize == fileSize(path))
        close(fd)
    }

    @Test func switchFileRotatesAtomically() throws {
        let tmp = TempDir()
        let first = open("\(tmp.path)/1.aof", O_WRONLY | O_APPEND | O_CREAT, 0o644)
        let w = AOFWriter(fileDescriptor: first, policy: .everysec, initialSize: 0)
        w.start()
        w.append(db: 1, [Array("SET".utf8), Array("a".utf8), Array("1".utf8)])
        let second = open("\(tmp.path)/2.aof", O_WRONLY | O_APPEND | O_CREAT, 0o644)
        w.switchFile(to: second)
        #expect(fcntl(first, F_GETFD) == -1)  // closed
        w.append(db: 1, [Array("SET".utf8), Array("a".utf8), Array("2".utf8)])
        w.flush()
        #expect(try commandsWithDB("\(tmp.path)/1.aof") == ["1 SET a 1"])
        #expect(try commandsWithDB("\(tmp.path)/2.aof") == ["1 SET a 2"])  // SELECT re-issued
        #expect(w.currentSize == fileSize("\(tmp.path)/2.aof"))

        // Rotation while others append: every command lands exactly once, whole, after a SELECT.
        let third = open("\(tmp.path)/3.aof", O_WRONLY | O_APPEND | O_CREAT, 0o644)
        let perThread = 4000
        DispatchQueue.concurrentPerform(iterations: 3) { t in
            for i in 0..<perThread {
                if t == 2 && i == perThread / 2 { w.switchFile(to: third) }
                w.append(db: t, [Array("RPUSH".utf8), Array("l".utf8), Array("\(t):\(i)".utf8)])
                if i % 50 == 0 { w.flush() }
            }
        }
        w.stop()
        let before = try commandsWithDB("\(tmp.path)/2.aof").dropFirst()
        let after = try commandsWithDB("\(tmp.path)/3.aof")
        #expect(before.count + after.count == 3 * perThread)
        for t in 0..<3 {
            let all = (before + after).filter { $0.hasPrefix("\(t) RPUSH l \(t):") }
            #expect(all == (0..<perThread).map { "\(t) RPUSH l \(t):\($0)" })
        }
        close(third)
    }

    @Test func writeErrorsAreRecordedAndDataKept() throws {
        let tmp = TempDir()
        tmp.write("ro", "")
        let fd = open("\(tmp.path)/ro", O_RDONLY)
        let w = AOFWriter(fileDescriptor: fd, policy: .no, initialSize: 0)
        w.append(db: 0, [Array("PING".utf8)])
        w.flush()
        #expect(w.lastWriteError == EBADF)
        #expect(w.bufferedBytes == (resp("SELECT", "0") + resp("PING")).count)
        #expect(w.currentSize == 0)
        close(fd)
    }

    @Test func backgroundFlushWritesWithinASecond() throws {
        let tmp = TempDir()
        let fd = open("\(tmp.path)/f", O_WRONLY | O_APPEND | O_CREAT, 0o644)
        let w = AOFWriter(fileDescriptor: fd, policy: .everysec, initialSize: 0)
        w.start()
        w.append(db: 0, [Array("SET".utf8), Array("x".utf8), Array("y".utf8)])
        usleep(1_400_000)
        #expect(try commandsWithDB("\(tmp.path)/f") == ["0 SET x y"])
        w.policy = .no
        #expect(w.policy == .no)
        w.stop()
        close(fd)
    }
}
