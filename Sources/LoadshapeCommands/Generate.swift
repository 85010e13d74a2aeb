import ArgumentParser
import Foundation
import LoadshapeCore
import LoadshapeIO
import LoadshapeWorkload

/// `loadshape generate`: one server's power trace from its workload.
struct Generate: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Synthesise one inference server's power trace from a request schedule.",
        discussion: """
            Runs the continuous-batching serving model on a request schedule and turns
            its 250 ms work ledger into node GPU power with the power model of
            (model, GPU, TP). Writes, into --out:
              power.csv      one row per 250 ms bin: interval start (UTC), node and
                             per-GPU watts, busy fraction, prefill/decode duty, batch,
                             token rates, operating state, per-feature watts
              requests.csv   per request: admission, queueing, TTFT, decode, end-to-end
              manifest.json  inputs with SHA-256, seed, configuration, support status,
                             tool version, summary

            Examples:
              loadshape generate
                  qwen3-8b on one A100 (model fitted to measured runs), 1 h at 2 req/s
              loadshape generate --model llama-3-70b --tp 8
                  the reference paper's server, with the published coefficients
              loadshape generate --requests schedule.csv --model llama-3-8b \\
                  --gpu H100 --tp 1 --out run/
              loadshape generate --rate 0.5 --duration 6h --burstiness 0.25 --seed 7
              loadshape generate --output-tokens categorical:64@0.5,512@0.5
              loadshape generate --baseline flat-state --out splitwise/
              loadshape generate --duration 6h --report     and run/report.html

            --requests takes a schedule file, CSV (header arrival_s,input_tokens,
            output_tokens and optionally cached_prefix_tokens, request_id) or JSON (a
            list, or {"requests": [...]}, with arrival_time, input_tokens,
            output_tokens or output_tokens_distribution {values, probabilities}),
            or a trace as users have them: the Azure LLM inference trace CSV
            (TIMESTAMP,ContextTokens,GeneratedTokens), a vLLM benchmark result JSON
            (request_timestamps, input_lens, output_lens) or Mooncake JSONL
            (timestamp ms, input_length, output_length). The format is told from the
            file; --requests-format names it. Arrivals start at 0 at the first request.
              loadshape generate --requests AzureLLMInferenceTrace_conv.csv --model llama-3-70b --tp 8
              loadshape generate --requests benchmark.json --requests-format vllm

            Exit codes: 0 success; 1 a model or input error (the message names the
            file, line or field); 64 bad command-line usage.
            """
    )

    @OptionGroup var config: ConfigOptions

    @Option(help: "Model architecture record (see Configs/models).") var model = "qwen3-8b"
    @Option(help: "GPU record or alias (A100, H100; see Configs/hardware).") var gpu = "A100"
    @Option(help: "Tensor-parallel degree.") var tp = 1
    @Option(help: "GPUs in the server (those outside the TP group draw idle power; default: TP).")
    var gpusPerNode: Int?
    @Option(help: "Power model name in Configs/power, or a power model file (default: the best supported one).")
    var powerModel: String?
    @Flag(help: "Extrapolate outside the power model's supported combinations (outputs are labelled so).")
    var allowUnsupported = false

    @Option(help: "Request file: a schedule (CSV or JSON), an Azure trace CSV, a vLLM benchmark JSON or Mooncake JSONL. Without it, a schedule is generated from --rate.")
    var requests: String?
    @Option(help: "Format of --requests: schedule, azure, vllm, mooncake (default: told from the file).")
    var requestsFormat: RequestFileFormat?
    @Option(help: "Generated arrivals: mean rate, requests per second.") var rate: Double?
    @Option(help: "Generated arrivals: study length (90s, 15m, 1h, 1d).") var duration = "1h"
    @Option(help: "Generated arrivals: gamma shape (1 = Poisson, < 1 bursty, > 1 smooth).") var burstiness = 1.0
    @Option(help: "Prompt lengths: fixed:N, lognormal:median=M,sigma=S[,min=A,max=B], categorical:V@P,...")
    var inputTokens = "lognormal:median=250,sigma=1.0,min=4,max=8192"
    @Option(help: "Output lengths, same forms as --input-tokens.")
    var outputTokens = "lognormal:median=200,sigma=0.8,min=1,max=2048"
    @Option(help: "Root seed of every random draw (arrivals, lengths, fluctuation).") var seed: UInt64 = 42

    @Option(help: "Power from a baseline instead of the model: nameplate, mean, flat-state.")
    var baseline: BaselineChoice?
    @Flag(help: "Mean power surface only: no within-state fluctuation.") var deterministic = false

    @Option(help: "Engine limit: max concurrent sequences.") var maxNumSeqs = 256
    @Option(help: "Engine limit: token budget per iteration.") var maxNumBatchedTokens = 2048
    @Option(help: "Engine limit: fraction of HBM for weights + KV cache.") var gpuMemoryUtilization = 0.9

    @Option(help: "UTC time of the schedule origin, ISO-8601.") var start = "2025-01-01T00:00:00Z"
    @Option(help: "Trace length (default: until the last request finishes); idle-padded or truncated.")
    var horizon: String?
    @Option(help: "Output directory.") var out = "run"
    @Flag(help: "No progress and no summary on the terminal.") var quiet = false
    @Flag(help: "Also write report.html (figures of the outputs; see `loadshape report --help`) into --out.")
    var report = false

    enum BaselineChoice: String, ExpressibleByArgument, CaseIterable {
        case nameplate, mean
        case flatState = "flat-state"
    }

    func validate() throws {
        if requests != nil && rate != nil { throw ValidationError("give either --requests FILE or --rate R, not both") }
        if let r = rate, !(r > 0) { throw ValidationError("--rate must be > 0 requests per second") }
        if parseDuration(duration) == nil { throw ValidationError("--duration '\(duration)' is not a duration (e.g. 90s, 15m, 1h, 1d)") }
        if let h = horizon, parseDuration(h) == nil { throw ValidationError("--horizon '\(h)' is not a duration (e.g. 90s, 15m, 1h, 1d)") }
        if UTCTimestamp.parse(start) == nil { throw ValidationError("--start '\(start)' is not an ISO-8601 UTC time (e.g. 2025-01-01T00:00:00Z)") }
        if tp < 1 { throw ValidationError("--tp must be ≥ 1 (the tensor-parallel degree, e.g. --tp 8)") }
    }

    func run() throws {
        do {
            try execute()
        } catch let e as IOError {
            throw CLIError(e.message)
        } catch let e as ModelError {
            throw CLIError(e.message)
        } catch let e as WorkloadError {
            throw CLIError(e.message)
        }
    }

    func execute() throws {
        let root = try ConfigLocator.locate(explicit: config.configs)
        let catalog = try Catalog.load(root: root)
        let resolved = try catalog.resolve(
            model: model, gpu: gpu, tp: tp, gpusPerNode: gpusPerNode, powerModel: powerModel,
            allowUnsupported: allowUnsupported)
        let pm = resolved.powerModel.record
        let engine = EngineLimits(
            maxNumSeqs: maxNumSeqs, maxNumBatchedTokens: maxNumBatchedTokens,
            gpuMemoryUtilization: gpuMemoryUtilization)
        let server = try ServerModel(
            architecture: resolved.model.record, hardware: resolved.hardware.record, tp: tp,
            gpusPerNode: resolved.gpusPerNode, timing: pm.timing, engine: engine, surface: pm.surface,
            noise: deterministic ? nil : pm.noise)

        // Workload.
        var inputs: [[String: Any]] = [
            ["role": "model", "path": resolved.model.path, "sha256": resolved.model.sha256],
            ["role": "hardware", "path": resolved.hardware.path, "sha256": resolved.hardware.sha256],
            ["role": "power_model", "path": resolved.powerModel.path, "sha256": resolved.powerModel.sha256],
        ]
        let schedule: [Request]
        var workload: [String: Any]
        if let file = requests {
            let read = try RequestFile.read(path: file, format: requestsFormat, seed: seed)
            schedule = read.requests
            inputs.append(["role": "requests", "path": file, "sha256": try Checksum.sha256(file: file)])
            workload = ["kind": "file", "path": file, "format": read.format.rawValue]
        } else {
            let g = try ScheduleGenerator(
                ratePerS: rate ?? 2, durationS: parseDuration(duration)!, burstiness: burstiness,
                inputTokens: try TokenDistribution.parse(inputTokens, what: "--input-tokens"),
                outputTokens: try TokenDistribution.parse(outputTokens, what: "--output-tokens"), seed: seed)
            schedule = g.generate()
            workload = [
                "kind": "generated", "rate_per_s": g.ratePerS, "duration_s": g.durationS, "burstiness": g.burstiness,
                "arrivals": g.burstiness == 1 ? "poisson" : "gamma", "input_tokens": g.inputTokens.description,
                "output_tokens": g.outputTokens.description,
            ]
            guard !schedule.isEmpty else {
                throw CLIError("the generated schedule is empty: --rate × --duration is too small (e.g. --rate 2 --duration 1h gives about 7,200 requests)")
            }
        }
        workload["requests"] = schedule.count
        workload["input_tokens_total"] = schedule.reduce(0) { $0 + $1.inputTokens }
        workload["output_tokens_total"] = schedule.reduce(0) { $0 + $1.outputTokens }

        // The power method.
        let method: PowerMethod
        switch baseline {
        case nil: method = .surface
        case .nameplate: method = .nameplate
        case .flatState: method = .flatState(resolved.hardware.record.flatStateW)
        case .mean:
            // The constant at the mean of the model's own trace for this schedule (same energy, no shape).
            let pass = try server.run(schedule, noiseSeed: nil, horizonBins: horizonBins, sink: MeanSink())
            method = .constant(nodeW: pass.sink.sum.value / Double(max(pass.sink.count, 1)))
        }

        let dir = try OutputDirectory(path: out)
        let progress = Progress(quiet: quiet, label: "generate")
        var sink = try PowerCSVSink(
            path: dir.file("power.csv"), startEpochMillis: UTCTimestamp.parse(start)!,
            featureNames: method == .surface ? pm.surface.featureNames : ["\(method.name)"])
        let expected = max(schedule.map(\.arrivalS).max() ?? 0, 1)
        sink.progress = { bin in progress.update(fraction: Double(bin) * 0.25 / expected, detail: "\(Int(Double(bin) * 0.25)) s simulated") }
        let noiseSeed: UInt64? = deterministic ? nil : SeedDerivation.derive(root: seed, stream: "fluctuation/server", index: 0)
        let run = try server.run(schedule, method: method, noiseSeed: noiseSeed, horizonBins: horizonBins, sink: sink)
        run.sink.writer.close()
        progress.finish()
        let lat = try RequestsCSV.write(
            path: dir.file("requests.csv"), requests: schedule, outcomes: run.result.outcomes,
            firstTokenOverheadS: server.firstTokenOverheadS)

        var summary = run.sink.summary.report()
        summary["ttft_median_s"] = Descriptive.median(lat.ttft)
        summary["ttft_p95_s"] = Descriptive.percentile(lat.ttft, 95)
        summary["e2e_median_s"] = Descriptive.median(lat.e2e)
        summary["iterations"] = run.result.statistics.iterations
        summary["preemptions"] = run.result.statistics.preemptions
        summary["kv_capacity_tokens"] = run.result.kvCapacityTokens
        summary["max_kv_used_tokens"] = run.result.statistics.maxKvUsedTokens
        summary["generated_tokens"] = run.result.statistics.generatedTokens

        let manifest: [String: Any] = [
            "schema": "loadshape-generate-manifest-v1",
            "tool": ["name": "loadshape", "version": Loadshape.version],
            "command": ["loadshape"] + Array(CommandLine.arguments.dropFirst()),
            "seed": seed,
            "inputs": inputs,
            "workload": workload,
            "configuration": [
                "model": resolved.model.record.name, "gpu": resolved.hardware.record.name, "tp": tp,
                "gpus_per_node": resolved.gpusPerNode, "power_model": pm.name,
                "power_method": method.name, "within_state_fluctuation": noiseSeed != nil && pm.noise != nil,
                "engine": [
                    "max_num_seqs": engine.maxNumSeqs, "max_num_batched_tokens": engine.maxNumBatchedTokens,
                    "gpu_memory_utilization": engine.gpuMemoryUtilization, "scheduler": "vllm_v1_decode_first",
                    "preemption": "recompute",
                ],
                "native_bin_s": 0.25, "start_utc": UTCTimestamp.format(epochMillis: UTCTimestamp.parse(start)!),
                "timestamps": "interval start, UTC",
            ],
            "support_status": resolved.supportStatus,
            "support_violations": resolved.violations,
            "power_model_provenance": pm.provenanceJSON,
            "outputs": [
                "power.csv": try Checksum.sha256(file: dir.file("power.csv")),
                "requests.csv": try Checksum.sha256(file: dir.file("requests.csv")),
            ],
            "summary": summary,
        ]
        try writeJSON(manifest, to: dir.file("manifest.json"))
        try dir.commit()
        if !quiet {
            print(Report.generateSummary(summary, resolved: resolved, method: method, requests: schedule.count, out: dir.path))
        }
        if report { try ReportCommand.afterRun(dir: dir.path, configs: config.configs, quiet: quiet) }
    }

    var horizonBins: Int? {
        horizon.flatMap(parseDuration).map { Int(($0 / 0.25).rounded(.up)) }
    }
}

/// Sums node power (for the mean baseline's first pass).
struct MeanSink: PowerSink {
    var sum = CompensatedSum()
    var count = 0
    mutating func consume(_ bin: PowerBin) {
        sum.add(bin.nodeGpuW)
        count += 1
    }
}

/// An error for the user: printed as is, exit code 1.
struct CLIError: Error, CustomStringConvertible, LocalizedError {
    let message: String
    init(_ m: String) { message = m }
    var description: String { message }
    var errorDescription: String? { message }
}

extension RequestFileFormat: ExpressibleByArgument {}
