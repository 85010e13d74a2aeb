import Foundation
import LoadshapeCore

/// A record together with the file it came from.
public struct Sourced<Record: Sendable>: Sendable {
    public var record: Record
    public var path: String
    public var sha256: String
}

/// A power model file: the mean surface, the timing constants it was calibrated with, optional within-state
/// fluctuation, what it applies to, and its provenance.
public struct PowerModelRecord: Sendable {
    public struct AppliesTo: Sendable, Equatable {
        public var kind: ArchitectureRecord.Kind
        public var families: [String]
        public var models: [String]
        public var tp: [Int]
        public init(kind: ArchitectureRecord.Kind, families: [String], models: [String], tp: [Int]) {
            self.kind = kind
            self.families = families
            self.models = models
            self.tp = tp
        }
    }
    public var name: String
    public var hardware: String
    public var appliesTo: AppliesTo
    public var surface: PowerSurface
    public var timing: TimingParameters
    public var noise: StateNoiseModel?
    /// Mean per-GPU power of the runs it was fitted on, W (the "mean" baseline), when known.
    public var trainingMeanGpuW: Double?
    /// The provenance block, as JSON text.
    public var provenanceJSON: String

    public init(
        name: String, hardware: String, appliesTo: AppliesTo, surface: PowerSurface, timing: TimingParameters,
        noise: StateNoiseModel?, trainingMeanGpuW: Double?, provenanceJSON: String
    ) {
        self.name = name
        self.hardware = hardware
        self.appliesTo = appliesTo
        self.surface = surface
        self.timing = timing
        self.noise = noise
        self.trainingMeanGpuW = trainingMeanGpuW
        self.provenanceJSON = provenanceJSON
    }

    public static func decode(_ f: JSONFields) throws(IOError) -> PowerModelRecord {
        var f = f
        _ = try f.string("schema", allowed: ["loadshape-power-model-v1"])
        let name = try f.string("name")
        let hw = try f.string("hardware")
        var a = try f.object("applies_to")
        let kind = try a.string("kind", allowed: ["dense", "moe"])
        let applies = AppliesTo(
            kind: kind == "moe" ? .moe : .dense, families: try a.strings("families", default: []),
            models: try a.strings("models", default: []), tp: try a.ints("tp"))
        try a.finish()
        let surface = try RecordDecoding.surface(try f.object("surface"))
        if (kind == "moe") != { if case .moe = surface { return true } else { return false } }() {
            throw f.fail("surface.kind", "does not match applies_to.kind (\(kind))")
        }
        let timing = try RecordDecoding.timing(try f.object("timing"))
        let noise = try f.optionalObject("noise").map { n throws(IOError) in try RecordDecoding.noise(n) }
        let mean = try f.optionalDouble("training_mean_gpu_w", min: 0)
        let prov = f.raw("provenance")
        guard let p = prov, JSONSerialization.isValidJSONObject(p) else {
            throw f.fail("provenance", "missing (an object saying where the coefficients came from is required)")
        }
        _ = f.raw("goodness_of_fit")
        try f.finish()
        let provText =
            (try? JSONSerialization.data(withJSONObject: p, options: [.sortedKeys])).flatMap {
                String(data: $0, encoding: .utf8)
            } ?? "{}"
        return PowerModelRecord(
            name: name, hardware: hw, appliesTo: applies, surface: surface, timing: timing, noise: noise,
            trainingMeanGpuW: mean, provenanceJSON: provText)
    }
}

/// Every record under a `Configs/` directory: hardware, model architectures and power models.
public struct Catalog: Sendable {
    public var root: String
    public var hardware: [Sourced<HardwareRecord>] = []
    public var models: [Sourced<ArchitectureRecord>] = []
    public var powerModels: [Sourced<PowerModelRecord>] = []

    /// Loads and validates every `*.json` under `root/hardware`, `root/models` and `root/power`.
    public static func load(root: String) throws(IOError) -> Catalog {
        var c = Catalog(root: root)
        c.hardware = try loadAll(root + "/hardware") { f throws(IOError) in try RecordDecoding.hardware(f) }
        c.models = try loadAll(root + "/models") { f throws(IOError) in try RecordDecoding.architecture(f) }
        c.powerModels = try loadAll(root + "/power") { f throws(IOError) in try PowerModelRecord.decode(f) }
        for (kind, names) in [
            ("hardware", c.hardware.map(\.record.name)), ("model", c.models.map(\.record.name)),
            ("power model", c.powerModels.map(\.record.name)),
        ] {
            var seen: Set<String> = []
            for n in names where !seen.insert(n.lowercased()).inserted {
                throw IOError("\(root): two \(kind) records are named '\(n)'")
            }
        }
        for p in c.powerModels where !c.hardware.contains(where: { $0.record.matches(p.record.hardware) }) {
            throw IOError("\(p.path): field 'hardware': no hardware record named '\(p.record.hardware)' in \(root)/hardware")
        }
        return c
    }

    static func loadAll<R>(_ dir: String, _ decode: (JSONFields) throws(IOError) -> R) throws(IOError) -> [Sourced<R>] {
        let fm = FileManager.default
        guard let names = try? fm.contentsOfDirectory(atPath: dir) else {
            throw IOError("\(dir): cannot list the directory (is --configs pointing at a Loadshape Configs/ folder?)")
        }
        var out: [Sourced<R>] = []
        for n in names.sorted() where n.hasSuffix(".json") {
            let path = dir + "/" + n
            let data: Data
            do {
                data = try Data(contentsOf: URL(fileURLWithPath: path))
            } catch {
                throw IOError("\(path): cannot read the file (\(error.localizedDescription))")
            }
            let rec = try decode(try JSONFields.parse(data, file: path))
            out.append(Sourced(record: rec, path: path, sha256: Checksum.sha256(data)))
        }
        return out
    }

    public func hardware(named name: String) throws(IOError) -> Sourced<HardwareRecord> {
        if let h = hardware.first(where: { $0.record.matches(name) }) { return h }
        let known = hardware.map { ([$0.record.name] + $0.record.aliases).joined(separator: "/") }
        throw IOError("unknown GPU '\(name)'; known: \(known.joined(separator: ", ")) (add a record under \(root)/hardware)")
    }

    public func model(named name: String) throws(IOError) -> Sourced<ArchitectureRecord> {
        if let m = models.first(where: { $0.record.matches(name) }) { return m }
        throw IOError(
            "unknown model '\(name)'; known: \(models.map(\.record.name).joined(separator: ", ")) (a new architecture is one record under \(root)/models)"
        )
    }
}

/// The serving configuration a run uses, with its support status.
public struct ResolvedConfiguration: Sendable {
    public var model: Sourced<ArchitectureRecord>
    public var hardware: Sourced<HardwareRecord>
    public var powerModel: Sourced<PowerModelRecord>
    public var tp: Int
    public var gpusPerNode: Int
    /// Empty when supported; otherwise why the combination is an extrapolation.
    public var violations: [String]
    public var supportStatus: String { violations.isEmpty ? "supported" : "unsupported_extrapolation" }
}

extension Catalog {
    /// Picks the power model for (model, GPU, TP): `explicit` (a name or a file path) if given, else the most
    /// specific supported record (one naming the model beats one naming its family).
    ///
    /// - Throws: if the combination is unsupported and `allowUnsupported` is false, naming what is supported.
    public func resolve(
        model modelName: String, gpu: String, tp: Int, gpusPerNode: Int? = nil, powerModel explicit: String? = nil,
        allowUnsupported: Bool
    ) throws(IOError) -> ResolvedConfiguration {
        let m = try model(named: modelName)
        let h = try hardware(named: gpu)
        guard tp >= 1 && tp <= 64 else { throw IOError("--tp must be between 1 and 64, got \(tp)") }
        let gpn = gpusPerNode ?? tp
        guard gpn >= tp else { throw IOError("--gpus-per-node (\(gpn)) must be at least --tp (\(tp))") }
        func violations(_ p: PowerModelRecord) -> [String] {
            var v: [String] = []
            if !h.record.matches(p.hardware) {
                v.append("power model '\(p.name)' was fitted on \(p.hardware), not \(h.record.name)")
            }
            if p.appliesTo.kind != m.record.kind {
                v.append("power model '\(p.name)' is a \(p.appliesTo.kind.rawValue) surface; \(m.record.name) is \(m.record.kind.rawValue)")
            }
            let named = p.appliesTo.models.contains { m.record.matches($0) }
            if !named && !p.appliesTo.families.contains(m.record.family) {
                v.append("power model '\(p.name)' covers \((p.appliesTo.models + p.appliesTo.families).joined(separator: ", ")), not \(m.record.name) (\(m.record.family))")
            }
            if !p.appliesTo.tp.contains(tp) {
                v.append("power model '\(p.name)' covers TP \(p.appliesTo.tp.map(String.init).joined(separator: "/")), not TP \(tp)")
            }
            return v
        }
        let chosen: Sourced<PowerModelRecord>
        if let e = explicit {
            if let p = powerModels.first(where: { $0.record.name == e }) {
                chosen = p
            } else if FileManager.default.fileExists(atPath: e) {
                let data: Data
                do { data = try Data(contentsOf: URL(fileURLWithPath: e)) } catch {
                    throw IOError("\(e): cannot read the file (\(error.localizedDescription))")
                }
                chosen = Sourced(
                    record: try PowerModelRecord.decode(try JSONFields.parse(data, file: e)), path: e,
                    sha256: Checksum.sha256(data))
            } else {
                throw IOError(
                    "--power-model '\(e)' is neither a power model in \(root)/power (\(powerModels.map(\.record.name).joined(separator: ", "))) nor a file"
                )
            }
        } else {
            // Rank: supported first; then naming the model; then same hardware; then same kind; then name.
            let ranked = powerModels.sorted { a, b in
                func key(_ p: PowerModelRecord) -> [Int] {
                    [
                        violations(p).isEmpty ? 0 : 1, p.appliesTo.models.contains { m.record.matches($0) } ? 0 : 1,
                        h.record.matches(p.hardware) ? 0 : 1, p.appliesTo.kind == m.record.kind ? 0 : 1,
                    ]
                }
                let ka = key(a.record)
                let kb = key(b.record)
                return ka != kb ? ka.lexicographicallyPrecedes(kb) : a.record.name < b.record.name
            }
            guard let best = ranked.first(where: { $0.record.appliesTo.kind == m.record.kind }) else {
                throw IOError("no \(m.record.kind.rawValue) power model in \(root)/power; fit one with 'loadshape fit'")
            }
            chosen = best
        }
        let v = violations(chosen.record)
        if chosen.record.appliesTo.kind != m.record.kind {
            throw IOError(v.joined(separator: "; "))
        }
        if !v.isEmpty && !allowUnsupported {
            let supported = powerModels.filter { violations($0.record).isEmpty }.map(\.record.name)
            throw IOError(
                "\(m.record.name) on \(h.record.name) at TP \(tp) is not supported: \(v.joined(separator: "; ")). "
                    + (supported.isEmpty ? "No power model covers it; fit one with 'loadshape fit', or "
                        : "Supported power models: \(supported.joined(separator: ", ")). Or ")
                    + "pass --allow-unsupported to extrapolate (the outputs are then labelled unsupported_extrapolation).")
        }
        guard chosen.record.timing.perMessage(tp: tp) != nil else {
            throw IOError(
                "\(chosen.path): timing has no per-message latency for TP \(tp) (calibrated: \(chosen.record.timing.perMessageS.keys.sorted().joined(separator: ", "))); cannot time TP \(tp) even as an extrapolation"
            )
        }
        return ResolvedConfiguration(model: m, hardware: h, powerModel: chosen, tp: tp, gpusPerNode: gpn, violations: v)
    }
}
