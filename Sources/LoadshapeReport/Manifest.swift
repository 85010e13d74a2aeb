import Foundation
import LoadshapeIO
import LoadshapeWorkload

/// What every report's title block shows of a run's `manifest.json` (or `validation.json`): the tool version,
/// the command, the seed, the inputs with their SHA-256 and the outputs the run wrote.
public struct RunManifest: Sendable {
    public struct Input: Sendable, Equatable {
        public var role: String
        public var path: String
        public var sha256: String
    }

    public var file: String
    public var schema: String
    public var version: String
    public var seed: String
    public var command: [String]
    public var inputs: [Input]
    /// Output file name → SHA-256, as the run recorded them.
    public var outputs: [(name: String, sha256: String)]
    public var supportStatus: String?

    /// Reads the fields shared by Loadshape's manifests; `fields` stays available for the rest.
    public static func parse(_ fields: inout JSONFields) throws(IOError) -> RunManifest {
        let schema = try fields.string("schema")
        var tool = try fields.object("tool")
        let version = try tool.string("version")
        guard let seedValue = fields.raw("seed"), let seed = JSONValue.describeNumber(seedValue) else {
            throw fields.fail("seed", "missing (the root seed, an integer, is required)")
        }
        let command = fields.has("command") ? try fields.strings("command") : []
        var inputs: [Input] = []
        if fields.has("inputs") {
            for var i in try fields.objects("inputs") {
                inputs.append(Input(role: try i.string("role"), path: try i.string("path"), sha256: try i.string("sha256")))
            }
        }
        var outputs: [(String, String)] = []
        if var o = try fields.optionalObject("outputs") {
            for k in o.keys { outputs.append((k, try o.string(k))) }
        }
        let support = try fields.optionalString("support_status")
        return RunManifest(
            file: fields.file, schema: schema, version: version, seed: seed, command: command, inputs: inputs,
            outputs: outputs, supportStatus: support)
    }

    /// Output files whose SHA-256 no longer matches the manifest, or that are missing, in `dir`.
    public func changedOutputs(in dir: String) -> [String] {
        outputs.compactMap { o in
            let path = dir + "/" + o.name
            guard FileManager.default.fileExists(atPath: path) else { return "\(o.name) (missing)" }
            guard let sha = try? Checksum.sha256(file: path) else { return "\(o.name) (unreadable)" }
            return sha == o.sha256 ? nil : "\(o.name) (changed since the run)"
        }
    }

    /// The title block's facts.
    public func facts(kind: String) -> [(String, String)] {
        var out: [(String, String)] = [("output", kind), ("Loadshape version", version), ("seed", seed)]
        if !command.isEmpty { out.append(("command", command.joined(separator: " "))) }
        if let s = supportStatus { out.append(("support status", s)) }
        out.append(("schema", schema))
        return out
    }

    /// The inputs as table rows: role, path, SHA-256 (first 16 hex digits).
    public var inputRows: [[String]] {
        inputs.map { [$0.role, $0.path, String($0.sha256.prefix(16)) + "…"] }
    }
}

/// Helpers for loosely typed JSON values.
enum JSONValue {
    /// An integer-valued number as text (seeds may exceed what a Double holds exactly: read from NSNumber).
    static func describeNumber(_ v: Any) -> String? {
        guard !JSONNumbers.isBool(v), let n = v as? NSNumber else { return nil }
        return n.stringValue
    }
}
