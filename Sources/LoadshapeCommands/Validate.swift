import ArgumentParser
import Foundation
import LoadshapeCore
import LoadshapeIO
import LoadshapeMeasured

/// `loadshape validate`: score a power model on held-out measured runs, beside the three baselines.
struct Validate: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Replay measured runs with a power model and score it, and the baselines, against the measurements.",
        discussion: """
            Each RUN's requests are replayed through the serving model and the power
            model (with its seeded within-state fluctuation), and the synthetic trace
            is scored against the measured one on 1 s per-GPU means: energy error,
            ACF R2 (lags 1-60 s; 1 to n/4 under 240 s), the same over the active part
            (from the first arrival), 1 - KS, range-normalised RMSE, P95/P99 error,
            and median TTFT / end-to-end error. The nameplate, constant training-mean
            and flat per-state baselines are scored side by side. Prints per-run
            tables and medians; writes validation.csv, validation.json and one
            trace-<run>.csv (measured vs synthetic, 1 s) per run into --out.

            --leave-one-out fits on all runs but one and scores the one left out.

            Examples:
              loadshape validate RUN... --power-model qwen3-8b-a100-tp1
              loadshape validate RUN... --leave-one-out --out loo/
              loadshape validate RUN... --out validation/ --report
            """
    )

    @OptionGroup var config: ConfigOptions
    @Argument(help: "Measured-run folders to score.") var runs: [String]
    @Option(help: "Power model name or file (default: the best supported one for the runs' configuration).")
    var powerModel: String?
    @Option(help: "Architecture record (default: from the runs' manifests).") var model: String?
    @Flag(help: "Fit on the other runs and score each run in turn.") var leaveOneOut = false
    @Option(help: "Seed of the within-state fluctuation.") var seed: UInt64 = 42
    @Option(help: "Output directory for validation.csv and validation.json.") var out = "validation"
    @Option(help: "Timing-fit budget for --leave-one-out.") var timingEvaluations = 600
    @Option(help: "Surface-fit tail weight for --leave-one-out (as in `loadshape fit`).") var tailWeight = 0.1
    @Flag(help: "Only the medians table, and no progress.") var quiet = false
    @Flag(help: "Also write report.html (traces, CDFs and ACFs per run; see `loadshape report --help`) into --out.")
    var report = false

    func run() throws {
        do { try execute() } catch let e as IOError { throw CLIError(e.message) } catch let e as ModelError {
            throw CLIError(e.message)
        }
    }

    struct Row {
        var run: String
        var method: String
        var score: FidelityScore
    }

    func execute() throws {
        let (_, prepared, cfg, resolved) = try FitCommon.load(
            configs: config.configs, runs: runs, model: model, powerModel: powerModel, preferReference: leaveOneOut,
            tailWeight: tailWeight)
        var rows: [Row] = []
        var modelNames: [String] = []
        var traces: [(String, FitPipeline.RunScores)] = []
        let progress = Progress(quiet: quiet, label: "validate")
        let n = Double(prepared.count)
        for (i, p) in prepared.enumerated() {
            progress.update(fraction: Double(i) / n, detail: "run \(i + 1)/\(prepared.count) \(p.id)")
            let pm: PowerModelRecord
            let meanW: Double?
            if leaveOneOut {
                guard prepared.count >= 2 else { throw CLIError("--leave-one-out needs at least two runs (give more run folders, or drop --leave-one-out and score one run with --power-model)") }
                let others = prepared.enumerated().filter { $0.offset != i }.map(\.element)
                let f = try FitPipeline.fit(others, cfg, timingEvaluations: timingEvaluations) { stage, f in
                    progress.update(fraction: (Double(i) + 0.9 * f) / n, detail: "run \(i + 1)/\(prepared.count) \(p.id): fit, \(stage)")
                }
                pm = PowerModelRecord(
                    name: "loo-\(p.id)", hardware: cfg.hardware.name,
                    appliesTo: .init(kind: .dense, families: [], models: [cfg.architecture.name], tp: [cfg.tp]),
                    surface: .dense(f.surface.surface), timing: f.timing.timing, noise: f.noise,
                    trainingMeanGpuW: f.trainingMeanGpuW, provenanceJSON: "{}")
                meanW = f.trainingMeanGpuW
            } else {
                pm = resolved.record
                meanW = pm.trainingMeanGpuW
            }
            modelNames.append(pm.name)
            let server = try ServerModel(
                architecture: cfg.architecture, hardware: cfg.hardware, tp: cfg.tp, gpusPerNode: cfg.tp,
                timing: pm.timing, engine: cfg.engine, surface: pm.surface, noise: pm.noise)
            let s = try FitPipeline.score(p, model: server, seed: seed, trainingMeanGpuW: meanW)
            traces.append((p.id, s))
            rows.append(Row(run: p.id, method: "loadshape", score: s.model))
            rows.append(Row(run: p.id, method: "nameplate", score: s.nameplate))
            if let m = s.mean { rows.append(Row(run: p.id, method: "mean", score: m)) }
            rows.append(Row(run: p.id, method: "flat-state", score: s.flatState))
        }
        progress.finish()
        let methods = ["loadshape", "nameplate", "mean", "flat-state"].filter { m in rows.contains { $0.method == m } }
        var medians: [String: [String: Double]] = [:]
        for m in methods {
            let rs = rows.filter { $0.method == m }
            var d: [String: Double] = [:]
            for (j, name) in FidelityScore.metricNames.enumerated() {
                let v = rs.map { $0.score.values[j] }.filter(\.isFinite)
                if !v.isEmpty { d[name] = Descriptive.median(v) }
            }
            medians[m] = d
        }
        // Files.
        let dir = try OutputDirectory(path: out)
        let w = try TextFileWriter(path: dir.file("validation.csv"))
        w.write("run,method," + FidelityScore.metricNames.joined(separator: ",") + "\n")
        for r in rows { w.write("\(r.run),\(r.method)," + r.score.values.map { $0.isFinite ? "\($0)" : "" }.joined(separator: ",") + "\n") }
        w.close()
        let json: [String: Any] = [
            "schema": "loadshape-validation-v1", "tool": ["name": "loadshape", "version": Loadshape.version],
            "command": ["loadshape"] + Array(CommandLine.arguments.dropFirst()), "seed": seed,
            "power_model": leaveOneOut ? "leave-one-run-out" : resolved.record.name,
            "power_model_sha256": leaveOneOut ? "" : resolved.sha256,
            "runs": prepared.map { ["run": $0.id, "directory": $0.run.directory, "files": $0.run.checksums] as [String: Any] },
            "metrics_on": "1 s means of per-GPU power of the TP group",
            "medians": medians,
            "per_run": rows.map { r -> [String: Any] in
                var d: [String: Any] = ["run": r.run, "method": r.method]
                for (k, v) in zip(FidelityScore.metricNames, r.score.values) where v.isFinite { d[k] = v }
                return d
            },
        ]
        try writeJSON(json, to: dir.file("validation.json"))
        for (id, s) in traces {
            let t = try TextFileWriter(path: dir.file("trace-\(id).csv"))
            t.write("t_start_s,measured_gpu_w,loadshape_gpu_w,flat_state_gpu_w\n")
            for k in 0..<min(s.measured1s.count, s.model1s.count, s.flatState1s.count) {
                t.write("\(k),\(s.measured1s[k]),\(s.model1s[k]),\(s.flatState1s[k])\n")
            }
            t.close()
        }
        try dir.commit()
        print(Self.table(rows: rows, medians: medians, methods: methods, perRun: !quiet))
        if report { try ReportCommand.afterRun(dir: dir.path, configs: config.configs, quiet: quiet) }
    }

    static func table(rows: [Row], medians: [String: [String: Double]], methods: [String], perRun: Bool) -> String {
        let cols = [
            ("energy_error", "energy err", true), ("acf_r2", "ACF R²", false), ("acf_r2_active", "ACF R² act.", false),
            ("one_minus_ks", "1−KS", false), ("nrmse", "NRMSE", false), ("p95_error", "P95 err", true),
            ("p99_error", "P99 err", true), ("ttft_median_error", "TTFT err", true), ("e2e_median_error", "E2E err", true),
        ]
        func cell(_ v: Double?, pct: Bool) -> String {
            guard let v, v.isFinite else { return "—".padding(toLength: 11, withPad: " ", startingAt: 0) }
            let s = pct ? String(format: "%.1f%%", v * 100) : String(format: "%.3f", v)
            return s.padding(toLength: 11, withPad: " ", startingAt: 0)
        }
        var out = ["method      " + cols.map { $0.1.padding(toLength: 11, withPad: " ", startingAt: 0) }.joined()]
        if perRun {
            for r in rows {
                let line = r.method.padding(toLength: 12, withPad: " ", startingAt: 0)
                    + zip(FidelityScore.metricNames, r.score.values).filter { n, _ in cols.contains { $0.0 == n } }
                    .map { n, v in cell(v, pct: cols.first { $0.0 == n }!.2) }.joined()
                if r.method == "loadshape" { out.append("run \(r.run)") }
                out.append(line)
            }
            out.append("medians over \(Set(rows.map(\.run)).count) runs")
        }
        for m in methods {
            out.append(m.padding(toLength: 12, withPad: " ", startingAt: 0) + cols.map { cell(medians[m]?[$0.0], pct: $0.2) }.joined())
        }
        return out.joined(separator: "\n")
    }
}
