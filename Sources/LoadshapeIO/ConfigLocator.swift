import Foundation

/// Finds the `Configs/` directory: `--configs`, then `$LOADSHAPE_CONFIGS`, then `./Configs`, then next to the
/// executable's package (walking up from the binary, as in `.build/release/loadshape`).
public enum ConfigLocator {
    public static func locate(explicit: String?) throws(IOError) -> String {
        let fm = FileManager.default
        func ok(_ p: String) -> Bool {
            var dir: ObjCBool = false
            return fm.fileExists(atPath: p + "/models", isDirectory: &dir) && dir.boolValue
        }
        if let e = explicit {
            guard ok(e) else { throw IOError("--configs '\(e)': no models/ folder there (expected a Loadshape Configs/ directory)") }
            return e
        }
        if let env = ProcessInfo.processInfo.environment["LOADSHAPE_CONFIGS"], !env.isEmpty {
            guard ok(env) else { throw IOError("LOADSHAPE_CONFIGS='\(env)': no models/ folder there") }
            return env
        }
        let cwd = fm.currentDirectoryPath + "/Configs"
        if ok(cwd) { return cwd }
        var dir = URL(fileURLWithPath: CommandLine.arguments.first ?? ".").resolvingSymlinksInPath()
            .deletingLastPathComponent()
        for _ in 0..<6 {
            let candidate = dir.appendingPathComponent("Configs").path
            if ok(candidate) { return candidate }
            dir = dir.deletingLastPathComponent()
        }
        throw IOError("cannot find the Configs/ directory; run from the Loadshape checkout or pass --configs PATH")
    }
}
