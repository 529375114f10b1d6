/// Redis's glob matcher (`stringmatchlen` in util.c), byte for byte: `*`, `?`, `[abc]`, `[^abc]`,
/// `[a-z]` (reversed ranges allowed), `\x` escapes, optional ASCII case folding. Like Redis 7.0.x
/// it gives up (no match) beyond 1000 nested `*` and skips retrying longer matches once the rest
/// of the pattern has failed everywhere, so abusive patterns stay linear-ish.
public func globMatch(pattern: some Collection<UInt8>, string: some Collection<UInt8>, nocase: Bool = false) -> Bool {
    let p = Array(pattern)
    let s = Array(string)
    var skipLonger = false
    return p.withUnsafeBufferPointer { pp in
        s.withUnsafeBufferPointer { sp in
            GlobMatcher(pattern: pp, string: sp, nocase: nocase).match(0, 0, &skipLonger, 0)
        }
    }
}

/// String convenience for ``globMatch(pattern:string:nocase:)`` (matches the UTF-8 bytes).
public func globMatch(pattern: String, string: String, nocase: Bool = false) -> Bool {
    globMatch(pattern: pattern.utf8, string: string.utf8, nocase: nocase)
}

/// True when `pattern` contains a glob metacharacter Redis looks for (`[`, `*`, `?`), i.e. CONFIG
/// GET should scan instead of looking the name up directly.
public func isGlobPattern(_ pattern: String) -> Bool {
    pattern.utf8.contains { $0 == UInt8(ascii: "*") || $0 == UInt8(ascii: "?") || $0 == UInt8(ascii: "[") }
}

private struct GlobMatcher {
    let pattern: UnsafeBufferPointer<UInt8>
    let string: UnsafeBufferPointer<UInt8>
    let nocase: Bool

    @inline(__always) func pat(_ i: Int) -> UInt8 { i < pattern.count ? pattern[i] : 0 }
    @inline(__always) func str(_ i: Int) -> UInt8 { i < string.count ? string[i] : 0 }
    @inline(__always) func lower(_ c: UInt8) -> UInt8 {
        (c >= UInt8(ascii: "A") && c <= UInt8(ascii: "Z")) ? c + 32 : c
    }

    /// `pi`/`si` index the pattern and the string; lengths are what remains past them.
    func match(_ startP: Int, _ startS: Int, _ skipLonger: inout Bool, _ nesting: Int) -> Bool {
        if nesting > 1000 { return false }
        var pi = startP, si = startS
        var plen = pattern.count - pi, slen = string.count - si
        while plen > 0 && slen > 0 {
            switch pat(pi) {
            case UInt8(ascii: "*"):
                while plen > 1 && pat(pi + 1) == UInt8(ascii: "*") {
                    pi += 1
                    plen -= 1
                }
                if plen == 1 { return true }
                while slen > 0 {
                    if match(pi + 1, si, &skipLonger, nesting + 1) { return true }
                    if skipLonger { return false }
                    si += 1
                    slen -= 1
                }
                skipLonger = true
                return false
            case UInt8(ascii: "?"):
                si += 1
                slen -= 1
            case UInt8(ascii: "["):
                pi += 1
                plen -= 1
                let negate = pat(pi) == UInt8(ascii: "^")
                if negate {
                    pi += 1
                    plen -= 1
                }
                var matched = false
                while true {
                    if pat(pi) == UInt8(ascii: "\\") && plen >= 2 {
                        pi += 1
                        plen -= 1
                        if pat(pi) == str(si) { matched = true }
                    } else if pat(pi) == UInt8(ascii: "]") {
                        break
                    } else if plen <= 0 {
                        pi -= 1
                        plen += 1
                        break
                    } else if plen >= 3 && pat(pi + 1) == UInt8(ascii: "-") {
                        var start = pat(pi), end = pat(pi + 2), c = str(si)
                        if start > end { swap(&start, &end) }
                        if nocase {
                            start = lower(start)
                            end = lower(end)
                            c = lower(c)
                        }
                        pi += 2
                        plen -= 2
                        if c >= start && c <= end { matched = true }
                    } else if nocase ? lower(pat(pi)) == lower(str(si)) : pat(pi) == str(si) {
                        matched = true
                    }
                    pi += 1
                    plen -= 1
                }
                if negate { matched.toggle() }
                if !matched { return false }
                si += 1
                slen -= 1
            default:
                if pat(pi) == UInt8(ascii: "\\") && plen >= 2 {
                    pi += 1
                    plen -= 1
                }
                let a = pat(pi), b = str(si)
                if nocase ? lower(a) != lower(b) : a != b { return false }
                si += 1
                slen -= 1
            }
            pi += 1
            plen -= 1
            if slen == 0 {
                while plen > 0 && pat(pi) == UInt8(ascii: "*") {
                    pi += 1
                    plen -= 1
                }
                break
            }
        }
        return plen == 0 && slen == 0
    }
}
