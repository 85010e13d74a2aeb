import ArgumentParser
import Foundation
import LoadshapeCore
import LoadshapeIO
import LoadshapeMeasured

/// `loadshape fit`: learn a power model from measured runs.
struct Fit: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Fit a power model (timing, idle floor, surface, meter delay, within-state fluctuation) to measured runs.",
        discussion: """
            Each RUN is a measured-run folder: manifest.json, power.csv (nvidia-smi),
            requests.json or requests-summary.json (the vLLM benchmark's log), and
            optionally engine.csv. All runs must share one model, GPU and TP degree.
            The fit replays every run's requests through the serving model, then
              1. calibrates eff_flops, eff_bw, per-message latency, per-token sampling
                 and first-token overhead (bounded least squares on log TTFT and
                 inter-token latency residuals);
              2. takes the idle floor from idle stretches of 4 s or more;
              3. fits the non-negative surface on 1 s means, choosing the meter delay
                 (0-0.75 s) and averaging (none or 1 s) by fit;
              4. fits per-state AR(1) residuals (phi, sigma, 33 quantiles).
            The model file records every parameter, the goodness of fit and the
            provenance (runs, SHA-256 of every input, date).

            Examples:
              loadshape fit RUN1 RUN2 RUN3 --name qwen3-8b-a100-tp1
              loadshape fit RUN... --out my-model.json --date 2026-12-02
              scripts/validation      (the documented fit on ../shared/data/measured)
            """
    )

    @OptionGroup var config: ConfigOptions
    @Argument(help: "Measured-run folders.") var runs: [String]
    @Option(help: "Architecture record (default: from the runs' manifests).") var model: String?
    @Option(
        help: "Power model whose timing constants start the fit (default: the reference release's dense surface for the runs' GPU, so a refit never depends on an earlier fit)."
    )
    var startFrom: String?
    @Option(help: "Name of the fitted model (default: fitted-<model>-<gpu>-tp<tp>).") var name: String?
    @Option(help: "Output file (default: <configs>/power/<name>.json).") var out: String?
    @Option(help: "Date recorded in the provenance (default: today, UTC).") var date: String?
    @Option(help: "Budget of timing-objective evaluations.") var timingEvaluations = 600
    @Option(help: "Share of each run's surface-fit weight on its top-decile seconds (the reference uses 0.5).")
    var tailWeight = 0.1
    @Flag(help: "No progress and no summary (the model file is still written).") var quiet = false

    func run() throws {
        do {
            let (root, prepared, cfg, resolved) = try FitCommon.load(
                configs: config.configs, runs: runs, model: model, powerModel: startFrom, preferReference: true,
                tailWeight: tailWeight)
            let progress = Progress(quiet: quiet, label: "fit")
            let fitted = try FitPipeline.fit(prepared, cfg, timingEvaluations: timingEvaluations) { stage, f in
                progress.update(fraction: f, detail: stage)
            }
            progress.finish()
            let modelName = name ?? "fitted-\(cfg.architecture.name)-\(cfg.hardware.aliases.first ?? cfg.hardware.name)-tp\(cfg.tp)".lowercased()
            let path = out ?? "\(root)/power/\(modelName).json"
            let record = FitCommon.record(
                name: modelName, fitted: fitted, cfg: cfg, runs: prepared, start: resolved,
                date: date ?? String(UTCTimestamp.format(epochMillis: Int64(Date().timeIntervalSince1970 * 1000)).prefix(10)))
            let parent = URL(fileURLWithPath: path).deletingLastPathComponent().path
            do { try FileManager.default.createDirectory(atPath: parent, withIntermediateDirectories: true) } catch {
                throw CLIError("--out '\(path)': cannot create \(parent) (\(error.localizedDescription))")
            }
            try writeJSON(record, to: path)
            // Reload what was written: the file must pass the same validation as any record.
            _ = try PowerModelRecord.decode(try JSONFields.load(path))
            if !quiet { print(FitCommon.summary(fitted, name: modelName, path: path)) }
        } catch let e as IOError {
            throw CLIError(e.message)
        } catch let e as ModelError {
            throw CLIError(e.message)
        }
    }
}

enum FitCommon {
    /// The preamble `fit` and `validate` share: the catalog, the prepared runs and the fit configuration.
    static func load(
        configs: String?, runs: [String], model: String?, powerModel: String?, preferReference: Bool, tailWeight: Double
    ) throws -> (root: String, runs: [PreparedRun], cfg: FitPipeline.Configuration, resolved: Sourced<PowerModelRecord>) {
        let root = try ConfigLocator.locate(explicit: configs)
        let catalog = try Catalog.load(root: root)
        let prepared = try PreparedRun.load(runs)
        var (cfg, resolved) = try configuration(
            prepared, catalog: catalog, model: model, powerModel: powerModel, preferReference: preferReference)
        cfg.tailWeight = tailWeight
        return (root, prepared, cfg, resolved)
    }

    static func configuration(
        _ runs: [PreparedRun], catalog: Catalog, model: String?, powerModel: String?, preferReference: Bool
    ) throws -> (FitPipeline.Configuration, Sourced<PowerModelRecord>) {
        guard let first = runs.first else { throw CLIError("give at least one measured-run folder (manifest.json, power.csv, requests.json; see docs/user-guide.md)") }
        let m = first.run.manifest
        for r in runs.dropFirst() {
            let o = r.run.manifest
            guard o.hardware == m.hardware, o.tp == m.tp, o.model == m.model else {
                throw CLIError(
                    "\(r.run.directory): \(o.model) on \(o.hardware) TP\(o.tp) differs from \(first.run.directory) (\(m.model) on \(m.hardware) TP\(m.tp)); fit one configuration at a time")
            }
        }
        let arch = try catalog.model(named: model ?? m.model)
        let hw = try catalog.hardware(named: m.hardware)
        let reference = catalog.powerModels.first {
            $0.record.name.hasPrefix("reference-") && $0.record.appliesTo.kind == arch.record.kind
                && hw.record.matches($0.record.hardware)
        }
        let resolved = try catalog.resolve(
            model: arch.record.name, gpu: m.hardware, tp: m.tp, powerModel: powerModel ?? (preferReference ? reference?.record.name : nil),
            allowUnsupported: true)
        let engine = EngineLimits(
            maxNumSeqs: m.server.maxNumSeqs, maxNumBatchedTokens: m.server.maxNumBatchedTokens, gpuMemoryUtilization: 0.9)
        let cfg = FitPipeline.Configuration(
            architecture: arch.record, hardware: resolved.hardware.record, tp: m.tp, engine: engine,
            start: resolved.powerModel.record)
        return (cfg, resolved.powerModel)
    }

    static func record(
        name: String, fitted f: FittedModel, cfg: FitPipeline.Configuration, runs: [PreparedRun],
        start: Sourced<PowerModelRecord>, date: String
    ) -> [String: Any] {
        let s = f.surface.surface
        let t = f.timing.timing
        var timing: [String: Any] = [
            "eff_flops": t.effFlops, "eff_bandwidth": t.effBandwidth, "base_overhead_s": t.baseOverheadS,
            "per_message_s": t.perMessageS, "per_token_sample_s": t.perTokenSampleS,
            "first_token_overhead_s": t.firstTokenOverheadS,
        ]
        if let x = t.fp8StreamScale { timing["fp8_stream_scale"] = x }
        func residual(_ r: StateResidual, _ n: Int) -> [String: Any] {
            ["phi": r.phi, "sigma_w": r.sigmaW, "quantiles": r.quantiles, "samples": n]
        }
        let inSample = f.inSample.map { (run, sc) -> [String: Any] in
            var d: [String: Any] = ["run": run]
            for (k, v) in zip(FidelityScore.metricNames, sc.values) where v.isFinite { d[k] = v }
            return d
        }
        return [
            "schema": "loadshape-power-model-v1",
            "name": name,
            "hardware": cfg.hardware.name,
            "applies_to": ["kind": "dense", "families": [String](), "models": [cfg.architecture.name], "tp": [cfg.tp]],
            "surface": [
                "kind": "dense", "idle_w": s.idleW, "active_weight_fraction": s.activeWeightFraction,
                "compute_util": s.computeUtil, "duty_sqrt_memory_util": s.dutySqrtMemoryUtil,
                "prefill_compute_util": s.prefillComputeUtil, "attention_memory_util": s.attentionMemoryUtil,
                "meter": ["delay_bins": s.meter.delayBins, "average_bins": s.meter.averageBins],
            ],
            "timing": timing,
            "noise": [
                "native_dt_s": 0.25, "idle": residual(f.noise.idle, f.noiseSamples[0]),
                "decode": residual(f.noise.decode, f.noiseSamples[1]),
                "prefill": residual(f.noise.prefill, f.noiseSamples[2]),
            ],
            "training_mean_gpu_w": f.trainingMeanGpuW,
            "goodness_of_fit": [
                "timing": [
                    "ttft_points": f.timing.ttftPoints, "itl_points": f.timing.itlPoints,
                    "median_abs_log_error_ttft_before": f.timing.medianAbsLogErrorTTFTBefore,
                    "median_abs_log_error_ttft_after": f.timing.medianAbsLogErrorTTFTAfter,
                    "median_abs_log_error_itl_before": f.timing.medianAbsLogErrorITLBefore.isFinite ? f.timing.medianAbsLogErrorITLBefore : -1,
                    "median_abs_log_error_itl_after": f.timing.medianAbsLogErrorITLAfter.isFinite ? f.timing.medianAbsLogErrorITLAfter : -1,
                    "evaluations": f.timing.evaluations,
                ],
                "surface": [
                    "idle_source_runs": f.surface.idleSourceRuns, "fit_bins_1s": f.surface.fitBins1s,
                    "meter_candidates": f.surface.candidates.map {
                        ["delay_bins": $0.delayBins, "average_bins": $0.averageBins, "weighted_objective": $0.objective]
                    },
                ],
                "in_sample": inSample,
            ],
            "provenance": [
                "fitted_by": "loadshape fit \(Loadshape.version)",
                "date": date,
                "start_timing_from": start.record.name,
                "runs": runs.map { p -> [String: Any] in
                    [
                        "run": p.id, "run_id": p.run.manifest.runID, "model": p.run.manifest.model,
                        "hardware": p.run.manifest.hardware, "tp": p.run.manifest.tp, "files": p.run.checksums,
                        "requests": p.calibration.requests.count, "bins_250ms": p.calibration.measuredGpuW.count,
                    ]
                },
                "source": "Fitted by Loadshape from real measured runs (nvidia-smi power + vLLM benchmark request logs); the measurements themselves are not part of this file.",
            ],
        ]
    }

    static func summary(_ f: FittedModel, name: String, path: String) -> String {
        let s = f.surface.surface
        let t = f.timing.timing
        func r(_ x: Double, _ d: Int = 3) -> String { String(format: "%.\(d)f", x) }
        return """
            fitted \(name) → \(path)
              timing   eff_flops \(r(t.effFlops)), eff_bw \(r(t.effBandwidth)), per-message \(r(t.perMessageS.values.first ?? 0 * 1e6, 6)) s, first-token overhead \(r(t.firstTokenOverheadS * 1000, 1)) ms
                       median |log err| TTFT \(r(f.timing.medianAbsLogErrorTTFTBefore)) → \(r(f.timing.medianAbsLogErrorTTFTAfter)), ITL \(r(f.timing.medianAbsLogErrorITLBefore)) → \(r(f.timing.medianAbsLogErrorITLAfter))
              surface  idle \(r(s.idleW, 1)) W/GPU, active-weight \(r(s.activeWeightFraction, 1)), compute \(r(s.computeUtil, 1)), √memory \(r(s.dutySqrtMemoryUtil, 1)), prefill compute +\(r(s.prefillComputeUtil, 1)), attention memory \(r(s.attentionMemoryUtil, 1)); meter delay \(s.meter.delayBins) bins, averaging \(s.meter.averageBins) bins
              noise    σ idle/decode/prefill \(r(f.noise.idle.sigmaW, 1)) / \(r(f.noise.decode.sigmaW, 1)) / \(r(f.noise.prefill.sigmaW, 1)) W, φ \(r(f.noise.idle.phi, 2)) / \(r(f.noise.decode.phi, 2)) / \(r(f.noise.prefill.phi, 2))
            """
    }
}
