/// Glob-style matching (KEYS, SCAN MATCH, CONFIG GET, COMMAND LIST) with Redis's
/// `stringmatchlen` semantics, over raw bytes: `*` any run, `?` one byte, `[abc]` / `[^abc]` / `[a-z]` classes (reversed ranges allowed,
/// an unterminated class ends at the pattern's end), `\x` a literal `x`; `nocase` folds ASCII.
public func globMatch(pattern: UnsafeRawBufferPointer, string: UnsafeRawBufferPointer, nocase: Bool = false) -> Bool {
    var skipLongerMatches = false
    return globMatch(pattern, 0, string, 0, nocase, &skipLongerMatches, depth: 0)
}

/// Convenience for tests and cold paths.
public func globMatch(pattern: String, string: String, nocase: Bool = false) -> Bool {
    var p = pattern
    var s = string
    return p.withUTF8 { pp in
        s.withUTF8 { ss in
            globMatch(pattern: UnsafeRawBufferPointer(pp), string: UnsafeRawBufferPointer(ss), nocase: nocase)
        }
    }
}

@inline(__always)
private func lower(_ c: UInt8) -> UInt8 {
    (c >= 0x41 && c <= 0x5A) ? c | 0x20 : c
}

private func globMatch(
    _ pattern: UnsafeRawBufferPointer, _ pStart: Int, _ string: UnsafeRawBufferPointer, _ sStart: Int,
    _ nocase: Bool, _ skipLongerMatches: inout Bool, depth: Int
) -> Bool {
    // Redis bounds the recursion (1000 nested stars); past that the pattern does not match.
    if depth > 1000 { return false }
    var p = pStart
    var s = sStart
    let pn = pattern.count
    let sn = string.count
    while p < pn && s < sn {
        switch pattern[p] {
        case UInt8(ascii: "*"):
            while p + 1 < pn && pattern[p + 1] == UInt8(ascii: "*") { p += 1 }
            if p + 1 == pn { return true }
            while s < sn {
                if globMatch(pattern, p + 1, string, s, nocase, &skipLongerMatches, depth: depth + 1) { return true }
                if skipLongerMatches { return false }
                s += 1
            }
            skipLongerMatches = true
            return false
        case UInt8(ascii: "?"):
            s += 1
        case UInt8(ascii: "["):
            p += 1
            let not = p < pn && pattern[p] == UInt8(ascii: "^")
            if not { p += 1 }
            var matched = false
            let c = string[s]
            while true {
                if p < pn && pattern[p] == UInt8(ascii: "\\") && pn - p >= 2 {
                    p += 1
                    if pattern[p] == c { matched = true }
                } else if p < pn && pattern[p] == UInt8(ascii: "]") {
                    break
                } else if p >= pn {
                    p -= 1
                    break
                } else if pn - p >= 3 && pattern[p + 1] == UInt8(ascii: "-") {
                    // Redis compares as (signed) C chars.
                    var start = Int(Int8(bitPattern: pattern[p]))
                    var end = Int(Int8(bitPattern: pattern[p + 2]))
                    var ch = Int(Int8(bitPattern: c))
                    if start > end { swap(&start, &end) }
                    if nocase {
                        start = Int(Int8(bitPattern: lower(UInt8(bitPattern: Int8(start)))))
                        end = Int(Int8(bitPattern: lower(UInt8(bitPattern: Int8(end)))))
                        ch = Int(Int8(bitPattern: lower(c)))
                    }
                    p += 2
                    if ch >= start && ch <= end { matched = true }
                } else {
                    if nocase ? lower(pattern[p]) == lower(c) : pattern[p] == c { matched = true }
                }
                p += 1
            }
            if not { matched = !matched }
            if !matched { return false }
            s += 1
        case UInt8(ascii: "\\"):
            if pn - p >= 2 { p += 1 }
            if nocase ? lower(pattern[p]) != lower(string[s]) : pattern[p] != string[s] { return false }
            s += 1
        default:
            if nocase ? lower(pattern[p]) != lower(string[s]) : pattern[p] != string[s] { return false }
            s += 1
        }
        p += 1
        if s == sn {
            while p < pn && pattern[p] == UInt8(ascii: "*") { p += 1 }
            break
        }
    }
    return p == pn && s == sn
}
