import Testing
import Glob

@Suite struct GlobTests {
    @Test(arguments: [
        // Redis quirk: stringmatchlen("*", "") is false (KEYS/SCAN special-case a lone "*").
        ("*", "", false), ("*", "anything", true), ("", "", true), ("", "a", false),
        ("h?llo", "hello", true), ("h?llo", "hallo", true), ("h?llo", "hllo", false),
        ("h*llo", "hllo", true), ("h*llo", "heeeello", true), ("h*llo", "hello world", false),
        ("h[ae]llo", "hello", true), ("h[ae]llo", "hallo", true), ("h[ae]llo", "hillo", false),
        ("h[^e]llo", "hallo", true), ("h[^e]llo", "hello", false),
        ("h[a-b]llo", "hallo", true), ("h[a-b]llo", "hbllo", true), ("h[a-b]llo", "hcllo", false),
        ("h[b-a]llo", "hallo", true),  // reversed range
        ("h\\*llo", "h*llo", true), ("h\\*llo", "hello", false),
        ("[\\]]", "]", true), ("[\\-]", "-", true),
        ("a*b*c", "aXXbYYc", true), ("a*b*c", "aXXbYY", false),
        ("*.txt", "file.txt", true), ("*.txt", "file.txt.bak", false),
        ("user:*:name", "user:1000:name", true), ("user:*:name", "user:1000:email", false),
        ("[abc", "a", true),  // unterminated class
        ("[abc", "ab", false),
        ("a\\", "a\\", true),  // trailing backslash is literal
        ("***a", "bbba", true),
        ("a*", "a", true), ("a**", "a", true), ("?", "", false),
    ])
    func cases(_ pattern: String, _ string: String, _ expected: Bool) {
        #expect(globMatch(pattern: pattern, string: string) == expected)
    }

    @Test func nocase() {
        #expect(globMatch(pattern: "HeLLo", string: "hello", nocase: true))
        #expect(!globMatch(pattern: "HeLLo", string: "hello", nocase: false))
        #expect(globMatch(pattern: "h[A-Z]llo", string: "hello", nocase: true))
        #expect(globMatch(pattern: "[A]", string: "a", nocase: true))
    }

    @Test func binarySafe() {
        let pattern: [UInt8] = [0x00, 0x2A, 0xFF]  // "\0*\xff"
        let s: [UInt8] = [0x00, 0x01, 0x02, 0xFF]
        let r = pattern.withUnsafeBytes { p in s.withUnsafeBytes { globMatch(pattern: p, string: $0) } }
        #expect(r)
    }

    @Test func pathologicalPatternTerminatesQuickly() {
        let pattern = String(repeating: "a*", count: 30) + "b"
        let string = String(repeating: "a", count: 60)
        #expect(!globMatch(pattern: pattern, string: string))
    }
}
