import Keyspace
import RESP

/// Hash commands (being written; registered in the server's table).
public let hashCommands: [CommandSpec] = []
