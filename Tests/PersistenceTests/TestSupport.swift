import Foundation
@testable import Persistence

/// Fixtures written by a real redis-server 7.0.15 (see README in Fixtures).
enum Fixtures {
    static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures")

    static func bytes(_ name: String) -> [UInt8] {
        let data = FileManager.default.contents(atPath: directory.appendingPathComponent(name).path)
        precondition(data != nil, "missing fixture \(name)")
        return [UInt8](data!)
    }
}

/// A fresh directory under /tmp, removed when the value is dropped.
final class TempDir {
    let path: String

    init() {
        var template = Array("/tmp/shoal-aof-test-XXXXXX".utf8CString)
        path = template.withUnsafeMutableBufferPointer { String(cString: mkdtemp($0.baseAddress!)!) }
    }

    deinit { try? FileManager.default.removeItem(atPath: path) }

    func write(_ name: String, _ bytes: [UInt8]) {
        _ = FileManager.default.createFile(atPath: "\(path)/\(name)", contents: Data(bytes))
    }

    func write(_ name: String, _ text: String) { write(name, Array(text.utf8)) }

    func read(_ name: String) -> [UInt8] {
        [UInt8](FileManager.default.contents(atPath: "\(path)/\(name)") ?? Data())
    }

    func exists(_ name: String) -> Bool { FileManager.default.fileExists(atPath: "\(path)/\(name)") }

    func list(_ sub: String) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: "\(path)/\(sub)")) ?? []).sorted()
    }

    /// Copies a fixture directory in as `dir/appendonlydir`.
    func copyFixture(_ name: String, as sub: String = "appendonlydir") {
        try! FileManager.default.copyItem(atPath: Fixtures.directory.appendingPathComponent(name).path,
                                          toPath: "\(path)/\(sub)")
    }
}

/// RESP framing of one command, as an AOF holds it.
func resp(_ args: String...) -> [UInt8] { resp(args.map { Array($0.utf8) }) }

func resp(_ args: [[UInt8]]) -> [UInt8] {
    var out = Array("*\(args.count)\r\n".utf8)
    for a in args { out += Array("$\(a.count)\r\n".utf8) + a + [13, 10] }
    return out
}

/// Loads `directory` collecting commands as strings ("SET a b") and log lines.
struct Loaded {
    var commands: [String] = []
    var logs: [String] = []
    var keys: [String] = []
    var summary = AOFLoadSummary()
}

func loadAll(_ directory: AOFDirectory, truncated: Bool = true) throws -> Loaded {
    var out = Loaded()
    let loader = AOFLoader(directory: directory, loadTruncated: truncated)
    out.summary = try loader.load(rdb: { reader in
        try reader.read { record in out.keys.append(String(decoding: record.key, as: UTF8.self)) }
    }, command: { args in
        out.commands.append(args.map { String(decoding: $0, as: UTF8.self) }.joined(separator: " "))
    }, log: { out.logs.append($0) })
    return out
}
