import Foundation
import LoadshapeCore
import LoadshapeIO
import LoadshapeReport
import LoadshapeSite

/// The report's extra knowledge of a site study, from its spec: servers per rack and row, and one server per
/// site re-simulated (the first server of the first rack: same traffic share, routing and fluctuation seed as in
/// the study) for the server level of the smoothing figure.
enum StudyDetailsFromSpec {
    /// From a finished run's folder: the spec and records the manifest names, when they are still there and
    /// unchanged; otherwise the details without the server level, with a note saying why.
    static func load(dir: String, configs: String?) -> StudyDetails {
        var missing = StudyDetails()
        do {
            var f = try JSONFields.load(dir + "/manifest.json")
            let manifest = try RunManifest.parse(&f)
            guard let spec = manifest.inputs.first(where: { $0.role == "study" }) else {
                missing.notes.append("The manifest names no study spec, so the smoothing figure has no single-server level.")
                return missing
            }
            for input in manifest.inputs where input.role == "study" || input.role == "record" {
                guard let sha = try? Checksum.sha256(file: input.path), sha == input.sha256 else {
                    missing.notes.append(
                        "\(input.path) is not here or has changed since the run, so one server could not be re-simulated for the smoothing figure (run `loadshape report` where the study ran).")
                    return missing
                }
            }
            let study = try StudySpec.load(path: spec.path)
            let catalog = try Catalog.load(root: try ConfigLocator.locate(explicit: configs))
            return try build(study: study, catalog: catalog)
        } catch {
            missing.notes.append("One server could not be re-simulated for the smoothing figure: \(error)")
            return missing
        }
    }

    /// From the spec in memory (after `loadshape site` or `cluster`).
    static func build(study: StudySpec, catalog: Catalog) throws -> StudyDetails {
        var d = StudyDetails()
        let runner = StudyRunner(spec: study, catalog: catalog, allowUnsupported: true)
        for (si, site) in study.sites.enumerated() {
            d.rackServers[site.name] = site.rows.flatMap { $0.racks.map(\.servers) }
            d.rowServers[site.name] = site.rows.map { $0.racks.reduce(0) { $0 + $1.servers } }
            guard let rack = site.rows.first?.racks.first, rack.servers > 0 else { continue }
            d.serverITW[site.name] = try serverIT(runner: runner, site: si, rack: rack)
        }
        return d
    }

    /// The details of the spec at `path` as plain values (for tests): servers per rack and row, server 0's IT
    /// power at 250 ms, per site.
    static func plain(specPath path: String, configs: String?) throws
        -> (rackServers: [String: [Int]], rowServers: [String: [Int]], serverITW: [String: [Double]])
    {
        let d = try build(study: try StudySpec.load(path: path), catalog: try Catalog.load(root: try ConfigLocator.locate(explicit: configs)))
        return (d.rackServers, d.rowServers, d.serverITW)
    }

    /// The IT power (GPUs + non-GPU) of server 0 of `site`, at 250 ms, as the study computed it into its rack.
    static func serverIT(runner: StudyRunner, site si: Int, rack: RackSpec) throws -> [Double] {
        let study = runner.spec
        let traffic = try runner.siteTraffic(si)
        let r = try runner.catalog.resolve(
            model: rack.model, gpu: rack.gpu, tp: rack.tp, gpusPerNode: rack.gpusPerServer, powerModel: rack.powerModel,
            allowUnsupported: true)
        let pm = r.powerModel.record
        let server = try ServerModel(
            architecture: r.model.record, hardware: r.hardware.record, tp: rack.tp, gpusPerNode: rack.gpusPerServer,
            timing: pm.timing, engine: .vllmDefault, surface: pm.surface, noise: pm.noise)
        let seed = SeedDerivation.derive(root: study.seed, stream: "fluctuation/\(study.sites[si].name)", index: 0)
        let sink = ITSink(idleW: rack.nonGpuIdleW, perUtilW: rack.nonGpuPerUtilW, bins: runner.bins)
        return try server.run(traffic.requests(forServer: 0), noiseSeed: seed, horizonBins: runner.bins, sink: sink).sink.watts
    }

    /// Collects one server's IT power: node GPU power plus its non-GPU power, affine in the busy fraction.
    struct ITSink: PowerSink {
        let idleW: Double
        let perUtilW: Double
        var watts: [Double]
        init(idleW: Double, perUtilW: Double, bins: Int) {
            self.idleW = idleW
            self.perUtilW = perUtilW
            watts = [Double](repeating: 0, count: bins)
        }
        mutating func consume(_ b: PowerBin) {
            guard b.index < watts.count else { return }
            watts[b.index] = b.nodeGpuW + idleW + perUtilW * b.busy
        }
    }
}
