import Keyspace
import RESP

/// SortedSet commands (being written; registered in the server's table).
public let sortedSetCommands: [CommandSpec] = []
