/// Validation and storage for the Redis directives Shoal does not implement.
///
/// They are checked exactly as redis-server 7.0 checks them (so a file Redis rejects is rejected
/// here with the same words, and CONFIG SET answers the same errors), then kept as the string
/// CONFIG GET prints (`64mb` becomes `67108864`, `YES` becomes `yes`, ...).
enum UnimplementedDirectives {
    static func set(_ entry: RedisDirective, _ args: [String], into values: inout ConfigValues, loading: Bool) throws(DirectiveError) {
        let current = values.unimplemented[entry.name] ?? entry.defaultValue
        values.unimplemented[entry.name] = try normalize(entry, args, current: current)
    }

    /// The CONFIG GET form of `args` for `entry`, or Redis's error.
    static func normalize(_ entry: RedisDirective, _ args: [String], current: String) throws(DirectiveError) -> String {
        switch entry.kind {
        case .special:
            switch entry.name {
            case "client-output-buffer-limit": return try clientOutputBufferLimit(args, current: current)
            case "replicaof": return try replicaOf(args)
            case "oom-score-adj-values": return try oomScoreAdjValues(args)
            case "notify-keyspace-events": return try notifyKeyspaceEvents(args)
            case "latency-tracking-info-percentiles": return try percentiles(args)
            default: return args.joined(separator: " ")
            }
        case .flags(let names):
            return try bitFlags(names, args)
        default:
            return try normalize(entry.kind, args[0], name: entry.name)
        }
    }

    /// One value of a plain kind, as the generic config.c setters parse it.
    static func normalize(_ kind: DirectiveKind, _ value: String, name: String) throws(DirectiveError) -> String {
        switch kind {
        case .bool:
            guard let b = ConfigSyntax.parseYesNo(value) else { throw DirectiveError("argument must be 'yes' or 'no'") }
            return b ? "yes" : "no"

        case .integer(let min, let max, let unsigned):
            guard let n = ConfigSyntax.parseInteger(value) else {
                throw DirectiveError("argument couldn't be parsed into an integer")
            }
            try ConfigDirective.checkBounds(n, min: min, max: max, unsigned: unsigned)
            return String(n)

        case .memory(let min, let max, let unsigned):
            guard let bytes = ConfigSyntax.parseMemory(value) else { throw DirectiveError("argument must be a memory value") }
            try ConfigDirective.checkBounds(Int64(bitPattern: bytes), min: min, max: max, unsigned: unsigned)
            return String(bytes)

        case .memoryOrPercent(let min, let max):
            let n: Int64
            if let bytes = ConfigSyntax.parseMemory(value) {
                n = Int64(bitPattern: bytes)
            } else if value.utf8.count > 1, value.hasSuffix("%"), let p = ConfigSyntax.parseInteger(String(value.dropLast())), p >= 0 {
                n = -p  // Redis stores percentages as negative numbers
            } else {
                throw DirectiveError("argument must be a memory or percent value")
            }
            if n < 0 {
                if n < min { throw DirectiveError("percentage argument must be less or equal to \(-min)") }
                return "\(-n)%"
            }
            try ConfigDirective.checkBounds(n, min: min, max: max, unsigned: false)
            return String(UInt64(bitPattern: n))

        case .octal(let min, let max):
            guard let n = Int64(value, radix: 8) else {
                throw DirectiveError("argument couldn't be parsed as an octal number")
            }
            let u = UInt64(bitPattern: n)
            if u < UInt64(bitPattern: min) || u > UInt64(bitPattern: max) {
                throw DirectiveError(
                    "argument must be between \(String(min, radix: 8)) and \(String(max, radix: 8)) inclusive")
            }
            return String(n, radix: 8)

        case .enumeration(let names):
            let wanted = value.lowercased()
            guard names.contains(wanted) else {
                throw DirectiveError("argument(s) must be one of the following: " + names.joined(separator: ", "))
            }
            // oom-score-adj: "relative" is another name of "yes" and reads back as "yes".
            return name == "oom-score-adj" && wanted == "relative" ? "yes" : wanted

        case .string:
            if let reason = validateString(name, value) { throw DirectiveError(reason) }
            return value

        case .flags(let names):
            return try bitFlags(names, [value])

        case .special:
            return value
        }
    }

    /// The string validators of config.c for directives Shoal does not implement.
    static func validateString(_ name: String, _ value: String) -> String? {
        switch name {
        case "appenddirname":
            if value.isEmpty { return "appenddirname can't be empty" }
            if value.contains("/") { return "appenddirname can't be a path, just a dirname" }
        default:
            break
        }
        return nil
    }

    /// A bit-flag enum: the first name is 0, the others are successive bits. CONFIG GET lists the
    /// set flags in declaration order, or the zero name.
    static func bitFlags(_ names: [String], _ args: [String]) throws(DirectiveError) -> String {
        var bits = 0
        for arg in args {
            guard let index = names.firstIndex(of: arg.lowercased()) else {
                throw DirectiveError("argument(s) must be one of the following: " + names.joined(separator: ", "))
            }
            if index > 0 { bits |= 1 << (index - 1) }
        }
        if bits == 0 { return names[0] }
        return names.indices.dropFirst().filter { bits & (1 << ($0 - 1)) != 0 }.map { names[$0] }.joined(separator: " ")
    }

    /// `updateClientOutputBufferLimit`: `<class> <hard> <soft> <seconds>` groups, merged per class.
    static func clientOutputBufferLimit(_ args: [String], current: String) throws(DirectiveError) -> String {
        guard args.count % 4 == 0 else {
            throw DirectiveError("Wrong number of arguments in buffer limit configuration.")
        }
        let classes = ["normal", "slave", "pubsub"]
        var limits: [String: [String]] = [:]
        let parts = current.split(separator: " ").map(String.init)
        var i = 0
        while i + 3 < parts.count {
            limits[parts[i]] = Array(parts[i + 1...i + 3])
            i += 4
        }
        i = 0
        var updates: [String: [String]] = [:]
        while i < args.count {
            var cls = args[i].lowercased()
            if cls == "replica" { cls = "slave" }
            guard classes.contains(cls) else {
                throw DirectiveError("Invalid client class specified in buffer limit configuration.")
            }
            guard let hard = ConfigSyntax.parseMemory(args[i + 1]), let soft = ConfigSyntax.parseMemory(args[i + 2]),
                  let seconds = ConfigDirective.strtollWhole(args[i + 3]), seconds >= 0
            else { throw DirectiveError("Error in hard, soft or soft_seconds setting in buffer limit configuration.") }
            updates[cls] = [String(hard), String(soft), String(seconds)]
            i += 4
        }
        limits.merge(updates) { $1 }
        return classes.map { ([$0] + (limits[$0] ?? ["0", "0", "0"])).joined(separator: " ") }.joined(separator: " ")
    }

    /// `replicaof <host> <port>` / `replicaof no one`.
    static func replicaOf(_ args: [String]) throws(DirectiveError) -> String {
        guard args.count == 2 else { throw DirectiveError("wrong number of arguments") }
        if args[0].lowercased() == "no" && args[1].lowercased() == "one" { return "" }
        guard let port = ConfigDirective.strtollWhole(args[1]), (0...65535).contains(port) else {
            throw DirectiveError("Invalid master port")
        }
        return "\(args[0]) \(port)"
    }

    /// `oom-score-adj-values <master> <replica> <bgchild>`, each -2000...2000.
    static func oomScoreAdjValues(_ args: [String]) throws(DirectiveError) -> String {
        guard args.count == 3 else { throw DirectiveError("wrong number of arguments") }
        var out: [String] = []
        for arg in args {
            guard let v = ConfigDirective.strtollWhole(arg), (-2000...2000).contains(v) else {
                throw DirectiveError("Invalid oom-score-adj-values, elements must be between -2000 and 2000.")
            }
            out.append(String(v))
        }
        return out.joined(separator: " ")
    }

    /// `notify-keyspace-events` classes, printed back in Redis's canonical order.
    static func notifyKeyspaceEvents(_ args: [String]) throws(DirectiveError) -> String {
        guard args.count == 1 else { throw DirectiveError("wrong number of arguments") }
        let classes = Array("g$lshzxetd")  // what 'A' stands for
        var set = Set<Character>()
        for c in args[0] {
            switch c {
            case "A": set.formUnion(classes)
            case "g", "$", "l", "s", "h", "z", "x", "e", "K", "E", "t", "m", "d", "n": set.insert(c)
            default: throw DirectiveError("Invalid event class character. Use 'Ag$lshzxeKEtmdn'.")
            }
        }
        var out = ""
        if classes.allSatisfy(set.contains) {
            out = "A"
        } else {
            for c in "g$lshzxetdn" where set.contains(c) { out.append(c) }
        }
        for c in "KEm" where set.contains(c) { out.append(c) }
        return out
    }

    /// `latency-tracking-info-percentiles`: doubles in 0...100; `""` for none.
    static func percentiles(_ args: [String]) throws(DirectiveError) -> String {
        if args.count == 1 && args[0].isEmpty { return "" }
        var out: [String] = []
        for arg in args {
            guard let first = arg.utf8.first, !ConfigSyntax.isSpace(first), let d = Double(arg), !d.isNaN else {
                throw DirectiveError("Invalid latency-tracking-info-percentiles parameters")
            }
            guard d >= 0, d <= 100 else {
                throw DirectiveError("latency-tracking-info-percentiles parameters should sit between [0.0,100.0]")
            }
            out.append(formatPercentile(d))
        }
        return out.joined(separator: " ")
    }

    /// `%f` with trailing zeros (and a trailing dot) removed, as `trimDoubleString` does.
    static func formatPercentile(_ d: Double) -> String {
        let micros = Int64((d * 1_000_000).rounded())
        let whole = micros / 1_000_000
        var fraction = String(micros % 1_000_000)
        fraction = String(repeating: "0", count: 6 - fraction.count) + fraction
        while fraction.hasSuffix("0") { fraction.removeLast() }
        return fraction.isEmpty ? String(whole) : "\(whole).\(fraction)"
    }
}
