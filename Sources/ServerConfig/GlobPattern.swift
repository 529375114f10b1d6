/// True when `pattern` contains a glob metacharacter Redis looks for (`[`, `*`, `?`), i.e. CONFIG
/// GET should scan instead of looking the name up directly.
public func isGlobPattern(_ pattern: String) -> Bool {
    pattern.utf8.contains { $0 == UInt8(ascii: "*") || $0 == UInt8(ascii: "?") || $0 == UInt8(ascii: "[") }
}
