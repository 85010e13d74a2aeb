import ArgumentParser
import Foundation
import LoadshapeCore
import LoadshapeIO
import LoadshapeSite

/// `loadshape site`: a site or a region of sites, from servers to the grid.
struct Site: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Synthesise a site's (or a region's) power: servers → racks → rows → site → region.",
        discussion: """
            Reads a study spec (YAML, see docs/site-spec.md): sites with time zones, rows of racks of servers
            (model, GPU, TP, GPUs per server, non-GPU power), PUE, limits and traffic. Each site's request
            stream is routed onto its servers; every server's 250 ms trace is folded into its rack as it is
            produced, racks into rows, rows into the site, sites into the region, in a fixed order.
            Writes into --out:
              site-<site>-<res>.csv     GPU, IT and facility kW (interval-start UTC)
              rows-<site>-<res>.csv     row IT kW, one column per row
              racks-<site>-<res>.csv    rack IT kW, one column per rack
              region-<res>.csv          per-site and region facility kW (several sites)
              utility-15min-<x>.csv     15-minute facility kW for utilities
              utility-8760-<x>.csv      one kW column at utility_steps_per_hour (8760 rows
                                        for a 365-day study at 1 step per hour)
              reopt-loads-kw-<x>.csv    the same values without the header line, as REopt's
                                        ElectricLoad.path_to_csv reads them
              metrics.json              energy, mean, peak, P95/P99, PAR, load factor, ramps,
                                        load-duration, CoV, diversity and demand factors, and the
                                        oversubscription analysis of every row with a limit
              manifest.json             spec, inputs with SHA-256, seed, version, outputs

            Examples:
              loadshape site                      the paper's 240-server site, one day
              loadshape site Configs/sites/region-example.yaml --out region/
              loadshape site my-site.yaml --out my-site/ --report    and my-site/report.html
            """
    )

    @OptionGroup var config: ConfigOptions
    @Argument(help: "Study spec (default: <configs>/sites/paper-site.yaml).") var spec: String?
    @Option(help: "Output directory.") var out = "site-run"
    @Flag(help: "Allow server configurations outside the power models' support (labelled).")
    var allowUnsupported = false
    @Flag(help: "No progress and no summary.") var quiet = false
    @Flag(help: "Also write report.html (figures of every output; see `loadshape report --help`) into --out.")
    var report = false

    func run() throws {
        do { try execute() } catch let e as IOError { throw CLIError(e.message) } catch let e as ModelError {
            throw CLIError(e.message)
        }
    }

    func execute() throws {
        let root = try ConfigLocator.locate(explicit: config.configs)
        let catalog = try Catalog.load(root: root)
        let path = spec ?? root + "/sites/paper-site.yaml"
        let study = try StudySpec.load(path: path)
        var runner = StudyRunner(spec: study, catalog: catalog, allowUnsupported: allowUnsupported)
        let progress = Progress(quiet: quiet, label: "site")
        let total = study.sites.reduce(0) { $0 + $1.rows.reduce(0) { $0 + $1.racks.reduce(0) { $0 + $1.servers } } }
        let counter = Counter()
        runner.progress = {
            counter.value += 1
            progress.update(fraction: Double(counter.value) / Double(max(total, 1)), detail: "\(counter.value)/\(total) servers")
        }
        let t0 = Date()
        let result = try runner.run()
        progress.finish()
        let doc = try Self.writeOutputs(study: study, result: result, out: out)
        if !quiet { print(Self.summary(result, doc: doc, wall: Date().timeIntervalSince(t0), out: out)) }
        if report {
            try ReportCommand.afterRun(
                dir: out, details: try StudyDetailsFromSpec.build(study: study, catalog: catalog), configs: config.configs,
                quiet: quiet)
        }
    }


    /// Writes every output of a study (per-level CSVs, exports, metrics with the analyses, manifest) into `out`,
    /// all at once when everything succeeded; shared by `site` and `cluster`.
    static func writeOutputs(study: StudySpec, result: StudyResult, out: String) throws -> [String: Any] {
        let dir = try OutputDirectory(path: out)
        var doc = try StudyOutputs.write(result, to: dir)
        try writeREoptLoads(dir)
        // Oversubscription for every row with a limit.
        var analyses: [[String: Any]] = []
        for (si, s) in study.sites.enumerated() {
            for row in s.rows {
                guard let limit = row.limitKW else { continue }
                let r = result.sites[si]
                let plate = r.rackNameplateITW.reduce(0, +) / Double(max(r.rackNameplateITW.count, 1))
                let o = Oversubscription.analyse(
                    rackTraces1s: r.racks1s, rackNameplateW: plate, limitW: limit * 1000, seed: study.seed)
                analyses.append([
                    "analysis": "oversubscription", "site": s.name, "row": row.name, "limit_kw": limit,
                    "racks_admitted": o.racksAdmitted, "racks_by_nameplate": o.racksByNameplate,
                    "rack_nameplate_kw": plate / 1000,
                    "curve": o.curve.map { ["racks": $0.racks, "p95_subset_peak_kw": $0.p95PeakW / 1000] },
                ])
                break  // rows of a site share their rack population; one analysis per limit value suffices
            }
        }
        doc["analyses"] = analyses
        try writeJSON(doc, to: dir.file("metrics.json"))
        var outputs: [String: String] = [:]
        for f in (try? FileManager.default.contentsOfDirectory(atPath: dir.staging).sorted()) ?? [] {
            outputs[f] = try Checksum.sha256(file: dir.file(f))
        }
        let manifest: [String: Any] = [
            "schema": "loadshape-site-manifest-v1", "tool": ["name": "loadshape", "version": Loadshape.version],
            "seed": study.seed,
            "study": study.name, "inputs": result.inputs, "outputs": outputs,
            "native_bin_s": 0.25, "timestamps": "interval start, UTC",
            "support_status": result.sites.allSatisfy({ $0.supportViolations.isEmpty }) ? "supported" : "unsupported_extrapolation",
        ]
        try writeJSON(manifest, to: dir.file("manifest.json"))
        try dir.commit()
        return doc
    }

    /// The hourly export as REopt reads `ElectricLoad.path_to_csv`: the same kW values, one per line, without the
    /// header line (REopt parses the file as numbers only and asks for "a csv with no header").
    static func writeREoptLoads(_ dir: OutputDirectory) throws {
        let prefix = "utility-8760-"
        for name in (try? FileManager.default.contentsOfDirectory(atPath: dir.staging).sorted()) ?? []
        where name.hasPrefix(prefix) && name.hasSuffix(".csv") {
            let text = try String(contentsOfFile: dir.file(name), encoding: .utf8)
            guard let newline = text.firstIndex(of: "\n") else { continue }
            let target = dir.file("reopt-loads-kw-" + name.dropFirst(prefix.count))
            do { try String(text[text.index(after: newline)...]).write(toFile: target, atomically: false, encoding: .utf8) } catch {
                throw CLIError("\(target): cannot write (\(error.localizedDescription))")
            }
        }
    }

    static func summary(_ r: StudyResult, doc: [String: Any], wall: Double, out: String) -> String {
        func f(_ x: Double, _ d: Int = 1) -> String { String(format: "%.\(d)f", x) }
        var lines = ["study \(r.spec.name): \(r.sites.count) site(s), \(f(r.spec.durationS / 3600, 1)) h, wall \(f(wall, 1)) s"]
        for s in r.sites {
            let fac15 = s.facility.first { $0.resolutionS == 900 } ?? s.facility.last!
            let m = LoadMetrics(powerW: fac15.watts, intervalS: fac15.resolutionS)
            let fine = s.facility.first!
            let mf = LoadMetrics(powerW: fine.watts, intervalS: fine.resolutionS)
            lines.append("  \(s.name): \(s.servers) servers, \(s.requests) requests (\(s.inputTokens) prompt / \(s.outputTokens) output tokens)")
            lines.append("    facility energy   \(f(m.energyKWh / 1000, 2)) MWh, mean \(f(m.meanW / 1e6, 3)) MW")
            lines.append("    facility peak     \(f(m.peakW / 1e6, 3)) MW (15 min), \(f(mf.peakW / 1e6, 3)) MW (\(StudyOutputs.label(fine.resolutionS)))")
            lines.append("    load factor       \(f(m.loadFactor, 3)) (15 min); max 15-min ramp up \(f(m.maxUpW / 1000, 1)) kW")
            lines.append("    nameplate IT      \(f(s.nameplateITW / 1e6, 3)) MW (× PUE \(r.spec.sites.first { $0.name == s.name }!.pue.max()!) = \(f(s.nameplateITW * r.spec.sites.first { $0.name == s.name }!.pue.max()! / 1e6, 3)) MW)")
        }
        for sd in (doc["sites"] as? [[String: Any]]) ?? [] {
            for b in (sd["baselines"] as? [[String: Any]]) ?? [] where (b["resolution"] as? String) == "15min" {
                lines.append(
                    "  \(sd["site"]!) baseline \(String(describing: b["method"]!).padding(toLength: 10, withPad: " ", startingAt: 0)) 15-min peak \(f((b["peak_kw"] as? Double ?? 0) / 1000, 3)) MW, mean \(f((b["mean_kw"] as? Double ?? 0) / 1000, 3)) MW"
                )
            }
            for c in (sd["power_capping"] as? [[String: Any]]) ?? [] {
                lines.append(
                    "  \(sd["site"]!) cap \(f(c["cap_w_per_gpu"] as? Double ?? 0, 0)) W/GPU: IT peak (250 ms) \(f(c["it_peak_kw_uncapped"] as? Double ?? 0, 0)) → \(f(c["it_peak_kw_capped"] as? Double ?? 0, 0)) kW, \(f(c["energy_clipped_kwh"] as? Double ?? 0, 1)) kWh clipped, \(f(100 * (c["tokens_delayed_fraction"] as? Double ?? 0), 2))% of tokens delayed"
                )
            }
        }
        if let region = doc["region"] as? [String: Any], let cp = region["coincident_peak"] as? [[String: Any]] {
            for c in cp where (c["resolution"] as? String) == "15min" {
                lines.append(
                    "  region: coincident 15-min facility peak \(f((c["coincident_peak_kw"] as? Double ?? 0) / 1000, 3)) MW vs sum of site peaks \(f((c["sum_of_site_peaks_kw"] as? Double ?? 0) / 1000, 3)) MW (diversity factor \(f(c["diversity_factor"] as? Double ?? 0, 3)))"
                )
            }
        }
        if let a = doc["analyses"] as? [[String: Any]] {
            for x in a {
                lines.append("  oversubscription \(x["site"]!)/\(x["row"]!) at \(x["limit_kw"]!) kW: \(x["racks_admitted"]!) racks (nameplate sizing: \(x["racks_by_nameplate"]!))")
            }
        }
        lines.append("  outputs: \(out)")
        return lines.joined(separator: "\n")
    }
}

/// A mutable count shared with a progress closure (one thread).
final class Counter {
    var value = 0
}
