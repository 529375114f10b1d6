import Testing
@testable import Persistence

@Suite struct ManifestTests {
    @Test func parsesAndReserializesRedisManifests() throws {
        for name in ["redis-preamble/appendonly.aof.manifest", "redis-plain-ts/my file.aof.manifest", "history.manifest"] {
            let text = Fixtures.bytes(name)
            let m = try AOFManifest.parse(text)
            #expect(Array(m.serialized().utf8) == text, "\(name)")
        }
    }

    @Test func redisManifestContents() throws {
        let m = try AOFManifest.parse(Fixtures.bytes("redis-preamble/appendonly.aof.manifest"))
        #expect(m.base == AOFManifestEntry(name: "appendonly.aof.2.base.rdb", seq: 2, type: .base))
        #expect(m.incrs == [AOFManifestEntry(name: "appendonly.aof.2.incr.aof", seq: 2, type: .incr)])
        #expect(m.history.isEmpty)

        let quoted = try AOFManifest.parse(Fixtures.bytes("redis-plain-ts/my file.aof.manifest"))
        #expect(quoted.base?.name == "my file.aof.2.base.aof")
        #expect(quoted.incrs.map(\.name) == ["my file.aof.2.incr.aof"])

        let h = try AOFManifest.parse(Fixtures.bytes("history.manifest"))
        #expect(h.base?.seq == 3)
        #expect(h.history.map(\.name) == ["appendonly.aof.2.incr.aof", "appendonly.aof.2.base.rdb",
                                         "appendonly.aof.1.incr.aof", "appendonly.aof.1.base.rdb"])
        #expect(h.incrs.map(\.seq) == [3])
    }

    @Test func keysInAnyOrderCommentsAndUnknownKeys() throws {
        let text = """
        # written by hand
        type b seq 1 file appendonly.aof.1.base.aof
        FILE appendonly.aof.1.incr.aof TYPE i SEQ 1 future thing
        file 'single quoted' seq 2 type incremental

        """
        let m = try AOFManifest.parse(Array(text.utf8))
        #expect(m.base?.name == "appendonly.aof.1.base.aof")
        #expect(m.incrs.map(\.name) == ["appendonly.aof.1.incr.aof", "single quoted"])
    }

    @Test func quotingRoundTrips() throws {
        var m = AOFManifest()
        let names = ["plain.aof", "with space", "quote\"and", "tab\tnew\nline", "caf\u{e9}", "\u{7}bell"]
        m.base = AOFManifestEntry(name: names[0], seq: 1, type: .base)
        for (i, n) in names.dropFirst().enumerated() { m.incrs.append(AOFManifestEntry(name: n, seq: i + 1, type: .incr)) }
        m.history = [AOFManifestEntry(name: "old one", seq: 7, type: .history)]
        let text = m.serialized()
        #expect(text.hasPrefix("file plain.aof seq 1 type b\nfile \"old one\" seq 7 type h\nfile \"with space\" seq 1 type i\n"))
        #expect(text.contains("file \"quote\\\"and\" seq 2 type i\n"))
        #expect(text.contains("file \"tab\\tnew\\nline\" seq 3 type i\n"))
        #expect(text.contains("file \"caf\\xc3\\xa9\" seq 4 type i\n"))
        #expect(text.contains("file \"\\abell\" seq 5 type i\n"))
        #expect(try AOFManifest.parse(Array(text.utf8)) == m)
        // Backslashes are escaped when written, though Redis refuses them in names (Windows paths).
        #expect(AOFManifest.quotedIfNeeded("a\\b") == "\"a\\\\b\"")
    }

    func error(_ text: String) -> String? {
        do {
            _ = try AOFManifest.parse(Array(text.utf8))
            return nil
        } catch {
            return error.description
        }
    }

    @Test func redisErrorTexts() {
        #expect(error("") == "Found an empty AOF manifest")
        #expect(error("file a seq 1 type b\n\n") == "Invalid AOF manifest file format")
        #expect(error("file a seq 1 type b") == "The AOF manifest file contains too long line")
        #expect(error("file \(String(repeating: "x", count: 1100)) seq 1 type b\n") == "The AOF manifest file contains too long line")
        #expect(error("file a seq 1\n") == "Invalid AOF manifest file format")
        #expect(error("file a seq 1 type\n") == "Invalid AOF manifest file format")
        #expect(error("file a seq x type b\n") == "Invalid AOF manifest file format")
        #expect(error("file a seq 0 type b\n") == "Invalid AOF manifest file format")
        #expect(error("file \"a seq 1 type b\n") == "Invalid AOF manifest file format")
        #expect(error("file \"a\"b seq 1 type b\n") == "Invalid AOF manifest file format")
        #expect(error("file a/b seq 1 type b\n") == "File can't be a path, just a filename")
        #expect(error("file a seq 1 type b\nfile c seq 2 type b\n") == "Found duplicate base file information")
        #expect(error("file a seq 2 type i\nfile c seq 2 type i\n") == "Found a non-monotonic sequence number")
        #expect(error("file a seq 3 type i\nfile c seq 1 type i\n") == "Found a non-monotonic sequence number")
        #expect(error("file a seq 1 type x\n") == "Unknown AOF file type")
        // Only comments: parses, lists nothing (Redis counts them as lines).
        #expect(error("# nothing\n") == nil)
    }

    @Test func errorsCarryTheLine() {
        do {
            _ = try AOFManifest.parse(Array("file a seq 1 type b\n  file c seq 2 type q  \n".utf8))
            Issue.record("expected an error")
        } catch {
            #expect(error.lineNumber == 2)
            #expect(error.lineText == "file c seq 2 type q")
        }
    }
}
