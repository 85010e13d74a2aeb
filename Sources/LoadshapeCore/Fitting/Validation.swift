/// The fidelity scores of one synthetic trace against a measured one (method.md §7), on 1 s per-GPU means.
public struct FidelityScore: Sendable, Equatable {
    /// |ΣP̂ − ΣP| / ΣP (fraction).
    public var energyError: Double
    /// R² of the synthetic ACF against the measured ACF (lags 1–60 s; 1 to n/4 for runs under 240 s).
    public var acfR2: Double
    /// The same R² over the active part only (from the first arrival), where idle leads cannot help.
    public var acfR2Active: Double
    /// 1 − the two-sample Kolmogorov–Smirnov statistic.
    public var oneMinusKS: Double
    /// RMSE / (max − min) of the measured series.
    public var nrmse: Double
    public var p95Error: Double
    public var p99Error: Double
    /// Relative error of the median TTFT and median end-to-end latency (NaN when unmeasured).
    public var ttftMedianError: Double
    public var e2eMedianError: Double

    public static let metricNames = [
        "energy_error", "acf_r2", "acf_r2_active", "one_minus_ks", "nrmse", "p95_error", "p99_error",
        "ttft_median_error", "e2e_median_error",
    ]

    public var values: [Double] {
        [energyError, acfR2, acfR2Active, oneMinusKS, nrmse, p95Error, p99Error, ttftMedianError, e2eMedianError]
    }

    /// Scores `predicted` against `measured` (both 1 s means, same length; NaN seconds in `measured` are dropped
    /// from both). `activeFrom` is the first second of the active part.
    public static func score(
        predicted: [Double], measured: [Double], activeFrom: Int = 0, ttft: (Double, Double)? = nil,
        e2e: (Double, Double)? = nil
    ) -> FidelityScore {
        let n = Swift.min(predicted.count, measured.count)
        var p: [Double] = []
        var m: [Double] = []
        var pa: [Double] = []
        var ma: [Double] = []
        for i in 0..<n where measured[i].isFinite && predicted[i].isFinite {
            p.append(predicted[i])
            m.append(measured[i])
            if i >= activeFrom {
                pa.append(predicted[i])
                ma.append(measured[i])
            }
        }
        func rel(_ pair: (Double, Double)?) -> Double {
            guard let (pred, meas) = pair, meas.isFinite, meas != 0, pred.isFinite else { return .nan }
            return abs(pred - meas) / abs(meas)
        }
        return FidelityScore(
            energyError: Metrics.energyError(predicted: p, measured: m),
            acfR2: Metrics.acfR2(predicted: p, measured: m),
            acfR2Active: Metrics.acfR2(predicted: pa, measured: ma),
            oneMinusKS: 1 - Metrics.ksStatistic(p, m),
            nrmse: Metrics.nrmse(predicted: p, measured: m),
            p95Error: Metrics.percentileError(predicted: p, measured: m, p: 95),
            p99Error: Metrics.percentileError(predicted: p, measured: m, p: 99),
            ttftMedianError: rel(ttft), e2eMedianError: rel(e2e))
    }
}
