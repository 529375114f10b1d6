import Keyspace
import RESP

/// `COMMAND DOCS` argument shapes (Redis 7.0's `src/commands/*.json`).
private typealias Arg = CommandArgument
private let keyArg = Arg("key", .key)
private let elements = Arg("element", .string, multiple: true)
private let pushComplexity =
    "O(1) for each element added, so O(N) to add N elements when the command is called with multiple arguments."
private func side(_ name: String) -> Arg {
    Arg(name, .oneof, arguments: [Arg("left", .pureToken, token: "LEFT"), Arg("right", .pureToken, token: "RIGHT")])
}
private let moveArguments = [Arg("source", .key), Arg("destination", .key, keySpecIndex: 1), side("wherefrom"), side("whereto")]
private let mpopTail = [
    Arg("key", .key, multiple: true), side("where"), Arg("count", .integer, token: "COUNT", optional: true),
]
private let oneKey = KeyPositions(first: 1, last: 1, step: 1)
private let twoKeys = KeyPositions(first: 1, last: 2, step: 1)

/// The list commands (Redis 7.0 `t_list.c` semantics).
public let listCommands: [CommandSpec] = [
    CommandSpec(
        name: "lpush", arity: -3, flags: ["write", "denyoom", "fast"], keys: oneKey, aclCategories: ["list"],
        summary: "Prepend one or multiple elements to a list", since: "1.0.0", group: "list",
        complexity: pushComplexity, arguments: [keyArg, elements],
        handler: { ListCommands.push(&$0, front: true, onlyIfExists: false) }),
    CommandSpec(
        name: "rpush", arity: -3, flags: ["write", "denyoom", "fast"], keys: oneKey, aclCategories: ["list"],
        summary: "Append one or multiple elements to a list", since: "1.0.0", group: "list",
        complexity: pushComplexity, arguments: [keyArg, elements],
        handler: { ListCommands.push(&$0, front: false, onlyIfExists: false) }),
    CommandSpec(
        name: "lpushx", arity: -3, flags: ["write", "denyoom", "fast"], keys: oneKey, aclCategories: ["list"],
        summary: "Prepend an element to a list, only if the list exists", since: "2.2.0", group: "list",
        complexity: pushComplexity, arguments: [keyArg, elements],
        handler: { ListCommands.push(&$0, front: true, onlyIfExists: true) }),
    CommandSpec(
        name: "rpushx", arity: -3, flags: ["write", "denyoom", "fast"], keys: oneKey, aclCategories: ["list"],
        summary: "Append an element to a list, only if the list exists", since: "2.2.0", group: "list",
        complexity: pushComplexity, arguments: [keyArg, elements],
        handler: { ListCommands.push(&$0, front: false, onlyIfExists: true) }),
    CommandSpec(
        name: "lpop", arity: -2, flags: ["write", "fast"], keys: oneKey, aclCategories: ["list"],
        summary: "Remove and get the first elements in a list", since: "1.0.0", group: "list",
        complexity: "O(N) where N is the number of elements returned",
        arguments: [keyArg, Arg("count", .integer, optional: true, since: "6.2.0")],
        handler: { ListCommands.pop(&$0, front: true) }),
    CommandSpec(
        name: "rpop", arity: -2, flags: ["write", "fast"], keys: oneKey, aclCategories: ["list"],
        summary: "Remove and get the last elements in a list", since: "1.0.0", group: "list",
        complexity: "O(N) where N is the number of elements returned",
        arguments: [keyArg, Arg("count", .integer, optional: true, since: "6.2.0")],
        handler: { ListCommands.pop(&$0, front: false) }),
    CommandSpec(
        name: "llen", arity: 2, flags: ["readonly", "fast"], keys: oneKey, aclCategories: ["list"],
        summary: "Get the length of a list", since: "1.0.0", group: "list", arguments: [keyArg],
        handler: ListCommands.llen),
    CommandSpec(
        name: "lrange", arity: 4, flags: ["readonly"], keys: oneKey, aclCategories: ["list"],
        summary: "Get a range of elements from a list", since: "1.0.0", group: "list",
        complexity: "O(S+N) where S is the distance of start offset from HEAD for small lists, from nearest end (HEAD or TAIL) for large lists; and N is the number of elements in the specified range.",
        arguments: [keyArg, Arg("start", .integer), Arg("stop", .integer)],
        handler: ListCommands.lrange),
    CommandSpec(
        name: "lindex", arity: 3, flags: ["readonly"], keys: oneKey, aclCategories: ["list"],
        summary: "Get an element from a list by its index", since: "1.0.0", group: "list",
        complexity: "O(N) where N is the number of elements to traverse to get to the element at index. This makes asking for the first or the last element of the list O(1).",
        arguments: [keyArg, Arg("index", .integer)],
        handler: ListCommands.lindex),
    CommandSpec(
        name: "lset", arity: 4, flags: ["write", "denyoom"], keys: oneKey, aclCategories: ["list"],
        summary: "Set the value of an element in a list by its index", since: "1.0.0", group: "list",
        complexity: "O(N) where N is the length of the list. Setting either the first or the last element of the list is O(1).",
        arguments: [keyArg, Arg("index", .integer), Arg("element", .string)],
        handler: ListCommands.lset),
    CommandSpec(
        name: "linsert", arity: 5, flags: ["write", "denyoom"], keys: oneKey, aclCategories: ["list"],
        summary: "Insert an element before or after another element in a list", since: "2.2.0", group: "list",
        complexity: "O(N) where N is the number of elements to traverse before seeing the value pivot. This means that inserting somewhere on the left end on the list (head) can be considered O(1) and inserting somewhere on the right end (tail) is O(N).",
        arguments: [
            keyArg,
            Arg("where", .oneof, arguments: [
                Arg("before", .pureToken, token: "BEFORE"), Arg("after", .pureToken, token: "AFTER"),
            ]),
            Arg("pivot", .string), Arg("element", .string),
        ],
        handler: ListCommands.linsert),
    CommandSpec(
        name: "lrem", arity: 4, flags: ["write"], keys: oneKey, aclCategories: ["list"],
        summary: "Remove elements from a list", since: "1.0.0", group: "list",
        complexity: "O(N+M) where N is the length of the list and M is the number of elements removed.",
        arguments: [keyArg, Arg("count", .integer), Arg("element", .string)],
        handler: ListCommands.lrem),
    CommandSpec(
        name: "ltrim", arity: 4, flags: ["write"], keys: oneKey, aclCategories: ["list"],
        summary: "Trim a list to the specified range", since: "1.0.0", group: "list",
        complexity: "O(N) where N is the number of elements to be removed by the operation.",
        arguments: [keyArg, Arg("start", .integer), Arg("stop", .integer)],
        handler: ListCommands.ltrim),
    CommandSpec(
        name: "lpos", arity: -3, flags: ["readonly"], keys: oneKey, aclCategories: ["list"],
        summary: "Return the index of matching elements on a list", since: "6.0.6", group: "list",
        complexity: "O(N) where N is the number of elements in the list, for the average case. When searching for elements near the head or the tail of the list, or when the MAXLEN option is provided, the command may run in constant time.",
        arguments: [
            keyArg, Arg("element", .string),
            Arg("rank", .integer, token: "RANK", optional: true),
            Arg("num-matches", .integer, token: "COUNT", optional: true),
            Arg("len", .integer, token: "MAXLEN", optional: true),
        ],
        handler: ListCommands.lpos),
    CommandSpec(
        name: "lmove", arity: 5, flags: ["write", "denyoom"], keys: twoKeys, aclCategories: ["list"],
        summary: "Pop an element from a list, push it to another list and return it", since: "6.2.0", group: "list",
        arguments: moveArguments,
        handler: ListCommands.lmove),
    CommandSpec(
        name: "rpoplpush", arity: 3, flags: ["write", "denyoom"], keys: twoKeys, aclCategories: ["list"],
        summary: "Remove the last element in a list, prepend it to another list and return it", since: "1.2.0",
        group: "list", arguments: [Arg("source", .key), Arg("destination", .key, keySpecIndex: 1)],
        handler: ListCommands.rpoplpush),
    CommandSpec(
        name: "lmpop", arity: -4, flags: ["write", "movablekeys"],
        keys: KeyPositions(first: 0, last: 0, step: 0, finder: { ListCommands.mpopKeys($0, numkeysIndex: 1) }),
        aclCategories: ["list"], summary: "Pop elements from a list", since: "7.0.0", group: "list",
        complexity: "O(N+M) where N is the number of provided keys and M is the number of elements returned.",
        arguments: [Arg("numkeys", .integer)] + mpopTail,
        handler: { ListCommands.lmpop(&$0, blocking: false) }),
    CommandSpec(
        name: "blpop", arity: -3, flags: ["write", "noscript", "blocking"], keys: KeyPositions(first: 1, last: -2, step: 1),
        aclCategories: ["list"],
        summary: "Remove and get the first element in a list, or block until one is available", since: "2.0.0",
        group: "list", complexity: "O(N) where N is the number of provided keys.",
        arguments: [Arg("key", .key, multiple: true), Arg("timeout", .double)],
        handler: { ListCommands.blockingPop(&$0, front: true) }),
    CommandSpec(
        name: "brpop", arity: -3, flags: ["write", "noscript", "blocking"], keys: KeyPositions(first: 1, last: -2, step: 1),
        aclCategories: ["list"],
        summary: "Remove and get the last element in a list, or block until one is available", since: "2.0.0",
        group: "list", complexity: "O(N) where N is the number of provided keys.",
        arguments: [Arg("key", .key, multiple: true), Arg("timeout", .double)],
        handler: { ListCommands.blockingPop(&$0, front: false) }),
    CommandSpec(
        name: "blmove", arity: 6, flags: ["write", "denyoom", "noscript", "blocking"], keys: twoKeys,
        aclCategories: ["list"],
        summary: "Pop an element from a list, push it to another list and return it; or block until one is available",
        since: "6.2.0", group: "list", arguments: moveArguments + [Arg("timeout", .double)],
        handler: ListCommands.blmove),
    CommandSpec(
        name: "brpoplpush", arity: 4, flags: ["write", "denyoom", "noscript", "blocking"], keys: twoKeys,
        aclCategories: ["list"],
        summary: "Pop an element from a list, push it to another list and return it; or block until one is available",
        since: "2.2.0", group: "list",
        arguments: [Arg("source", .key), Arg("destination", .key, keySpecIndex: 1), Arg("timeout", .double)],
        handler: ListCommands.brpoplpush),
    CommandSpec(
        name: "blmpop", arity: -5, flags: ["write", "blocking", "movablekeys"],
        keys: KeyPositions(first: 0, last: 0, step: 0, finder: { ListCommands.mpopKeys($0, numkeysIndex: 2) }),
        aclCategories: ["list"], summary: "Pop elements from a list, or block until one is available", since: "7.0.0",
        group: "list",
        complexity: "O(N+M) where N is the number of provided keys and M is the number of elements returned.",
        arguments: [Arg("timeout", .double), Arg("numkeys", .integer)] + mpopTail,
        handler: { ListCommands.lmpop(&$0, blocking: true) }),
]
