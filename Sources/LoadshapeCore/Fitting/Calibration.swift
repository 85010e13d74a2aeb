import RealModule

/// One measured run prepared for fitting: its requests on the power trace's clock and the measured per-GPU power.
public struct CalibrationRun: Sendable {
    public var id: String
    /// Requests with arrivals in seconds from the power trace's first sample.
    public var requests: [Request]
    /// Mean power of one GPU of the TP group per 250 ms bin from the trace start, W (NaN where unmeasured).
    public var measuredGpuW: [Double]
    /// Measured time to first token per request (same order as `requests`), s; NaN where unknown.
    public var ttftS: [Double]
    /// Measured mean inter-token latency per request, s; NaN where unknown (e.g. single-token outputs).
    public var meanITLS: [Double]

    public init(id: String, requests: [Request], measuredGpuW: [Double], ttftS: [Double], meanITLS: [Double]) {
        self.id = id
        self.requests = requests
        self.measuredGpuW = measuredGpuW
        self.ttftS = ttftS
        self.meanITLS = meanITLS
    }
}

/// What a fit found and how well, for the model file.
public struct TimingFitReport: Sendable {
    public var timing: TimingParameters
    public var ttftPoints: Int
    public var itlPoints: Int
    /// Median |log(predicted/measured)| before and after the fit.
    public var medianAbsLogErrorTTFTBefore: Double
    public var medianAbsLogErrorTTFTAfter: Double
    public var medianAbsLogErrorITLBefore: Double
    public var medianAbsLogErrorITLAfter: Double
    public var evaluations: Int
}

public struct SurfaceFitReport: Sendable {
    public var surface: DenseSurface
    public var idleSourceRuns: Int
    /// (delay bins, average bins, weighted objective) per candidate.
    public var candidates: [(delayBins: Int, averageBins: Int, objective: Double)]
    public var fitBins1s: Int
}

/// Fitting the model to measured runs (method.md §6): timing by bounded least squares on log residuals, the idle
/// floor from idle stretches, the dense surface by weighted NNLS on 1 s means with the meter response chosen by fit,
/// and the within-state residual statistics.
public enum Calibration {
    /// Serves `run` with `server` and returns the per-request engine outcomes.
    static func outcomes(_ server: ServerModel, _ run: CalibrationRun) throws(ModelError) -> [RequestOutcome] {
        var sink = DiscardIterations()
        return try server.simulator.run(run.requests, sink: &sink).outcomes
    }

    /// An iteration sink that keeps nothing.
    public struct DiscardIterations: IterationSink {
        public init() {}
        public mutating func consume(_ iteration: IterationRecord) {}
    }

    /// Log residuals (TTFT, ITL) of a timing over all runs.
    static func residuals(
        _ timing: TimingParameters, runs: [CalibrationRun], make: (TimingParameters) throws(ModelError) -> ServerModel
    ) throws(ModelError) -> (ttft: [Double], itl: [Double]) {
        let server = try make(timing)
        var t: [Double] = []
        var i: [Double] = []
        for run in runs {
            let out = try outcomes(server, run)
            for (k, o) in out.enumerated() {
                let r = run.requests[k]
                let m = run.ttftS[k]
                if m.isFinite && m > 0 {
                    let p = o.firstTokenS - r.arrivalS + timing.firstTokenOverheadS
                    if p > 0 { t.append(Double.log(p / m)) }
                }
                let mi = run.meanITLS[k]
                if mi.isFinite && mi > 0 && r.outputTokens > 1 {
                    let p = (o.lastTokenS - o.firstTokenS) / Double(r.outputTokens - 1)
                    if p > 0 { i.append(Double.log(p / mi)) }
                }
            }
        }
        return (t, i)
    }

    static func medianAbs(_ x: [Double]) -> Double { x.isEmpty ? .nan : Descriptive.median(x.map { abs($0) }) }

    /// Calibrates eff_flops, eff_bw, per-message latency at `tp`, per-token sampling and first-token overhead.
    ///
    /// Minimises the soft-L1 loss of log(predicted / measured) over every request's TTFT and mean ITL (the two
    /// groups weighted equally), within the reference's bounds.
    public static func fitTiming(
        runs: [CalibrationRun], start: TimingParameters, tp: Int,
        make: (TimingParameters) throws(ModelError) -> ServerModel, maxEvaluations: Int = 600,
        progress: ((_ evaluations: Int, _ budget: Int) -> Void)? = nil
    ) throws(ModelError) -> TimingFitReport {
        func timing(_ x: [Double]) -> TimingParameters {
            var t = start
            t.effFlops = x[0]
            t.effBandwidth = x[1]
            t.perMessageS[String(tp)] = x[2]
            t.perTokenSampleS = x[3]
            t.firstTokenOverheadS = x[4]
            return t
        }
        let before = try residuals(start, runs: runs, make: make)
        func loss(_ r: [Double]) -> Double {
            r.reduce(0.0) { $0 + 2 * ((1 + $1 * $1).squareRoot() - 1) } / Double(Swift.max(r.count, 1))
        }
        let x0 = [start.effFlops, start.effBandwidth, start.perMessage(tp: tp) ?? 1e-4, start.perTokenSampleS, start.firstTokenOverheadS]
        let lower = [0.05, 0.05, 0, 0, 0]
        let upper = [1.0, 1.0, 2e-3, 5e-4, 0.2]
        var failure: ModelError?
        var evaluations = 0
        let result = BoundedNelderMead.minimize(
            { x in
                evaluations += 1
                progress?(evaluations, maxEvaluations)
                do {
                    let r = try residuals(timing(x), runs: runs, make: make)
                    return loss(r.ttft) + loss(r.itl)
                } catch {
                    failure = error as? ModelError
                    return .infinity
                }
            }, start: x0, lower: lower, upper: upper, maxEvaluations: maxEvaluations, tolerance: 1e-7)
        if let f = failure, !result.value.isFinite { throw f }
        let fitted = timing(result.x)
        let after = try residuals(fitted, runs: runs, make: make)
        return TimingFitReport(
            timing: fitted, ttftPoints: after.ttft.count, itlPoints: after.itl.count,
            medianAbsLogErrorTTFTBefore: medianAbs(before.ttft), medianAbsLogErrorTTFTAfter: medianAbs(after.ttft),
            medianAbsLogErrorITLBefore: medianAbs(before.itl), medianAbsLogErrorITLAfter: medianAbs(after.itl),
            evaluations: result.evaluations)
    }

    /// The serving model's bins for a run, exactly as long as the measured trace.
    public static func ledger(_ server: ServerModel, _ run: CalibrationRun) throws(ModelError) -> [LedgerBin] {
        var ledger = Ledger(sink: CollectBins(), horizonBins: run.measuredGpuW.count)
        _ = try server.simulator.run(run.requests, sink: &ledger)
        ledger.finish(bins: run.measuredGpuW.count)
        return ledger.sink.bins
    }

    struct CollectBins: BinSink {
        var bins: [LedgerBin] = []
        mutating func consume(_ bin: LedgerBin) { bins.append(bin) }
    }

    /// The idle floor: per run, the median measured power over stretches of ≥ 4 s where the serving model is idle,
    /// after dropping each stretch's first 2 s; then the median over runs. Nil if no run has such a stretch.
    public static func idleFloor(runs: [CalibrationRun], ledgers: [[LedgerBin]]) -> (w: Double, runs: Int)? {
        var medians: [Double] = []
        for (run, bins) in zip(runs, ledgers) {
            var values: [Double] = []
            var k = 0
            while k < bins.count {
                guard bins[k].busy == 0 else {
                    k += 1
                    continue
                }
                var e = k
                while e < bins.count && bins[e].busy == 0 { e += 1 }
                if e - k >= 16 {
                    for j in (k + 8)..<e where run.measuredGpuW[j].isFinite { values.append(run.measuredGpuW[j]) }
                }
                k = e
            }
            if !values.isEmpty { medians.append(Descriptive.median(values)) }
        }
        guard !medians.isEmpty else { return nil }
        return (Descriptive.median(medians), medians.count)
    }

    /// Fits the dense surface: idle floor, then for each meter candidate the run-balanced, tail-weighted NNLS of
    /// (P − idle) on the 1 s means of the three features; the candidate with the smallest weighted SSE wins (ties
    /// to the shorter delay).
    public static func fitDenseSurface(
        runs: [CalibrationRun], ledgers: [[LedgerBin]], architecture: ArchitectureRecord, hardware: HardwareRecord,
        tp: Int, meterCandidates: [MeterResponse], fallbackIdleW: Double, tailWeight: Double = 0.5
    ) -> SurfaceFitReport {
        let idle = idleFloor(runs: runs, ledgers: ledgers)
        let idleW = idle?.w ?? fallbackIdleW
        let wf = DenseFeatures.weightFraction(architecture, tp: tp, hardware: hardware)
        var best: (DenseSurface, Double)?
        var candidates: [(Int, Int, Double)] = []
        var bins1s = 0
        for m in meterCandidates {
            var rows: [[Double]] = []
            var target: [Double] = []
            var weights: [Double] = []
            for (run, bins) in zip(runs, ledgers) {
                var filter = MeterFilter()
                let feats = bins.map { filter.apply(DenseFeatures.raw($0, weightFraction: wf, tp: tp, hardware: hardware), response: m) }
                var rr: [[Double]] = []
                var tt: [Double] = []
                var s = 0
                while s + 4 <= bins.count {
                    let block = (s..<(s + 4))
                    if block.allSatisfy({ run.measuredGpuW[$0].isFinite }) {
                        let p = block.reduce(0.0) { $0 + run.measuredGpuW[$1] } / 4
                        rr.append([1, 2, 3, 4, 5].map { c in block.reduce(0.0) { $0 + feats[$1][c] } / 4 })
                        tt.append(p - idleW)
                    }
                    s += 4
                }
                guard !tt.isEmpty else { continue }
                let p90 = Descriptive.percentile(tt, 90)
                let nHigh = tt.filter { $0 >= p90 }.count
                let nLow = tt.count - nHigh
                for v in tt {
                    weights.append(
                        v >= p90
                            ? tailWeight / Double(Swift.max(nHigh, 1)) : (1 - tailWeight) / Double(Swift.max(nLow, 1)))
                }
                rows += rr
                target += tt
            }
            bins1s = target.count
            guard !rows.isEmpty else { continue }
            // Scale columns by their RMS for conditioning; rescale the coefficients back.
            let scale = (0..<5).map { c -> Double in
                let r = (rows.reduce(0.0) { $0 + $1[c] * $1[c] } / Double(rows.count)).squareRoot()
                return r > 0 ? r : 1
            }
            let scaled = rows.map { r in (0..<5).map { r[$0] / scale[$0] } }
            let fit = NNLS.solve(scaled, target, weights: weights)
            let c = (0..<5).map { fit.x[$0] / scale[$0] }
            candidates.append((m.delayBins, m.averageBins, fit.residualSumOfSquares))
            let surface = DenseSurface(
                idleW: idleW, activeWeightFraction: c[0], computeUtil: c[1], dutySqrtMemoryUtil: c[2],
                prefillComputeUtil: c[3], attentionMemoryUtil: c[4], meter: m)
            if best == nil || fit.residualSumOfSquares < best!.1 - 1e-12 * abs(best!.1) {
                best = (surface, fit.residualSumOfSquares)
            }
        }
        let surface =
            best?.0
            ?? DenseSurface(idleW: idleW, activeWeightFraction: 0, computeUtil: 0, dutySqrtMemoryUtil: 0, meter: .none)
        return SurfaceFitReport(
            surface: surface, idleSourceRuns: idle?.runs ?? 0,
            candidates: candidates.map { (delayBins: $0.0, averageBins: $0.1, objective: $0.2) }, fitBins1s: bins1s)
    }

    /// Residual statistics per state at the native bin: σ, lag-1 autocorrelation within same-state stretches
    /// (clipped to [0, 0.99]) and `quantiles` standardised quantiles.
    ///
    /// Only bins at least `margin` bins inside a same-state stretch are used: at a state change the replayed and
    /// the measured timelines are never aligned to the bin, and those misalignment errors are not fluctuation
    /// within a state (counting them inflates σ and fattens the tails). A state with fewer than 64 interior bins
    /// falls back to all its bins.
    public static func fitNoise(
        residuals: [[Double]], states: [[OperatingState]], quantiles count: Int = 33, margin: Int = 2
    ) -> (model: StateNoiseModel, samples: [Int]) {
        func interior(_ s: [OperatingState], _ t: Int, _ m: Int) -> Bool {
            guard t - m >= 0 && t + m < s.count else { return false }
            for u in (t - m)...(t + m) where s[u] != s[t] { return false }
            return true
        }
        var byState: [[Double]] = [[], [], []]
        var num = [0.0, 0.0, 0.0]
        var den = [0.0, 0.0, 0.0]
        var means = [0.0, 0.0, 0.0]
        var useMargin = [margin, margin, margin]
        for k in 0..<3 {
            var n = 0
            for (r, s) in zip(residuals, states) {
                for t in 0..<r.count where s[t].rawValue == k && r[t].isFinite && interior(s, t, margin) { n += 1 }
            }
            if n < 64 { useMargin[k] = 0 }
        }
        for (r, s) in zip(residuals, states) {
            for t in 0..<r.count where r[t].isFinite && interior(s, t, useMargin[s[t].rawValue]) {
                byState[s[t].rawValue].append(r[t])
            }
        }
        for k in 0..<3 { means[k] = byState[k].isEmpty ? 0 : Descriptive.mean(byState[k]) }
        for (r, s) in zip(residuals, states) {
            for t in 1..<Swift.max(r.count, 1) where s[t] == s[t - 1] && r[t].isFinite && r[t - 1].isFinite {
                let k = s[t].rawValue
                guard interior(s, t, useMargin[k]) && interior(s, t - 1, useMargin[k]) else { continue }
                num[k] += (r[t] - means[k]) * (r[t - 1] - means[k])
                den[k] += (r[t - 1] - means[k]) * (r[t - 1] - means[k])
            }
        }
        func residual(_ k: Int) -> StateResidual {
            let xs = byState[k]
            guard xs.count >= 8 else { return StateResidual(phi: 0, sigmaW: 0, quantiles: [0, 0]) }
            let m = means[k]
            // Robust scale (1.4826 × MAD): the residual's bulk is fluctuation; its far tails are mostly what the
            // mean model gets wrong (a prefill burst placed a bin early), which must not widen the whole state.
            let med = Descriptive.median(xs)
            let sd = 1.4826 * Descriptive.median(xs.map { abs($0 - med) })
            let sorted = xs.map { sd > 0 ? ($0 - m) / sd : 0 }.sorted()
            let q = (0..<count).map { Descriptive.percentile(sorted: sorted, 100 * Double($0) / Double(count - 1)) }
            let phi = den[k] > 0 ? Swift.min(Swift.max(num[k] / den[k], 0), 0.99) : 0
            return StateResidual(phi: phi, sigmaW: sd, quantiles: q)
        }
        return (
            StateNoiseModel(idle: residual(0), decode: residual(1), prefill: residual(2)),
            byState.map(\.count)
        )
    }
}
