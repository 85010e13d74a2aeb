import Foundation

/// Writes a run's files into a hidden staging folder beside the output directory and moves them into place only
/// when the whole run succeeded, so a failed run leaves no partial output.
public final class OutputDirectory {
    public let path: String
    public let staging: String
    private var committed = false

    public init(path: String) throws(IOError) {
        let url = URL(fileURLWithPath: path).standardizedFileURL
        self.path = url.path
        let parent = url.deletingLastPathComponent().path
        staging = parent + "/." + url.lastPathComponent + ".partial-\(ProcessInfo.processInfo.processIdentifier)"
        let fm = FileManager.default
        var isDir: ObjCBool = false
        if fm.fileExists(atPath: self.path, isDirectory: &isDir) && !isDir.boolValue {
            throw IOError("--out '\(path)' exists and is not a directory")
        }
        do {
            try fm.createDirectory(atPath: parent, withIntermediateDirectories: true)
            try? fm.removeItem(atPath: staging)
            try fm.createDirectory(atPath: staging, withIntermediateDirectories: false)
        } catch {
            throw IOError("--out '\(path)': cannot create the output folder (\(error.localizedDescription))")
        }
    }

    /// The staging path of file `name`.
    public func file(_ name: String) -> String { staging + "/" + name }

    /// Moves every staged file into the output directory (replacing files of the same name).
    public func commit() throws(IOError) {
        let fm = FileManager.default
        do {
            try fm.createDirectory(atPath: path, withIntermediateDirectories: true)
            for name in try fm.contentsOfDirectory(atPath: staging).sorted() {
                let dest = path + "/" + name
                if fm.fileExists(atPath: dest) { try fm.removeItem(atPath: dest) }
                try fm.moveItem(atPath: staging + "/" + name, toPath: dest)
            }
            try fm.removeItem(atPath: staging)
        } catch {
            throw IOError("\(path): cannot move the outputs into place (\(error.localizedDescription))")
        }
        committed = true
    }

    /// Removes the staging folder (after a failure).
    public func discard() {
        try? FileManager.default.removeItem(atPath: staging)
    }

    deinit {
        if !committed { try? FileManager.default.removeItem(atPath: staging) }
    }
}

/// A buffered, append-only text file writer.
public final class TextFileWriter {
    private let handle: FileHandle
    private var buffer: [UInt8] = []
    public let path: String
    public private(set) var bytesWritten = 0

    public init(path: String) throws(IOError) {
        self.path = path
        guard FileManager.default.createFile(atPath: path, contents: nil) else {
            throw IOError("\(path): cannot create the file")
        }
        guard let h = FileHandle(forWritingAtPath: path) else { throw IOError("\(path): cannot open for writing") }
        handle = h
        buffer.reserveCapacity(1 << 20)
    }

    @inline(__always)
    public func write(_ s: String) {
        buffer.append(contentsOf: s.utf8)
        if buffer.count >= 1 << 20 { flush() }
    }

    public func flush() {
        guard !buffer.isEmpty else { return }
        handle.write(Data(buffer))
        bytesWritten += buffer.count
        buffer.removeAll(keepingCapacity: true)
    }

    public func close() {
        flush()
        try? handle.close()
    }
}

/// Replaces non-finite numbers (which JSON cannot hold) by null, recursively.
func jsonSafe(_ v: Any) -> Any {
    if let d = v as? [String: Any] { return d.mapValues(jsonSafe) }
    if let a = v as? [Any] { return a.map(jsonSafe) }
    if let x = v as? Double, !x.isFinite { return NSNull() }
    return v
}

/// Writes a JSON value with sorted keys and a trailing newline (deterministic bytes); NaN and ±∞ become null.
public func writeJSON(_ value: Any, to path: String) throws(IOError) {
    do {
        let data = try JSONSerialization.data(withJSONObject: jsonSafe(value), options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
        var d = data
        d.append(0x0A)
        try d.write(to: URL(fileURLWithPath: path), options: .atomic)
    } catch {
        throw IOError("\(path): cannot write JSON (\(error.localizedDescription))")
    }
}
