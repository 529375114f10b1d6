import Keyspace
import RESP

/// `COMMAND DOCS` argument shapes, as Redis 7.0 reports them.
private typealias Arg = CommandArgument

/// Key finders for the commands whose keys follow a `numkeys` argument (flagged `movablekeys`).
private let numkeysAt1: @Sendable (ArgumentList) -> [Int] = { SortedSetCommands.numkeysKeys($0, numkeysIndex: 1) }
private let numkeysAt2: @Sendable (ArgumentList) -> [Int] = { SortedSetCommands.numkeysKeys($0, numkeysIndex: 2) }
private let destinationThenNumkeysAt2: @Sendable (ArgumentList) -> [Int] = {
    SortedSetCommands.numkeysKeys($0, numkeysIndex: 2, firstKeyBefore: [1])
}

/// The sorted set commands (Redis 7.0 `t_zset.c` semantics). Handlers live in the
/// `SortedSet*Commands.swift` files; encodings in `Keyspace/Collections/SortedSet*.swift`.
public let sortedSetCommands: [CommandSpec] = [
    CommandSpec(
        name: "zadd", arity: -4, flags: ["write", "denyoom", "fast"], keys: KeyPositions(first: 1, last: 1, step: 1),
        aclCategories: ["sortedset"], summary: "Add one or more members to a sorted set, or update its score if it already exists", since: "1.2.0",
        group: "sorted-set", complexity: "O(log(N)) for each item added, where N is the number of elements in the sorted set.",
        arguments: [
            Arg("key", .key),
            Arg("condition", .oneof, optional: true, since: "3.0.2", arguments: [
                Arg("nx", .pureToken, token: "NX"),
                Arg("xx", .pureToken, token: "XX"),
            ]),
            Arg("comparison", .oneof, optional: true, since: "6.2.0", arguments: [
                Arg("gt", .pureToken, token: "GT"),
                Arg("lt", .pureToken, token: "LT"),
            ]),
            Arg("change", .pureToken, token: "CH", optional: true, since: "3.0.2"),
            Arg("increment", .pureToken, token: "INCR", optional: true, since: "3.0.2"),
            Arg("score_member", .block, multiple: true, arguments: [
                Arg("score", .double),
                Arg("member", .string),
            ]),
        ],
        handler: { SortedSetCommands.zadd(&$0, incr: false) }),
    CommandSpec(
        name: "zincrby", arity: 4, flags: ["write", "denyoom", "fast"], keys: KeyPositions(first: 1, last: 1, step: 1),
        aclCategories: ["sortedset"], summary: "Increment the score of a member in a sorted set", since: "1.2.0",
        group: "sorted-set", complexity: "O(log(N)) where N is the number of elements in the sorted set.",
        arguments: [
            Arg("key", .key),
            Arg("increment", .integer),
            Arg("member", .string),
        ],
        handler: { SortedSetCommands.zadd(&$0, incr: true) }),
    CommandSpec(
        name: "zrem", arity: -3, flags: ["write", "fast"], keys: KeyPositions(first: 1, last: 1, step: 1),
        aclCategories: ["sortedset"], summary: "Remove one or more members from a sorted set", since: "1.2.0",
        group: "sorted-set", complexity: "O(M*log(N)) with N being the number of elements in the sorted set and M the number of elements to be removed.",
        arguments: [
            Arg("key", .key),
            Arg("member", .string, multiple: true),
        ],
        handler: SortedSetCommands.zrem),
    CommandSpec(
        name: "zcard", arity: 2, flags: ["readonly", "fast"], keys: KeyPositions(first: 1, last: 1, step: 1),
        aclCategories: ["sortedset"], summary: "Get the number of members in a sorted set", since: "1.2.0",
        group: "sorted-set", complexity: "O(1)",
        arguments: [
            Arg("key", .key),
        ],
        handler: SortedSetCommands.zcard),
    CommandSpec(
        name: "zscore", arity: 3, flags: ["readonly", "fast"], keys: KeyPositions(first: 1, last: 1, step: 1),
        aclCategories: ["sortedset"], summary: "Get the score associated with the given member in a sorted set", since: "1.2.0",
        group: "sorted-set", complexity: "O(1)",
        arguments: [
            Arg("key", .key),
            Arg("member", .string),
        ],
        handler: SortedSetCommands.zscore),
    CommandSpec(
        name: "zmscore", arity: -3, flags: ["readonly", "fast"], keys: KeyPositions(first: 1, last: 1, step: 1),
        aclCategories: ["sortedset"], summary: "Get the score associated with the given members in a sorted set", since: "6.2.0",
        group: "sorted-set", complexity: "O(N) where N is the number of members being requested.",
        arguments: [
            Arg("key", .key),
            Arg("member", .string, multiple: true),
        ],
        handler: SortedSetCommands.zmscore),
    CommandSpec(
        name: "zrank", arity: 3, flags: ["readonly", "fast"], keys: KeyPositions(first: 1, last: 1, step: 1),
        aclCategories: ["sortedset"], summary: "Determine the index of a member in a sorted set", since: "2.0.0",
        group: "sorted-set", complexity: "O(log(N))",
        arguments: [
            Arg("key", .key),
            Arg("member", .string),
        ],
        handler: { SortedSetCommands.zrank(&$0, reverse: false) }),
    CommandSpec(
        name: "zrevrank", arity: 3, flags: ["readonly", "fast"], keys: KeyPositions(first: 1, last: 1, step: 1),
        aclCategories: ["sortedset"], summary: "Determine the index of a member in a sorted set, with scores ordered from high to low", since: "2.0.0",
        group: "sorted-set", complexity: "O(log(N))",
        arguments: [
            Arg("key", .key),
            Arg("member", .string),
        ],
        handler: { SortedSetCommands.zrank(&$0, reverse: true) }),
    CommandSpec(
        name: "zrange", arity: -4, flags: ["readonly"], keys: KeyPositions(first: 1, last: 1, step: 1),
        aclCategories: ["sortedset"], summary: "Return a range of members in a sorted set", since: "1.2.0",
        group: "sorted-set", complexity: "O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements returned.",
        arguments: [
            Arg("key", .key),
            Arg("start", .string),
            Arg("stop", .string),
            Arg("sortby", .oneof, optional: true, since: "6.2.0", arguments: [
                Arg("byscore", .pureToken, token: "BYSCORE"),
                Arg("bylex", .pureToken, token: "BYLEX"),
            ]),
            Arg("rev", .pureToken, token: "REV", optional: true, since: "6.2.0"),
            Arg("offset_count", .block, token: "LIMIT", optional: true, since: "6.2.0", arguments: [
                Arg("offset", .integer),
                Arg("count", .integer),
            ]),
            Arg("withscores", .pureToken, token: "WITHSCORES", optional: true),
        ],
        handler: { SortedSetCommands.zrange(&$0, keyIndex: 1, store: false, kind: .auto, direction: .auto) }),
    CommandSpec(
        name: "zrevrange", arity: -4, flags: ["readonly"], keys: KeyPositions(first: 1, last: 1, step: 1),
        aclCategories: ["sortedset"], summary: "Return a range of members in a sorted set, by index, with scores ordered from high to low", since: "1.2.0",
        group: "sorted-set", complexity: "O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements returned.",
        arguments: [
            Arg("key", .key),
            Arg("start", .integer),
            Arg("stop", .integer),
            Arg("withscores", .pureToken, token: "WITHSCORES", optional: true),
        ],
        handler: { SortedSetCommands.zrange(&$0, keyIndex: 1, store: false, kind: .rank, direction: .reverse) }),
    CommandSpec(
        name: "zrangebyscore", arity: -4, flags: ["readonly"], keys: KeyPositions(first: 1, last: 1, step: 1),
        aclCategories: ["sortedset"], summary: "Return a range of members in a sorted set, by score", since: "1.0.5",
        group: "sorted-set", complexity: "O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements being returned. If M is constant (e.g. always asking for the first 10 elements with LIMIT), you can consider it O(log(N)).",
        arguments: [
            Arg("key", .key),
            Arg("min", .double),
            Arg("max", .double),
            Arg("withscores", .pureToken, token: "WITHSCORES", optional: true, since: "2.0.0"),
            Arg("offset_count", .block, token: "LIMIT", optional: true, arguments: [
                Arg("offset", .integer),
                Arg("count", .integer),
            ]),
        ],
        handler: { SortedSetCommands.zrange(&$0, keyIndex: 1, store: false, kind: .score, direction: .forward) }),
    CommandSpec(
        name: "zrevrangebyscore", arity: -4, flags: ["readonly"], keys: KeyPositions(first: 1, last: 1, step: 1),
        aclCategories: ["sortedset"], summary: "Return a range of members in a sorted set, by score, with scores ordered from high to low", since: "2.2.0",
        group: "sorted-set", complexity: "O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements being returned. If M is constant (e.g. always asking for the first 10 elements with LIMIT), you can consider it O(log(N)).",
        arguments: [
            Arg("key", .key),
            Arg("max", .double),
            Arg("min", .double),
            Arg("withscores", .pureToken, token: "WITHSCORES", optional: true),
            Arg("offset_count", .block, token: "LIMIT", optional: true, arguments: [
                Arg("offset", .integer),
                Arg("count", .integer),
            ]),
        ],
        handler: { SortedSetCommands.zrange(&$0, keyIndex: 1, store: false, kind: .score, direction: .reverse) }),
    CommandSpec(
        name: "zrangebylex", arity: -4, flags: ["readonly"], keys: KeyPositions(first: 1, last: 1, step: 1),
        aclCategories: ["sortedset"], summary: "Return a range of members in a sorted set, by lexicographical range", since: "2.8.9",
        group: "sorted-set", complexity: "O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements being returned. If M is constant (e.g. always asking for the first 10 elements with LIMIT), you can consider it O(log(N)).",
        arguments: [
            Arg("key", .key),
            Arg("min", .string),
            Arg("max", .string),
            Arg("offset_count", .block, token: "LIMIT", optional: true, arguments: [
                Arg("offset", .integer),
                Arg("count", .integer),
            ]),
        ],
        handler: { SortedSetCommands.zrange(&$0, keyIndex: 1, store: false, kind: .lex, direction: .forward) }),
    CommandSpec(
        name: "zrevrangebylex", arity: -4, flags: ["readonly"], keys: KeyPositions(first: 1, last: 1, step: 1),
        aclCategories: ["sortedset"], summary: "Return a range of members in a sorted set, by lexicographical range, ordered from higher to lower strings.", since: "2.8.9",
        group: "sorted-set", complexity: "O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements being returned. If M is constant (e.g. always asking for the first 10 elements with LIMIT), you can consider it O(log(N)).",
        arguments: [
            Arg("key", .key),
            Arg("max", .string),
            Arg("min", .string),
            Arg("offset_count", .block, token: "LIMIT", optional: true, arguments: [
                Arg("offset", .integer),
                Arg("count", .integer),
            ]),
        ],
        handler: { SortedSetCommands.zrange(&$0, keyIndex: 1, store: false, kind: .lex, direction: .reverse) }),
    CommandSpec(
        name: "zrangestore", arity: -5, flags: ["write", "denyoom"], keys: KeyPositions(first: 1, last: 2, step: 1),
        aclCategories: ["sortedset"], summary: "Store a range of members from sorted set into another key", since: "6.2.0",
        group: "sorted-set", complexity: "O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements stored into the destination key.",
        arguments: [
            Arg("dst", .key),
            Arg("src", .key, keySpecIndex: 1),
            Arg("min", .string),
            Arg("max", .string),
            Arg("sortby", .oneof, optional: true, arguments: [
                Arg("byscore", .pureToken, token: "BYSCORE"),
                Arg("bylex", .pureToken, token: "BYLEX"),
            ]),
            Arg("rev", .pureToken, token: "REV", optional: true),
            Arg("offset_count", .block, token: "LIMIT", optional: true, arguments: [
                Arg("offset", .integer),
                Arg("count", .integer),
            ]),
        ],
        handler: { SortedSetCommands.zrange(&$0, keyIndex: 2, store: true, kind: .auto, direction: .auto) }),
    CommandSpec(
        name: "zcount", arity: 4, flags: ["readonly", "fast"], keys: KeyPositions(first: 1, last: 1, step: 1),
        aclCategories: ["sortedset"], summary: "Count the members in a sorted set with scores within the given values", since: "2.0.0",
        group: "sorted-set", complexity: "O(log(N)) with N being the number of elements in the sorted set.",
        arguments: [
            Arg("key", .key),
            Arg("min", .double),
            Arg("max", .double),
        ],
        handler: SortedSetCommands.zcount),
    CommandSpec(
        name: "zlexcount", arity: 4, flags: ["readonly", "fast"], keys: KeyPositions(first: 1, last: 1, step: 1),
        aclCategories: ["sortedset"], summary: "Count the number of members in a sorted set between a given lexicographical range", since: "2.8.9",
        group: "sorted-set", complexity: "O(log(N)) with N being the number of elements in the sorted set.",
        arguments: [
            Arg("key", .key),
            Arg("min", .string),
            Arg("max", .string),
        ],
        handler: SortedSetCommands.zlexcount),
    CommandSpec(
        name: "zpopmin", arity: -2, flags: ["write", "fast"], keys: KeyPositions(first: 1, last: 1, step: 1),
        aclCategories: ["sortedset"], summary: "Remove and return members with the lowest scores in a sorted set", since: "5.0.0",
        group: "sorted-set", complexity: "O(log(N)*M) with N being the number of elements in the sorted set, and M being the number of elements popped.",
        arguments: [
            Arg("key", .key),
            Arg("count", .integer, optional: true),
        ],
        handler: { SortedSetCommands.zpop(&$0, max: false) }),
    CommandSpec(
        name: "zpopmax", arity: -2, flags: ["write", "fast"], keys: KeyPositions(first: 1, last: 1, step: 1),
        aclCategories: ["sortedset"], summary: "Remove and return members with the highest scores in a sorted set", since: "5.0.0",
        group: "sorted-set", complexity: "O(log(N)*M) with N being the number of elements in the sorted set, and M being the number of elements popped.",
        arguments: [
            Arg("key", .key),
            Arg("count", .integer, optional: true),
        ],
        handler: { SortedSetCommands.zpop(&$0, max: true) }),
    CommandSpec(
        name: "zrandmember", arity: -2, flags: ["readonly"], keys: KeyPositions(first: 1, last: 1, step: 1),
        aclCategories: ["sortedset"], summary: "Get one or multiple random elements from a sorted set", since: "6.2.0",
        group: "sorted-set", complexity: "O(N) where N is the number of elements returned",
        arguments: [
            Arg("key", .key),
            Arg("options", .block, optional: true, arguments: [
                Arg("count", .integer),
                Arg("withscores", .pureToken, token: "WITHSCORES", optional: true),
            ]),
        ],
        handler: SortedSetCommands.zrandmember),
    CommandSpec(
        name: "zremrangebyrank", arity: 4, flags: ["write"], keys: KeyPositions(first: 1, last: 1, step: 1),
        aclCategories: ["sortedset"], summary: "Remove all members in a sorted set within the given indexes", since: "2.0.0",
        group: "sorted-set", complexity: "O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements removed by the operation.",
        arguments: [
            Arg("key", .key),
            Arg("start", .integer),
            Arg("stop", .integer),
        ],
        handler: { SortedSetCommands.zremrange(&$0, kind: .rank) }),
    CommandSpec(
        name: "zremrangebyscore", arity: 4, flags: ["write"], keys: KeyPositions(first: 1, last: 1, step: 1),
        aclCategories: ["sortedset"], summary: "Remove all members in a sorted set within the given scores", since: "1.2.0",
        group: "sorted-set", complexity: "O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements removed by the operation.",
        arguments: [
            Arg("key", .key),
            Arg("min", .double),
            Arg("max", .double),
        ],
        handler: { SortedSetCommands.zremrange(&$0, kind: .score) }),
    CommandSpec(
        name: "zremrangebylex", arity: 4, flags: ["write"], keys: KeyPositions(first: 1, last: 1, step: 1),
        aclCategories: ["sortedset"], summary: "Remove all members in a sorted set between the given lexicographical range", since: "2.8.9",
        group: "sorted-set", complexity: "O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements removed by the operation.",
        arguments: [
            Arg("key", .key),
            Arg("min", .string),
            Arg("max", .string),
        ],
        handler: { SortedSetCommands.zremrange(&$0, kind: .lex) }),
    CommandSpec(
        name: "zscan", arity: -3, flags: ["readonly"], keys: KeyPositions(first: 1, last: 1, step: 1),
        aclCategories: ["sortedset"], summary: "Incrementally iterate sorted sets elements and associated scores", since: "2.8.0",
        group: "sorted-set", complexity: "O(1) for every call. O(N) for a complete iteration, including enough command calls for the cursor to return back to 0. N is the number of elements inside the collection..",
        arguments: [
            Arg("key", .key),
            Arg("cursor", .integer),
            Arg("pattern", .pattern, token: "MATCH", optional: true),
            Arg("count", .integer, token: "COUNT", optional: true),
        ],
        handler: SortedSetCommands.zscan),
    CommandSpec(
        name: "zunion", arity: -3, flags: ["readonly", "movablekeys"], keys: KeyPositions(first: 0, last: 0, step: 0, finder: numkeysAt1),
        aclCategories: ["sortedset"], summary: "Add multiple sorted sets", since: "6.2.0",
        group: "sorted-set", complexity: "O(N)+O(M*log(M)) with N being the sum of the sizes of the input sorted sets, and M being the number of elements in the resulting sorted set.",
        arguments: [
            Arg("numkeys", .integer),
            Arg("key", .key, multiple: true),
            Arg("weight", .integer, token: "WEIGHTS", optional: true, multiple: true),
            Arg("aggregate", .oneof, token: "AGGREGATE", optional: true, arguments: [
                Arg("sum", .pureToken, token: "SUM"),
                Arg("min", .pureToken, token: "MIN"),
                Arg("max", .pureToken, token: "MAX"),
            ]),
            Arg("withscores", .pureToken, token: "WITHSCORES", optional: true),
        ],
        handler: { SortedSetCommands.setOperation(&$0, .union, store: false) }),
    CommandSpec(
        name: "zinter", arity: -3, flags: ["readonly", "movablekeys"], keys: KeyPositions(first: 0, last: 0, step: 0, finder: numkeysAt1),
        aclCategories: ["sortedset"], summary: "Intersect multiple sorted sets", since: "6.2.0",
        group: "sorted-set", complexity: "O(N*K)+O(M*log(M)) worst case with N being the smallest input sorted set, K being the number of input sorted sets and M being the number of elements in the resulting sorted set.",
        arguments: [
            Arg("numkeys", .integer),
            Arg("key", .key, multiple: true),
            Arg("weight", .integer, token: "WEIGHTS", optional: true, multiple: true),
            Arg("aggregate", .oneof, token: "AGGREGATE", optional: true, arguments: [
                Arg("sum", .pureToken, token: "SUM"),
                Arg("min", .pureToken, token: "MIN"),
                Arg("max", .pureToken, token: "MAX"),
            ]),
            Arg("withscores", .pureToken, token: "WITHSCORES", optional: true),
        ],
        handler: { SortedSetCommands.setOperation(&$0, .inter, store: false) }),
    CommandSpec(
        name: "zdiff", arity: -3, flags: ["readonly", "movablekeys"], keys: KeyPositions(first: 0, last: 0, step: 0, finder: numkeysAt1),
        aclCategories: ["sortedset"], summary: "Subtract multiple sorted sets", since: "6.2.0",
        group: "sorted-set", complexity: "O(L + (N-K)log(N)) worst case where L is the total number of elements in all the sets, N is the size of the first set, and K is the size of the result set.",
        arguments: [
            Arg("numkeys", .integer),
            Arg("key", .key, multiple: true),
            Arg("withscores", .pureToken, token: "WITHSCORES", optional: true),
        ],
        handler: { SortedSetCommands.setOperation(&$0, .diff, store: false) }),
    CommandSpec(
        name: "zunionstore", arity: -4, flags: ["write", "denyoom", "movablekeys"], keys: KeyPositions(first: 1, last: 1, step: 1, finder: destinationThenNumkeysAt2),
        aclCategories: ["sortedset"], summary: "Add multiple sorted sets and store the resulting sorted set in a new key", since: "2.0.0",
        group: "sorted-set", complexity: "O(N)+O(M log(M)) with N being the sum of the sizes of the input sorted sets, and M being the number of elements in the resulting sorted set.",
        arguments: [
            Arg("destination", .key),
            Arg("numkeys", .integer),
            Arg("key", .key, multiple: true, keySpecIndex: 1),
            Arg("weight", .integer, token: "WEIGHTS", optional: true, multiple: true),
            Arg("aggregate", .oneof, token: "AGGREGATE", optional: true, arguments: [
                Arg("sum", .pureToken, token: "SUM"),
                Arg("min", .pureToken, token: "MIN"),
                Arg("max", .pureToken, token: "MAX"),
            ]),
        ],
        handler: { SortedSetCommands.setOperation(&$0, .union, store: true) }),
    CommandSpec(
        name: "zinterstore", arity: -4, flags: ["write", "denyoom", "movablekeys"], keys: KeyPositions(first: 1, last: 1, step: 1, finder: destinationThenNumkeysAt2),
        aclCategories: ["sortedset"], summary: "Intersect multiple sorted sets and store the resulting sorted set in a new key", since: "2.0.0",
        group: "sorted-set", complexity: "O(N*K)+O(M*log(M)) worst case with N being the smallest input sorted set, K being the number of input sorted sets and M being the number of elements in the resulting sorted set.",
        arguments: [
            Arg("destination", .key),
            Arg("numkeys", .integer),
            Arg("key", .key, multiple: true, keySpecIndex: 1),
            Arg("weight", .integer, token: "WEIGHTS", optional: true, multiple: true),
            Arg("aggregate", .oneof, token: "AGGREGATE", optional: true, arguments: [
                Arg("sum", .pureToken, token: "SUM"),
                Arg("min", .pureToken, token: "MIN"),
                Arg("max", .pureToken, token: "MAX"),
            ]),
        ],
        handler: { SortedSetCommands.setOperation(&$0, .inter, store: true) }),
    CommandSpec(
        name: "zdiffstore", arity: -4, flags: ["write", "denyoom", "movablekeys"], keys: KeyPositions(first: 1, last: 1, step: 1, finder: destinationThenNumkeysAt2),
        aclCategories: ["sortedset"], summary: "Subtract multiple sorted sets and store the resulting sorted set in a new key", since: "6.2.0",
        group: "sorted-set", complexity: "O(L + (N-K)log(N)) worst case where L is the total number of elements in all the sets, N is the size of the first set, and K is the size of the result set.",
        arguments: [
            Arg("destination", .key),
            Arg("numkeys", .integer),
            Arg("key", .key, multiple: true, keySpecIndex: 1),
        ],
        handler: { SortedSetCommands.setOperation(&$0, .diff, store: true) }),
    CommandSpec(
        name: "zintercard", arity: -3, flags: ["readonly", "movablekeys"], keys: KeyPositions(first: 0, last: 0, step: 0, finder: numkeysAt1),
        aclCategories: ["sortedset"], summary: "Intersect multiple sorted sets and return the cardinality of the result", since: "7.0.0",
        group: "sorted-set", complexity: "O(N*K) worst case with N being the smallest input sorted set, K being the number of input sorted sets.",
        arguments: [
            Arg("numkeys", .integer),
            Arg("key", .key, multiple: true),
            Arg("limit", .integer, token: "LIMIT", optional: true),
        ],
        handler: { SortedSetCommands.setOperation(&$0, .inter, store: false, cardinalityOnly: true) }),
    CommandSpec(
        name: "zmpop", arity: -4, flags: ["write", "movablekeys"], keys: KeyPositions(first: 0, last: 0, step: 0, finder: numkeysAt1),
        aclCategories: ["sortedset"], summary: "Remove and return members with scores in a sorted set", since: "7.0.0",
        group: "sorted-set", complexity: "O(K) + O(M*log(N)) where K is the number of provided keys, N being the number of elements in the sorted set, and M being the number of elements popped.",
        arguments: [
            Arg("numkeys", .integer),
            Arg("key", .key, multiple: true),
            Arg("where", .oneof, arguments: [
                Arg("min", .pureToken, token: "MIN"),
                Arg("max", .pureToken, token: "MAX"),
            ]),
            Arg("count", .integer, token: "COUNT", optional: true),
        ],
        handler: { SortedSetCommands.zmpop(&$0, blocking: false) }),
    CommandSpec(
        name: "bzpopmin", arity: -3, flags: ["write", "noscript", "blocking", "fast"], keys: KeyPositions(first: 1, last: -2, step: 1),
        aclCategories: ["sortedset"], summary: "Remove and return the member with the lowest score from one or more sorted sets, or block until one is available", since: "5.0.0",
        group: "sorted-set", complexity: "O(log(N)) with N being the number of elements in the sorted set.",
        arguments: [
            Arg("key", .key, multiple: true),
            Arg("timeout", .double),
        ],
        handler: { SortedSetCommands.bzpop(&$0, max: false) }),
    CommandSpec(
        name: "bzpopmax", arity: -3, flags: ["write", "noscript", "blocking", "fast"], keys: KeyPositions(first: 1, last: -2, step: 1),
        aclCategories: ["sortedset"], summary: "Remove and return the member with the highest score from one or more sorted sets, or block until one is available", since: "5.0.0",
        group: "sorted-set", complexity: "O(log(N)) with N being the number of elements in the sorted set.",
        arguments: [
            Arg("key", .key, multiple: true),
            Arg("timeout", .double),
        ],
        handler: { SortedSetCommands.bzpop(&$0, max: true) }),
    CommandSpec(
        name: "bzmpop", arity: -5, flags: ["write", "blocking", "movablekeys"], keys: KeyPositions(first: 0, last: 0, step: 0, finder: numkeysAt2),
        aclCategories: ["sortedset"], summary: "Remove and return members with scores in a sorted set or block until one is available", since: "7.0.0",
        group: "sorted-set", complexity: "O(K) + O(M*log(N)) where K is the number of provided keys, N being the number of elements in the sorted set, and M being the number of elements popped.",
        arguments: [
            Arg("timeout", .double),
            Arg("numkeys", .integer),
            Arg("key", .key, multiple: true),
            Arg("where", .oneof, arguments: [
                Arg("min", .pureToken, token: "MIN"),
                Arg("max", .pureToken, token: "MAX"),
            ]),
            Arg("count", .integer, token: "COUNT", optional: true),
        ],
        handler: { SortedSetCommands.zmpop(&$0, blocking: true) }),
]
