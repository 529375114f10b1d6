import Glob
import Testing
@testable import ServerConfig

@Suite("redis.conf syntax")
struct ConfigSyntaxTests {
    @Test func splitPlain() {
        #expect(ConfigSyntax.splitArgs("  save 900   1\t") == ["save", "900", "1"])
        #expect(ConfigSyntax.splitArgs("") == [])
        #expect(ConfigSyntax.splitArgs("   ") == [])
    }

    @Test func splitQuotes() {
        #expect(ConfigSyntax.splitArgs(#"requirepass "a b\"c\\d\n\x41\x4a""#) == ["requirepass", "a b\"c\\d\nAJ"])
        #expect(ConfigSyntax.splitArgs(#"x 'it\'s' "" ''"#) == ["x", "it's", "", ""])
        #expect(ConfigSyntax.splitArgs(#"x ab"cd ef"gh"#) == nil)  // closing quote followed by a letter
        #expect(ConfigSyntax.splitArgs(#"x ab"cd ef" gh"#) == ["x", "abcd ef", "gh"])
        #expect(ConfigSyntax.splitArgs(#"x "\xZZ""#) == ["x", "xZZ"])  // not hex: plain escape of 'x'
    }

    @Test func splitUnbalanced() {
        #expect(ConfigSyntax.splitArgs(#"x "abc"#) == nil)
        #expect(ConfigSyntax.splitArgs("x 'abc") == nil)
        #expect(ConfigSyntax.splitArgs(#"x "abc\"#) == nil)
        #expect(ConfigSyntax.splitArgs(#"x "a"b"#) == nil)
    }

    @Test func reprRoundTrips() {
        for s in ["", "plain", "with space", "q\"uote", "back\\slash", "nl\n\r\t", "\u{1}\u{7f}", "é"] {
            let line = "name " + ConfigSyntax.repr(s)
            #expect(ConfigSyntax.splitArgs(line) == ["name", s], "\(s)")
        }
        #expect(ConfigSyntax.repr("a b") == "\"a b\"")
        #expect(ConfigSyntax.repr("\u{1}") == "\"\\x01\"")
    }

    @Test func string2ll() {
        #expect(ConfigSyntax.parseInteger("0") == 0)
        #expect(ConfigSyntax.parseInteger("-1") == -1)
        #expect(ConfigSyntax.parseInteger("9223372036854775807") == Int64.max)
        #expect(ConfigSyntax.parseInteger("-9223372036854775808") == Int64.min)
        for bad in ["", "-", "01", "-0", "+1", " 1", "1 ", "1a", "9223372036854775808", "1.0"] {
            #expect(ConfigSyntax.parseInteger(bad) == nil, "\(bad)")
        }
    }

    @Test func memtoull() {
        #expect(ConfigSyntax.parseMemory("512mb") == 512 * 1024 * 1024)
        #expect(ConfigSyntax.parseMemory("1gb") == 1 << 30)
        #expect(ConfigSyntax.parseMemory("1GB") == 1 << 30)
        #expect(ConfigSyntax.parseMemory("100k") == 100_000)
        #expect(ConfigSyntax.parseMemory("1kb") == 1024)
        #expect(ConfigSyntax.parseMemory("2m") == 2_000_000)
        #expect(ConfigSyntax.parseMemory("3g") == 3_000_000_000)
        #expect(ConfigSyntax.parseMemory("42") == 42)
        #expect(ConfigSyntax.parseMemory("42b") == 42)
        #expect(ConfigSyntax.parseMemory("") == 0)  // as strtoull("") in C
        for bad in ["-1", "1tb", "1 mb", "mb1", "1.5gb", "18446744073709551615kb"] {
            #expect(ConfigSyntax.parseMemory(bad) == nil, "\(bad)")
        }
    }

    @Test func yesNo() {
        #expect(ConfigSyntax.parseYesNo("YES") == true)
        #expect(ConfigSyntax.parseYesNo("no") == false)
        #expect(ConfigSyntax.parseYesNo("1") == nil)
    }
}

@Suite("Redis glob matching")
struct GlobMatchTests {
    @Test func basics() {
        // stringmatchlen() never matches an empty string, not even with "*" (KEYS special-cases "*").
        #expect(!globMatch(pattern: "*", string: ""))
        #expect(globMatch(pattern: "*", string: "anything"))
        #expect(globMatch(pattern: "h?llo", string: "hello"))
        #expect(!globMatch(pattern: "h?llo", string: "hllo"))
        #expect(globMatch(pattern: "h*llo", string: "heeeello"))
        #expect(globMatch(pattern: "h[ae]llo", string: "hallo"))
        #expect(!globMatch(pattern: "h[ae]llo", string: "hillo"))
        #expect(globMatch(pattern: "h[^e]llo", string: "hallo"))
        #expect(!globMatch(pattern: "h[^e]llo", string: "hello"))
        #expect(globMatch(pattern: "h[a-b]llo", string: "hbllo"))
        #expect(globMatch(pattern: "h[b-a]llo", string: "hallo"))  // reversed range
        #expect(!globMatch(pattern: "h[a-b]llo", string: "hcllo"))
        #expect(globMatch(pattern: "a\\*b", string: "a*b"))
        #expect(!globMatch(pattern: "a\\*b", string: "axb"))
        #expect(globMatch(pattern: "[\\]]", string: "]"))
        #expect(globMatch(pattern: "abc*", string: "abc"))
        #expect(!globMatch(pattern: "abc", string: "abcd"))
        #expect(globMatch(pattern: "[abc", string: "a"))  // unterminated class, as Redis treats it
    }

    @Test func caseFolding() {
        #expect(globMatch(pattern: "MAXMEMORY*", string: "maxmemory-policy", nocase: true))
        #expect(!globMatch(pattern: "MAXMEMORY*", string: "maxmemory-policy", nocase: false))
        #expect(globMatch(pattern: "[A-C]x", string: "bx", nocase: true))
    }

    @Test func pathologicalPatternIsFast() {
        let pattern = String(repeating: "a*", count: 40) + "b"
        let string = String(repeating: "a", count: 5000)
        let clock = ContinuousClock()
        let elapsed = clock.measure {
            #expect(!globMatch(pattern: pattern, string: string))
        }
        #expect(elapsed < .seconds(2))
    }

    @Test func nestingLimit() {
        let pattern = String(repeating: "*a", count: 1100)
        let string = String(repeating: "a", count: 1100)
        // Beyond 1000 nested stars Redis gives up (no match) instead of recursing deeper.
        #expect(!globMatch(pattern: pattern, string: string))
        #expect(globMatch(pattern: String(repeating: "*a", count: 10), string: String(repeating: "a", count: 10)))
    }
}
