import Foundation
import LoadshapeIO

/// Which command wrote an output folder, and its report.
public enum HTMLReport {
    public enum Kind: String, Sendable {
        case site, generate, validation
    }

    /// The kind of output in `dir`, from its `manifest.json` schema or its `validation.json`.
    public static func kind(of dir: String) throws(IOError) -> Kind {
        let fm = FileManager.default
        var isDir: ObjCBool = false
        guard fm.fileExists(atPath: dir, isDirectory: &isDir), isDir.boolValue else {
            throw IOError("\(dir): no such folder (give the --out folder of loadshape site, cluster, generate or validate)")
        }
        if fm.fileExists(atPath: dir + "/manifest.json") {
            var f = try JSONFields.load(dir + "/manifest.json")
            let schema = try f.string("schema")
            switch schema {
            case "loadshape-site-manifest-v1": return .site
            case "loadshape-generate-manifest-v1": return .generate
            default:
                throw IOError("\(dir)/manifest.json: schema '\(schema)' is not one the report knows (loadshape-site-manifest-v1, loadshape-generate-manifest-v1)")
            }
        }
        if fm.fileExists(atPath: dir + "/validation.json") { return .validation }
        throw IOError(
            "\(dir): holds neither manifest.json (from loadshape site, cluster or generate) nor validation.json (from loadshape validate); give one of those --out folders")
    }

    /// Builds the page for `dir`.
    public static func page(for dir: String, details: StudyDetails = StudyDetails()) throws(IOError) -> ReportPage {
        switch try kind(of: dir) {
        case .site: return try SiteReport.build(dir: dir, details: details)
        case .generate: return try GenerateReport.build(dir: dir)
        case .validation: return try ValidationReport.build(dir: dir)
        }
    }

    /// Writes the report of `dir` to `path` (default `<dir>/report.html`), replacing the file only once the page is
    /// complete. Returns the path written.
    @discardableResult
    public static func write(dir: String, to path: String? = nil, details: StudyDetails = StudyDetails()) throws(IOError) -> String {
        let target = path ?? (dir.hasSuffix("/") ? dir + "report.html" : dir + "/report.html")
        let html = try page(for: dir, details: details).html()
        do {
            try Data(html.utf8).write(to: URL(fileURLWithPath: target), options: .atomic)
        } catch {
            throw IOError("\(target): cannot write the report (\(error.localizedDescription))")
        }
        return target
    }
}
