import Commands
import RESP

/// The command table: every command the node knows, found by name without allocating.
///
/// Names are looked up in an open-addressing index keyed by a case-folded hash of the name bytes,
/// then confirmed with a case-insensitive comparison, so `GET`, `get` and `Get` cost the same few
/// dozen instructions.
final class CommandTable: @unchecked Sendable {
    /// What dispatch needs of a command, without the documentation fields: copying a whole
    /// `CommandSpec` per request would cost a dozen reference-count operations.
    struct Entry {
        let arity: Int
        let access: KeyspaceAccess
        let needsAuth: Bool
        /// The `write` flag: refused on replicas and while the cluster is down.
        let isWrite: Bool
        let keys: KeyPositions
        /// The argument index of the only key, when the command has exactly one at a fixed
        /// position (GET, SET, HSET ...); 0 otherwise.
        let singleKeyIndex: Int
        let handler: CommandHandler
        let subcommands: CommandTable?
        let name: String
        /// How the AOF logs it (decided once here, not by name per command).
        let propagation: PropagationRule
        /// The ASKING command itself, which must not consume the flag it sets.
        var isAsking: Bool { name == "asking" }
        /// MIGRATE runs on the source of an open slot whatever keys it lacks.
        var isMigrate: Bool { name == "migrate" }
        /// Redis's `asking` command flag (RESTORE-ASKING): acts as if ASKING had been sent.
        var impliesAsking: Bool { name == "restore-asking" }
    }

    let commands: [CommandSpec]
    let entries: UnsafeMutablePointer<Entry>
    /// Subcommands of container commands (OBJECT, CONFIG, CLIENT ...), by container index.
    private let subcommandTables: [CommandTable?]
    private let names: [[UInt8]]
    private let index: UnsafeMutablePointer<Int32>
    private let mask: Int

    init(_ commands: [CommandSpec]) {
        self.commands = commands.sorted { $0.name < $1.name }
        self.names = self.commands.map { Array($0.name.lowercased().utf8) }
        self.subcommandTables = self.commands.map { $0.subcommands.isEmpty ? nil : CommandTable($0.subcommands) }
        entries = .allocate(capacity: self.commands.count)
        for (i, spec) in self.commands.enumerated() {
            (entries + i).initialize(to: Entry(
                arity: spec.arity, access: spec.access, needsAuth: !spec.flags.contains("no_auth"),
                isWrite: spec.flags.contains("write"),
                keys: spec.keys,
                singleKeyIndex: spec.keys.isSingleFixedKey ? spec.keys.first : 0, handler: spec.handler, subcommands: subcommandTables[i], name: spec.name,
                propagation: PropagationRule(command: spec.name)))
        }
        var capacity = 16
        while capacity < commands.count * 4 { capacity *= 2 }
        mask = capacity - 1
        index = .allocate(capacity: capacity)
        index.initialize(repeating: -1, count: capacity)
        for (i, name) in names.enumerated() {
            let found = name.withUnsafeBytes { lookup($0) }
            precondition(found == nil, "duplicate command \(self.commands[i].name)")
            var slot = name.withUnsafeBytes { CommandTable.hash($0) } & mask
            while index[slot] >= 0 { slot = (slot + 1) & mask }
            index[slot] = Int32(i)
        }
    }

    deinit {
        index.deallocate()
        entries.deinitialize(count: commands.count)
        entries.deallocate()
    }

    @inline(__always)
    static func hash(_ name: UnsafeRawBufferPointer) -> Int {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in name {
            h = (h ^ UInt64(byte | 0x20)) &* 0x100_0000_01b3
        }
        return Int(truncatingIfNeeded: h ^ (h >> 29))
    }

    /// The position of the command called `name` (any case), or nil.
    @inline(__always)
    func lookup(_ name: UnsafeRawBufferPointer) -> Int? {
        if name.count > 32 || name.isEmpty { return nil }
        var slot = CommandTable.hash(name) & mask
        while true {
            let i = Int(index[slot])
            if i < 0 { return nil }
            if CommandTable.sameName(names[i], name) { return i }
            slot = (slot + 1) & mask
        }
    }

    @inline(__always)
    private static func sameName(_ lower: [UInt8], _ name: UnsafeRawBufferPointer) -> Bool {
        guard lower.count == name.count else { return false }
        return lower.withUnsafeBufferPointer { l in
            for i in 0..<name.count {
                var c = name[i]
                if c >= 0x41 && c <= 0x5A { c |= 0x20 }
                if c != l[i] { return false }
            }
            return true
        }
    }

    func subcommands(of position: Int) -> CommandTable? { subcommandTables[position] }

    func spec(named name: String) -> CommandSpec? {
        var name = name
        return name.withUTF8 { lookup(UnsafeRawBufferPointer($0)) }.map { commands[$0] }
    }
}
