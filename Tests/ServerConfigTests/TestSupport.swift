import Glibc
import Testing
@testable import ServerConfig

/// A fresh temporary directory, removed by `cleanup()`.
final class TempDir {
    let path: String

    init() {
        var template = Array("/tmp/shoal-config-test-XXXXXX".utf8CString)
        let made = template.withUnsafeMutableBufferPointer { mkdtemp($0.baseAddress!) }
        precondition(made != nil, "mkdtemp failed")
        path = FilePaths.canonical(String(cString: made!))
    }

    @discardableResult
    func write(_ name: String, _ contents: String) -> String {
        let full = path + "/" + name
        let fd = open(full, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        precondition(fd >= 0)
        let bytes = Array(contents.utf8)
        _ = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
        close(fd)
        return full
    }

    func read(_ name: String) -> String {
        switch FileIO.read(path: path + "/" + name) {
        case .success(let bytes): return String(decoding: bytes, as: UTF8.self)
        case .failure: return ""
        }
    }

    func mkdir(_ name: String) -> String {
        let full = path + "/" + name
        Glibc.mkdir(full, 0o755)
        return full
    }

    deinit {
        // Best effort: remove files one level deep, then the directory.
        if let d = opendir(path) {
            while let entry = readdir(d) {
                let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                    String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
                }
                if name == "." || name == ".." { continue }
                let full = path + "/" + name
                if unlink(full) != 0 { rmdir(full) }
            }
            closedir(d)
        }
        rmdir(path)
    }
}

/// Loads `text` as a config file given on the command line, plus extra arguments.
func loadFile(_ text: String, _ extra: [String] = [], in dir: TempDir = TempDir()) throws(ConfigError)
    -> (configuration: Configuration, warnings: [String])
{
    let file = dir.write("test.conf", text)
    return try Configuration.load(arguments: [file] + extra, readStandardInput: { [] })
}

func loadArgs(_ args: [String]) throws(ConfigError) -> (configuration: Configuration, warnings: [String]) {
    try Configuration.load(arguments: args, readStandardInput: { [] })
}

/// The error a load throws, or nil.
func loadError(_ body: () throws -> Void) -> ConfigError? {
    do {
        try body()
        return nil
    } catch let error as ConfigError {
        return error
    } catch {
        Issue.record("unexpected error \(error)")
        return nil
    }
}
