import Foundation
import LoadshapeTesting

/// The shared measured runs (`$LOADSHAPE_SHARED/data/measured`, else `../shared/data/measured` beside the
/// package root). Tests on real data are gated on ``available``, which prints a loud SKIPPED line to stderr
/// when the data is missing so they never pass silently.
enum SharedData {
    static let measured = TestPaths.shared + "/data/measured"

    static let available: Bool = {
        let ok = FileManager.default.fileExists(atPath: measured)
        if !ok {
            FileHandle.standardError.write(
                Data(
                    "\n*** SKIPPED: ../shared/data not found (looked for \(measured)) — LoadshapeMeasuredTests on real runs did NOT run. Set LOADSHAPE_SHARED to the shared/ folder. ***\n\n"
                        .utf8))
        }
        return ok
    }()

    /// Every folder under `measured` holding a `manifest.json`, sorted.
    static func runFolders() -> [String] {
        guard let e = FileManager.default.enumerator(atPath: measured) else { return [] }
        var out: [String] = []
        while let p = e.nextObject() as? String {
            if (p as NSString).lastPathComponent == "manifest.json" {
                out.append(measured + "/" + (p as NSString).deletingLastPathComponent)
            }
        }
        return out.sorted()
    }

    static func folder(_ relative: String) -> String { measured + "/" + relative }
}
