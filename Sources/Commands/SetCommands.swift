import Keyspace
import RESP

/// Set commands (being written; registered in the server's table).
public let setCommands: [CommandSpec] = []
