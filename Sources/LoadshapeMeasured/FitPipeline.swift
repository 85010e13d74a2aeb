import Foundation
import LoadshapeCore
import LoadshapeIO

/// A measured run ready for fitting and scoring.
public struct PreparedRun: Sendable {
    public var run: MeasuredRun
    public var calibration: CalibrationRun
    /// Measured medians of TTFT and end-to-end latency (end-to-end NaN when the log has no inter-token data).
    public var measuredTTFTMedianS: Double
    public var measuredE2EMedianS: Double
    /// First second with an arrival (the start of the active part).
    public var firstArrivalSecond: Int

    public var id: String { calibration.id }

    public init(_ run: MeasuredRun) {
        self.run = run
        let ordered = run.orderedRequests()
        let requests = run.schedule()
        let name = URL(fileURLWithPath: run.directory).lastPathComponent
        calibration = CalibrationRun(
            id: name, requests: requests, measuredGpuW: run.powerBins(binS: 0.25),
            ttftS: ordered.map { $0.ttftS }, meanITLS: ordered.map { $0.meanITLS ?? .nan })
        measuredTTFTMedianS = Descriptive.median(ordered.map(\.ttftS).filter(\.isFinite))
        let e2e = ordered.compactMap { r -> Double? in r.decodeTimeS.map { r.ttftS + $0 } }
        measuredE2EMedianS = e2e.count == ordered.count && !e2e.isEmpty ? Descriptive.median(e2e) : .nan
        firstArrivalSecond = Int(((requests.map(\.arrivalS).min() ?? 0) / 1).rounded(.down))
    }

    /// Loads and prepares every directory, in the order given.
    public static func load(_ dirs: [String]) throws(IOError) -> [PreparedRun] {
        var out: [PreparedRun] = []
        for d in dirs {
            let r = try MeasuredRun.load(directory: d)
            guard !r.requests.isEmpty else { throw IOError("\(d): the run has no requests to replay") }
            let p = PreparedRun(r)
            guard p.calibration.measuredGpuW.count >= 8 else {
                throw IOError("\(d)/power.csv: under 2 s of power for the TP group; nothing to fit or score")
            }
            out.append(p)
        }
        return out
    }
}

/// A fitted power model and its reports.
public struct FittedModel: Sendable {
    public var timing: TimingFitReport
    public var surface: SurfaceFitReport
    public var noise: StateNoiseModel
    public var noiseSamples: [Int]
    public var trainingMeanGpuW: Double
    public var inSample: [(run: String, score: FidelityScore)]
}

/// `loadshape fit` and `loadshape validate` as library calls (so leave-one-run-out can reuse them).
public enum FitPipeline {
    public struct Configuration: Sendable {
        public var architecture: ArchitectureRecord
        public var hardware: HardwareRecord
        public var tp: Int
        public var engine: EngineLimits
        /// Starting timing constants and the fallback idle floor (from an existing power model).
        public var start: PowerModelRecord
        /// Share of each run's NNLS weight on its seconds at or above the run's P90 (the reference: 0.5; Loadshape
        /// defaults to 0.1, which fits the bulk of the distribution better on held-out runs, docs/validation.md).
        public var tailWeight = 0.1

        public init(
            architecture: ArchitectureRecord, hardware: HardwareRecord, tp: Int, engine: EngineLimits,
            start: PowerModelRecord
        ) {
            self.architecture = architecture
            self.hardware = hardware
            self.tp = tp
            self.engine = engine
            self.start = start
        }

        func server(_ timing: TimingParameters, _ surface: PowerSurface, noise: StateNoiseModel? = nil)
            throws(ModelError) -> ServerModel
        {
            try ServerModel(
                architecture: architecture, hardware: hardware, tp: tp, gpusPerNode: tp, timing: timing,
                engine: engine, surface: surface, noise: noise)
        }
    }

    static let meterCandidates: [MeterResponse] = [0, 1, 2, 3].flatMap { d in
        [MeterResponse(delayBins: d, averageBins: 0), MeterResponse(delayBins: d, averageBins: 4)]
    }

    /// Fits every stage; `progress`, when given, is told the stage and the share of the whole fit done.
    public static func fit(
        _ runs: [PreparedRun], _ c: Configuration, timingEvaluations: Int = 600,
        progress: ((_ stage: String, _ fraction: Double) -> Void)? = nil
    ) throws(ModelError) -> FittedModel {
        guard case .dense = c.start.surface else {
            throw .unsupported("fitting covers dense models; \(c.architecture.name) is \(c.architecture.kind.rawValue)")
        }
        let cal = runs.map(\.calibration)
        let startSurface = c.start.surface
        let timing = try Calibration.fitTiming(
            runs: cal, start: c.start.timing, tp: c.tp, make: { t throws(ModelError) in try c.server(t, startSurface) },
            maxEvaluations: timingEvaluations,
            progress: progress.map { p in { n, budget in p("timing \(n)/\(budget) evaluations", 0.8 * Double(n) / Double(max(budget, 1))) } })
        progress?("surface", 0.8)
        let server = try c.server(timing.timing, startSurface)
        var ledgers: [[LedgerBin]] = []
        for r in cal { ledgers.append(try Calibration.ledger(server, r)) }
        let surface = Calibration.fitDenseSurface(
            runs: cal, ledgers: ledgers, architecture: c.architecture, hardware: c.hardware, tp: c.tp,
            meterCandidates: meterCandidates, fallbackIdleW: c.start.surface.idleW, tailWeight: c.tailWeight)
        // Residuals of the fitted mean at 250 ms, per state.
        let fitted = try c.server(timing.timing, .dense(surface.surface))
        var residuals: [[Double]] = []
        var states: [[OperatingState]] = []
        var inSample: [(String, FidelityScore)] = []
        var total = CompensatedSum()
        var count = 0
        for (r, bins) in zip(cal, ledgers) {
            let pred = try predictGpuW(fitted, r, noiseSeed: nil)
            residuals.append(zip(r.measuredGpuW, pred).map { $0 - $1 })
            states.append(bins.map(\.state))
            for w in r.measuredGpuW where w.isFinite {
                total.add(w)
                count += 1
            }
        }
        progress?("fluctuation", 0.9)
        let noise = Calibration.fitNoise(residuals: residuals, states: states)
        let model = try c.server(timing.timing, .dense(surface.surface), noise: noise.model)
        progress?("in-sample scores", 0.95)
        for p in runs {
            inSample.append((p.id, try score(p, model: model, seed: 1).model))
        }
        progress?("done", 1)
        return FittedModel(
            timing: timing, surface: surface, noise: noise.model, noiseSamples: noise.samples,
            trainingMeanGpuW: count > 0 ? total.value / Double(count) : .nan, inSample: inSample)
    }

    /// Per-GPU power of the TP group per 250 ms bin, as long as the run's measured trace.
    public static func predictGpuW(_ server: ServerModel, _ r: CalibrationRun, noiseSeed: UInt64?) throws(ModelError)
        -> [Double]
    {
        struct Collect: PowerSink {
            var w: [Double] = []
            mutating func consume(_ b: PowerBin) { w.append(b.gpuW) }
        }
        return try server.run(r.requests, noiseSeed: noiseSeed, horizonBins: r.measuredGpuW.count, sink: Collect()).sink.w
    }

    /// Scores of the model and the three baselines on one run.
    public struct RunScores: Sendable {
        public var model: FidelityScore
        public var nameplate: FidelityScore
        public var mean: FidelityScore?
        public var flatState: FidelityScore
        /// 1 s per-GPU series: measured, the model, flat-state (for plots and diagnosis).
        public var measured1s: [Double]
        public var model1s: [Double]
        public var flatState1s: [Double]
    }

    public static func score(
        _ p: PreparedRun, model: ServerModel, seed: UInt64, trainingMeanGpuW: Double? = nil
    ) throws(ModelError) -> RunScores {
        let r = p.calibration
        let noiseSeed = SeedDerivation.derive(root: seed, stream: "validate/" + r.id)
        let measured1s = Descriptive.blockMeans(r.measuredGpuW, factor: 4)
        // The model, with the timing it predicts.
        var sink = Calibration.DiscardIterations()
        let served = try model.simulator.run(r.requests, sink: &sink)
        let ttft = served.outcomes.enumerated().map { k, o in o.firstTokenS - r.requests[k].arrivalS + model.firstTokenOverheadS }
        let e2e = served.outcomes.enumerated().map { k, o in o.lastTokenS - r.requests[k].arrivalS + model.firstTokenOverheadS }
        let timing = (Descriptive.median(ttft), p.measuredTTFTMedianS)
        let end = (Descriptive.median(e2e), p.measuredE2EMedianS)
        func scoreOf(_ pred250: [Double]) -> FidelityScore {
            FidelityScore.score(
                predicted: Descriptive.blockMeans(pred250, factor: 4), measured: measured1s,
                activeFrom: p.firstArrivalSecond, ttft: timing, e2e: end)
        }
        let modelTrace = try predictGpuW(model, r, noiseSeed: noiseSeed)
        let modelScore = scoreOf(modelTrace)
        let n = r.measuredGpuW.count
        let nameplate = scoreOf([Double](repeating: model.hardware.tdpW, count: n))
        let mean = trainingMeanGpuW.map { scoreOf([Double](repeating: $0, count: n)) }
        struct Collect: PowerSink {
            var w: [Double] = []
            mutating func consume(_ b: PowerBin) { w.append(b.gpuW) }
        }
        let flat = try model.run(
            r.requests, method: .flatState(model.hardware.flatStateW), noiseSeed: nil, horizonBins: n, sink: Collect())
        return RunScores(
            model: modelScore, nameplate: nameplate, mean: mean, flatState: scoreOf(flat.sink.w), measured1s: measured1s,
            model1s: Descriptive.blockMeans(modelTrace, factor: 4), flatState1s: Descriptive.blockMeans(flat.sink.w, factor: 4))
    }
}
