import Keyspace
import RESP

/// List commands (being written; registered in the server's table).
public let listCommands: [CommandSpec] = []
