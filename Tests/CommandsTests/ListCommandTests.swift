import Testing
import Keyspace
import NIOCore
import RESP
@testable import Commands

/// The shared harness, under the name these tests were written with.
typealias ListHarness = Harness

private func bulks(_ items: [String]) -> String { R.array(items.map(R.bulk)) }
private let nullArray = "*-1\r\n"
private let emptyArray = "*0\r\n"

@Suite struct ListCommandTests {
    @Test func pushPopLengthRange() {
        let h = ListHarness()
        #expect(h.run("LPUSH", "l", "a", "b", "c") == R.int(3))
        #expect(h.run("RPUSH", "l", "x", "y") == R.int(5))
        #expect(h.run("LRANGE", "l", "0", "-1") == bulks(["c", "b", "a", "x", "y"]))
        #expect(h.run("LRANGE", "l", "-2", "100") == bulks(["x", "y"]))
        #expect(h.run("LRANGE", "l", "3", "1") == emptyArray)
        #expect(h.run("LRANGE", "l", "-100", "0") == bulks(["c"]))
        #expect(h.run("LRANGE", "missing", "0", "-1") == emptyArray)
        #expect(h.run("LRANGE", "l", "0", "x") == R.notInteger)
        #expect(h.run("LLEN", "l") == R.int(5))
        #expect(h.run("LLEN", "missing") == R.int(0))
        #expect(h.run("LPOP", "l") == R.bulk("c"))
        #expect(h.run("RPOP", "l") == R.bulk("y"))
        #expect(h.run("LPOP", "l", "2") == bulks(["b", "a"]))
        #expect(h.run("RPOP", "l", "0") == emptyArray)
        #expect(h.run("RPOP", "l", "5") == bulks(["x"]))
        #expect(h.run("EXISTS", "l") == R.int(0))
        #expect(h.run("LPOP", "l") == R.null)
        #expect(h.run("LPOP", "l", "0") == nullArray)
        #expect(h.run("LPOP", "l", "-1") == R.err("ERR value is out of range, must be positive"))
        #expect(h.run("LPOP", "l", "1", "2") == R.err("ERR wrong number of arguments for 'lpop' command"))
        h.protocolVersion = 3
        #expect(h.run("LPOP", "l", "3") == R.null3)
        #expect(h.run("RPOP", "l") == R.null3)
    }

    @Test func pushxAndWrongType() {
        let h = ListHarness()
        #expect(h.run("LPUSHX", "l", "a") == R.int(0))
        #expect(h.run("RPUSHX", "l", "a", "b") == R.int(0))
        #expect(h.run("EXISTS", "l") == R.int(0))
        h.run("RPUSH", "l", "m")
        #expect(h.run("LPUSHX", "l", "a", "b") == R.int(3))
        #expect(h.run("RPUSHX", "l", "y") == R.int(4))
        #expect(h.run("LRANGE", "l", "0", "-1") == bulks(["b", "a", "m", "y"]))
        h.run("SET", "s", "v")
        for args in [["LPUSH", "s", "a"], ["RPUSHX", "s", "a"], ["LPOP", "s"], ["LLEN", "s"], ["LRANGE", "s", "0", "1"],
                     ["LINDEX", "s", "0"], ["LSET", "s", "0", "a"], ["LINSERT", "s", "BEFORE", "a", "b"],
                     ["LREM", "s", "0", "a"], ["LTRIM", "s", "0", "1"], ["LPOS", "s", "a"], ["LMOVE", "s", "l", "LEFT", "LEFT"],
                     ["LMOVE", "l", "s", "LEFT", "LEFT"], ["LMPOP", "2", "nope", "s", "LEFT"], ["BLPOP", "nope", "s", "0"]] {
            #expect(h.run(args) == R.wrongType, "\(args)")
        }
        #expect(h.run("LLEN", "l") == R.int(4))  // LMOVE to a wrong type popped nothing
        #expect(h.run("LPOP", "s", "x") == R.err("ERR value is out of range, must be positive"))
    }

    @Test func lindexAndLset() {
        let h = ListHarness()
        h.run("RPUSH", "l", "a", "b", "c")
        #expect(h.run("LINDEX", "l", "0") == R.bulk("a"))
        #expect(h.run("LINDEX", "l", "-1") == R.bulk("c"))
        #expect(h.run("LINDEX", "l", "3") == R.null)
        #expect(h.run("LINDEX", "l", "-4") == R.null)
        #expect(h.run("LINDEX", "l", "x") == R.notInteger)
        #expect(h.run("LINDEX", "missing", "x") == R.null)
        #expect(h.run("LSET", "l", "1", "B") == R.ok)
        #expect(h.run("LSET", "l", "-1", "a longer value than before") == R.ok)
        #expect(h.run("LRANGE", "l", "0", "-1") == bulks(["a", "B", "a longer value than before"]))
        #expect(h.run("LSET", "l", "3", "x") == R.err("ERR index out of range"))
        #expect(h.run("LSET", "l", "x", "x") == R.notInteger)
        #expect(h.run("LSET", "missing", "x", "x") == R.err("ERR no such key"))
    }

    @Test func linsertLremLtrim() {
        let h = ListHarness()
        h.run("RPUSH", "l", "a", "b", "a", "c", "a")
        #expect(h.run("LINSERT", "l", "before", "b", "x") == R.int(6))
        #expect(h.run("LINSERT", "l", "AFTER", "c", "y") == R.int(7))
        #expect(h.run("LINSERT", "l", "AFTER", "zz", "y") == R.int(-1))
        #expect(h.run("LINSERT", "l", "middle", "a", "y") == R.syntax)
        #expect(h.run("LINSERT", "missing", "middle", "a", "y") == R.syntax)
        #expect(h.run("LINSERT", "missing", "before", "a", "y") == R.int(0))
        #expect(h.run("LRANGE", "l", "0", "-1") == bulks(["a", "x", "b", "a", "c", "y", "a"]))
        #expect(h.run("LREM", "l", "-1", "a") == R.int(1))
        #expect(h.run("LRANGE", "l", "0", "-1") == bulks(["a", "x", "b", "a", "c", "y"]))
        #expect(h.run("LREM", "l", "1", "a") == R.int(1))
        #expect(h.run("LRANGE", "l", "0", "-1") == bulks(["x", "b", "a", "c", "y"]))
        h.run("RPUSH", "l", "a", "a")
        #expect(h.run("LREM", "l", "0", "a") == R.int(3))
        #expect(h.run("LREM", "l", "x", "a") == R.notInteger)
        #expect(h.run("LREM", "missing", "0", "a") == R.int(0))
        #expect(h.run("LTRIM", "l", "1", "-2") == R.ok)
        #expect(h.run("LRANGE", "l", "0", "-1") == bulks(["b", "c"]))
        #expect(h.run("LTRIM", "l", "5", "10") == R.ok)
        #expect(h.run("EXISTS", "l") == R.int(0))
        #expect(h.run("LTRIM", "missing", "0", "1") == R.ok)
        #expect(h.run("LTRIM", "missing", "a", "1") == R.notInteger)
        h.run("RPUSH", "m", "a", "a", "a")
        #expect(h.run("LREM", "m", "-9223372036854775808", "a") == R.int(3))
        #expect(h.run("EXISTS", "m") == R.int(0))
    }

    @Test func lpos() {
        let h = ListHarness()
        h.run("RPUSH", "l", "a", "b", "a", "c", "a")
        #expect(h.run("LPOS", "l", "a") == R.int(0))
        #expect(h.run("LPOS", "l", "a", "RANK", "2") == R.int(2))
        #expect(h.run("LPOS", "l", "a", "RANK", "-1") == R.int(4))
        #expect(h.run("LPOS", "l", "a", "RANK", "-9223372036854775808") == R.int(4))
        #expect(h.run("LPOS", "l", "a", "RANK", "4") == R.null)
        #expect(h.run("LPOS", "l", "a", "COUNT", "0") == R.array([R.int(0), R.int(2), R.int(4)]))
        #expect(h.run("LPOS", "l", "a", "COUNT", "0", "RANK", "-2") == R.array([R.int(2), R.int(0)]))
        #expect(h.run("LPOS", "l", "a", "MAXLEN", "2", "COUNT", "0") == R.array([R.int(0)]))
        #expect(h.run("LPOS", "l", "a", "MAXLEN", "3", "COUNT", "0", "RANK", "-1") == R.array([R.int(4), R.int(2)]))
        #expect(h.run("LPOS", "l", "a", "COUNT", "2") == R.array([R.int(0), R.int(2)]))
        #expect(h.run("LPOS", "l", "zz", "COUNT", "2") == emptyArray)
        #expect(h.run("LPOS", "l", "zz") == R.null)
        #expect(h.run("LPOS", "missing", "a", "COUNT", "1") == emptyArray)
        #expect(h.run("LPOS", "missing", "a") == R.null)
        #expect(h.run("LPOS", "l", "a", "RANK", "0") == R.err(
            "ERR RANK can't be zero: use 1 to start from the first match, 2 from the second ... or use negative to start from the end of the list"))
        #expect(h.run("LPOS", "l", "a", "RANK", "x") == R.notInteger)
        #expect(h.run("LPOS", "l", "a", "COUNT", "-1") == R.err("ERR COUNT can't be negative"))
        #expect(h.run("LPOS", "l", "a", "COUNT", "x") == R.err("ERR COUNT can't be negative"))
        #expect(h.run("LPOS", "l", "a", "MAXLEN", "-1") == R.err("ERR MAXLEN can't be negative"))
        #expect(h.run("LPOS", "l", "a", "RANK") == R.syntax)
        #expect(h.run("LPOS", "l", "a", "FOO", "1") == R.syntax)
        h.protocolVersion = 3
        #expect(h.run("LPOS", "missing", "a") == R.null3)
    }

    @Test func lmoveAndRpoplpush() {
        let h = ListHarness()
        h.run("RPUSH", "l", "a", "b", "c")
        #expect(h.run("LMOVE", "l", "l", "LEFT", "RIGHT") == R.bulk("a"))
        #expect(h.run("LRANGE", "l", "0", "-1") == bulks(["b", "c", "a"]))
        #expect(h.run("RPOPLPUSH", "l", "l") == R.bulk("a"))
        #expect(h.run("LRANGE", "l", "0", "-1") == bulks(["a", "b", "c"]))
        #expect(h.run("LMOVE", "l", "d", "right", "left") == R.bulk("c"))
        #expect(h.run("LMOVE", "l", "d", "left", "right") == R.bulk("a"))
        #expect(h.run("RPOPLPUSH", "l", "d") == R.bulk("b"))
        #expect(h.run("EXISTS", "l") == R.int(0))
        #expect(h.run("LRANGE", "d", "0", "-1") == bulks(["b", "c", "a"]))
        #expect(h.run("LMOVE", "l", "d", "LEFT", "LEFT") == R.null)
        #expect(h.run("LMOVE", "d", "e", "UP", "LEFT") == R.syntax)
        h.run("RPUSH", "one", "x")
        #expect(h.run("LMOVE", "one", "one", "LEFT", "LEFT") == R.bulk("x"))
        #expect(h.run("LRANGE", "one", "0", "-1") == bulks(["x"]))
        h.protocolVersion = 3
        #expect(h.run("RPOPLPUSH", "missing", "d") == R.null3)
    }

    @Test func lmpop() {
        let h = ListHarness()
        h.run("RPUSH", "b", "1", "2", "3")
        #expect(h.run("LMPOP", "2", "a", "b", "LEFT") == R.array([R.bulk("b"), bulks(["1"])]))
        #expect(h.run("LMPOP", "2", "a", "b", "RIGHT", "COUNT", "5") == R.array([R.bulk("b"), bulks(["3", "2"])]))
        #expect(h.run("LMPOP", "2", "a", "b", "RIGHT") == nullArray)
        #expect(h.run("LMPOP", "0", "a", "LEFT") == R.err("ERR numkeys should be greater than 0"))
        #expect(h.run("LMPOP", "x", "a", "LEFT") == R.err("ERR numkeys should be greater than 0"))
        #expect(h.run("LMPOP", "2", "a", "LEFT") == R.syntax)
        #expect(h.run("LMPOP", "9223372036854775807", "a", "LEFT") == R.syntax)
        #expect(h.run("LMPOP", "1", "a", "MIDDLE") == R.syntax)
        #expect(h.run("LMPOP", "1", "a", "LEFT", "COUNT", "0") == R.err("ERR count should be greater than 0"))
        #expect(h.run("LMPOP", "1", "a", "LEFT", "COUNT", "1", "COUNT", "1") == R.syntax)
        #expect(h.run("LMPOP", "1", "a", "LEFT", "COUNT") == R.syntax)
        h.protocolVersion = 3
        #expect(h.run("LMPOP", "1", "a", "LEFT") == R.null3)
        #expect(h.keyIndices(["LMPOP", "2", "a", "b", "LEFT"]) == [2, 3])
        #expect(h.keyIndices(["LMPOP", "3", "a", "b", "LEFT"]) == [2, 3, 4])
        #expect(h.keyIndices(["LMPOP", "4", "a", "b", "LEFT"]) == [])
        #expect(h.keyIndices(["LMPOP", "-1", "a", "b", "LEFT"]) == [])
        #expect(h.keyIndices(["BLMPOP", "0", "1", "a", "LEFT"]) == [3])
    }

    @Test func blockingPops() {
        let h = ListHarness()
        h.run("RPUSH", "b", "1", "2")
        #expect(h.run("BLPOP", "a", "b", "0") == R.array([R.bulk("b"), R.bulk("1")]))
        #expect(h.run("BRPOP", "a", "b", "0") == R.array([R.bulk("b"), R.bulk("2")]))
        #expect(h.lastBlock == nil)
        // Nothing to pop: the handler asks to block and writes nothing.
        #expect(h.run("BLPOP", "a", "b", "1.5") == "")
        #expect(h.lastBlock?.keyIndices == [1, 2])
        #expect(h.lastBlock?.timeout == 1.5)
        #expect(h.run("BLMPOP", "0", "2", "a", "b", "LEFT", "COUNT", "2") == "")
        #expect(h.lastBlock?.keyIndices == [3, 4])
        #expect(h.lastBlock?.timeout == 0)
        #expect(h.run("BLMOVE", "a", "b", "LEFT", "RIGHT", "0.01") == "")
        #expect(h.lastBlock?.keyIndices == [1])
        #expect(h.run("BRPOPLPUSH", "a", "b", "2") == "")
        #expect(h.lastBlock?.timeout == 2)
        // Where blocking is not allowed: the timeout reply (BLMOVE: a plain null, as in MULTI).
        h.mayBlock = false
        #expect(h.run("BLPOP", "a", "0") == nullArray)
        #expect(h.run("BLMPOP", "0", "1", "a", "LEFT") == nullArray)
        #expect(h.run("BLMOVE", "a", "b", "LEFT", "RIGHT", "0") == R.null)
        #expect(h.run("BRPOPLPUSH", "a", "b", "0") == R.null)
        #expect(h.lastBlock == nil)
        h.mayBlock = true
        h.run("RPUSH", "a", "x", "y", "z")
        #expect(h.run("BLMPOP", "0", "2", "a", "b", "RIGHT", "COUNT", "2") == R.array([R.bulk("a"), bulks(["z", "y"])]))
        #expect(h.run("BLMOVE", "a", "b", "LEFT", "RIGHT", "0") == R.bulk("x"))
        #expect(h.run("BRPOPLPUSH", "b", "a", "0") == R.bulk("x"))
        // Timeouts, as Redis parses them.
        #expect(h.run("BLPOP", "a", "abc") == R.err("ERR timeout is not a float or out of range"))
        #expect(h.run("BLPOP", "a", "nan") == R.err("ERR timeout is not a float or out of range"))
        #expect(h.run("BLPOP", "a", " 1") == R.err("ERR timeout is not a float or out of range"))
        #expect(h.run("BLPOP", "a", "-1") == R.err("ERR timeout is negative"))
        #expect(h.run("BLPOP", "a", "inf") == R.err("ERR timeout is negative"))
        #expect(h.run("BLPOP", "a", "1e400") == R.err("ERR timeout is negative"))
        #expect(h.run("BLPOP", "a", "9223372036854775807") == R.err("ERR timeout is negative"))
        #expect(h.run("BLMOVE", "a", "b", "LEFT", "UP", "abc") == R.syntax)
        #expect(h.run("BLMOVE", "a", "b", "LEFT", "LEFT", "-1") == R.err("ERR timeout is negative"))
        // BLMPOP checks numkeys, side and COUNT before the timeout.
        #expect(h.run("BLMPOP", "abc", "0", "a", "LEFT") == R.err("ERR numkeys should be greater than 0"))
        #expect(h.run("BLMPOP", "abc", "1", "a", "MIDDLE") == R.syntax)
        #expect(h.run("BLMPOP", "abc", "1", "a", "LEFT") == R.err("ERR timeout is not a float or out of range"))
        // A tiny negative timeout truncates to 0 ms: wait forever.
        #expect(h.run("BLPOP", "nothing", "-0.0001") == "")
        #expect(h.lastBlock?.timeout == 0)
        h.protocolVersion = 3
        h.mayBlock = false
        #expect(h.run("BLPOP", "nothing", "0") == R.null3)
    }

    @Test func signalsOnlyWhenClientsWait() {
        let h = ListHarness()
        h.run("LPUSH", "l", "a")
        #expect(h.readyKeys.isEmpty)
        h.blocked.value = 1
        h.run("LPUSH", "l", "b")
        h.run("RPUSHX", "l", "c")
        h.run("LINSERT", "l", "BEFORE", "a", "x")
        h.run("LMOVE", "l", "m", "LEFT", "LEFT")
        h.run("LPUSHX", "nothing", "c")
        #expect(h.readyKeys == ["l", "l", "l", "m"])
    }

    @Test func genericCommandsSeeLists() {
        let h = ListHarness()
        h.run("RPUSH", "l", "a", "b")
        #expect(h.run("TYPE", "l") == R.simple("list"))
        #expect(h.run("OBJECT", "ENCODING", "l") == R.bulk("quicklist"))
        #expect(h.run("COPY", "l", "c") == R.int(1))
        h.run("RPUSH", "c", "z")
        #expect(h.run("LRANGE", "l", "0", "-1") == bulks(["a", "b"]))
        #expect(h.run("LRANGE", "c", "0", "-1") == bulks(["a", "b", "z"]))
        #expect(h.run("RENAME", "c", "r") == R.ok)
        #expect(h.run("LLEN", "r") == R.int(3))
        #expect(h.run("PEXPIRE", "r", "10") == R.int(1))
        h.run("LPUSH", "r", "y")  // pushing keeps the TTL
        #expect(h.run("PTTL", "r") == R.int(10))
        h.now += 11
        #expect(h.run("LLEN", "r") == R.int(0))
        #expect(h.run("DEL", "l") == R.int(1))
        #expect(h.run("EXISTS", "l") == R.int(0))
    }

    @Test func largeListAgainstModel() {
        let h = ListHarness()
        h.encodings.listMaxListpackSize = 16  // many small nodes
        var model: [String] = []
        for i in 0..<500 {
            if i % 3 == 0 {
                h.run("LPUSH", "l", "v\(i)")
                model.insert("v\(i)", at: 0)
            } else {
                h.run("RPUSH", "l", "v\(i)", "w\(i)")
                model += ["v\(i)", "w\(i)"]
            }
        }
        #expect(h.run("LLEN", "l") == R.int(model.count))
        for (start, stop) in [(0, -1), (5, 40), (-30, -2), (100, 100), (333, 9999)] {
            let s = start < 0 ? model.count + start : start
            let e = min(stop < 0 ? model.count + stop : stop, model.count - 1)
            #expect(h.run("LRANGE", "l", "\(start)", "\(stop)") == bulks(Array(model[s...e])))
        }
        for i in [0, 1, 17, 500, model.count - 1] {
            #expect(h.run("LINDEX", "l", "\(i)") == R.bulk(model[i]))
            #expect(h.run("LINDEX", "l", "\(i - model.count)") == R.bulk(model[i]))
        }
        #expect(h.run("LSET", "l", "250", String(repeating: "z", count: 300)) == R.ok)
        model[250] = String(repeating: "z", count: 300)
        #expect(h.run("LINSERT", "l", "AFTER", "v99", "ins") == R.int(model.count + 1))
        model.insert("ins", at: model.firstIndex(of: "v99")! + 1)
        #expect(h.run("LTRIM", "l", "10", "-10") == R.ok)
        model = Array(model[10..<(model.count - 9)])
        #expect(h.run("LRANGE", "l", "0", "-1") == bulks(model))
        #expect(h.run("RPOP", "l", "7") == bulks(model.suffix(7).reversed()))
    }
}
