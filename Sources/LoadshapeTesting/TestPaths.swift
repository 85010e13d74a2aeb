import Foundation

/// Paths tests use: the package root, its Configs/, and the shared measured data (`../shared` beside the root).
public enum TestPaths {
    /// The package root, found by walking up from this file to the folder holding Package.swift.
    public static let packageRoot: String = {
        var url = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        for _ in 0..<6 {
            if FileManager.default.fileExists(atPath: url.appendingPathComponent("Package.swift").path) {
                return url.path
            }
            url = url.deletingLastPathComponent()
        }
        return FileManager.default.currentDirectoryPath
    }()

    public static var configs: String { packageRoot + "/Configs" }

    /// `$LOADSHAPE_SHARED`, else `../shared` beside the package root.
    public static let shared: String = {
        if let e = ProcessInfo.processInfo.environment["LOADSHAPE_SHARED"], !e.isEmpty { return e }
        return URL(fileURLWithPath: packageRoot).deletingLastPathComponent().appendingPathComponent("shared").path
    }()

    /// Whether the shared data is present. When it is not, prints a loud notice (once) so skipped fidelity
    /// tests never pass silently.
    public static let sharedAvailable: Bool = {
        let ok = FileManager.default.fileExists(atPath: shared + "/data")
        if !ok {
            FileHandle.standardError.write(
                Data(
                    "\n*** SKIPPED: \(shared)/data not found — fidelity and agreement tests against real traces did NOT run. Set LOADSHAPE_SHARED to the shared/ folder. ***\n\n"
                        .utf8))
        }
        return ok
    }()

    /// The `loadshape` executable built beside the running tests (whatever the scratch path), else
    /// `.build/debug/loadshape`; nil when neither is there.
    public static let builtBinary: String? = {
        var candidates: [String] = []
        for start in [CommandLine.arguments.first ?? "", Bundle.main.bundlePath, Bundle.main.executablePath ?? ""] where !start.isEmpty {
            var url = URL(fileURLWithPath: start).resolvingSymlinksInPath()
            for _ in 0..<4 {
                url = url.deletingLastPathComponent()
                candidates.append(url.appendingPathComponent("loadshape").path)
            }
        }
        candidates.append(packageRoot + "/.build/debug/loadshape")
        var isDir: ObjCBool = false
        return candidates.first {
            FileManager.default.fileExists(atPath: $0, isDirectory: &isDir) && !isDir.boolValue
                && FileManager.default.isExecutableFile(atPath: $0)
        }
    }()

    /// Runs `binary` with `arguments` (stdin from /dev/null, stdout and stderr to pipes, not terminals) and
    /// returns its exit status, stdout and stderr.
    public static func run(
        _ binary: String, _ arguments: [String], environment: [String: String] = [:], directory: String? = nil
    ) throws -> (status: Int32, stdout: String, stderr: String) {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: binary)
        p.arguments = arguments
        var env = ProcessInfo.processInfo.environment
        for (k, v) in environment { env[k] = v }
        p.environment = env
        if let d = directory { p.currentDirectoryURL = URL(fileURLWithPath: d) }
        let out = Pipe()
        let err = Pipe()
        p.standardOutput = out
        p.standardError = err
        p.standardInput = FileHandle.nullDevice
        try p.run()
        // Drain both pipes while the process runs, so a chatty child never blocks on a full pipe.
        let outData = DataBox()
        let group = DispatchGroup()
        group.enter()
        let reader = out.fileHandleForReading
        DispatchQueue.global().async {
            outData.data = reader.readDataToEndOfFile()
            group.leave()
        }
        let errData = err.fileHandleForReading.readDataToEndOfFile()
        group.wait()
        p.waitUntilExit()
        return (p.terminationStatus, String(decoding: outData.data, as: UTF8.self), String(decoding: errData, as: UTF8.self))
    }

    /// Bytes handed from the reading thread to the caller: written once before `group.leave()`, read only after
    /// `group.wait()`, so never touched by two threads at once.
    final class DataBox: @unchecked Sendable {
        var data = Data()
    }

    /// A fresh temporary directory.
    public static func temporaryDirectory(_ name: String = "loadshape-test") -> String {
        let p = NSTemporaryDirectory() + "/\(name)-\(UUID().uuidString)"
        try? FileManager.default.createDirectory(atPath: p, withIntermediateDirectories: true)
        return p
    }
}

/// Whether `body` threw an error whose description contains every one of `parts`.
public func throwsMessage(_ parts: [String], _ body: () throws -> Void) -> Bool {
    do {
        try body()
        return false
    } catch {
        let text = "\(error)"
        return parts.allSatisfy { text.contains($0) }
    }
}
