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
