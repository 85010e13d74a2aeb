/// Trace-comparison metrics of the validation protocol (method.md §7; reference-method.md §2f).
///
/// All functions are pure and take plain `[Double]` series sampled at the same step (Loadshape scores 1 s
/// per-GPU means). Fractions are returned, not percentages. Conventions shared by every function:
/// - an empty input gives NaN (an empty vector of NaN for ``acf(_:maxLag:)``);
/// - a NaN anywhere in the input gives NaN;
/// - divisions by a zero denominator follow IEEE arithmetic (±∞, or NaN for 0/0), as numpy's do;
/// - functions that compare point by point (``nrmse(predicted:measured:)``) give NaN for series of
///   different lengths.
public enum Metrics {
    /// Relative total-energy error |Σp − Σm| / |Σm|, as a fraction.
    ///
    /// Compares totals, never points, so the series may differ in length. NaN if either is empty.
    public static func energyError(predicted: [Double], measured: [Double]) -> Double {
        guard !predicted.isEmpty, !measured.isEmpty else { return .nan }
        let p = sum(predicted)
        let m = sum(measured)
        return abs(p - m) / abs(m)
    }

    /// Signed relative bias of the means (mean p − mean m) / mean m, as a fraction (negative = under-prediction).
    ///
    /// NaN if either series is empty.
    public static func signedBias(predicted: [Double], measured: [Double]) -> Double {
        guard !predicted.isEmpty, !measured.isEmpty else { return .nan }
        let p = Descriptive.mean(predicted)
        let m = Descriptive.mean(measured)
        return (p - m) / m
    }

    /// Two-sample Kolmogorov–Smirnov statistic, identical to `scipy.stats.ks_2samp(a, b).statistic`.
    ///
    /// The maximum over the pooled values v of |F_a(v) − F_b(v)|, with right-continuous empirical CDFs
    /// F(v) = #{x ≤ v} / n, so tied values are counted together. The series may differ in length.
    /// Like scipy's default (`method="auto"`), samples of at most 10 000 values give the exact rational
    /// h / lcm(n_a, n_b) rounded once; larger ones the floating-point difference of the two ratios.
    /// In 0...1; NaN if either series is empty or holds a NaN.
    public static func ksStatistic(_ a: [Double], _ b: [Double]) -> Double {
        guard !a.isEmpty, !b.isEmpty, !a.contains(where: \.isNaN), !b.contains(where: \.isNaN) else { return .nan }
        let x = a.sorted()
        let y = b.sorted()
        let exact = Swift.max(x.count, y.count) <= 10_000
        let g = gcd(x.count, y.count)
        let (ag, bg) = (x.count / g, y.count / g)
        let (na, nb) = (Double(x.count), Double(y.count))
        var i = 0
        var j = 0
        var h = 0
        var d = 0.0
        // Walk the distinct pooled values in ascending order; after consuming every copy of v from both
        // sides, i and j are the counts ≤ v.
        while i < x.count || j < y.count {
            let v: Double
            if j >= y.count || (i < x.count && x[i] <= y[j]) { v = x[i] } else { v = y[j] }
            while i < x.count && x[i] <= v { i += 1 }
            while j < y.count && y[j] <= v { j += 1 }
            if exact {
                // i/n_a − j/n_b = (i·n_b/g − j·n_a/g) / lcm.
                h = Swift.max(h, abs(i * bg - j * ag))
            } else {
                d = Swift.max(d, abs(Double(i) / na - Double(j) / nb))
            }
        }
        return exact ? Double(h) / Double(ag * y.count) : d
    }

    /// Autocorrelation ACF(k) = Σ c_t c_{t+k} / Σ c_t² with c = x − mean(x), for k = 1...maxLag.
    ///
    /// Returns `maxLag` values (lag 1 first); lags ≥ `x.count` are 0 (no overlapping pairs). All 0 if the
    /// variance is 0 (a constant series). `maxLag` NaN values for an empty series; `[]` if `maxLag < 1`.
    public static func acf(_ x: [Double], maxLag: Int) -> [Double] {
        guard maxLag >= 1 else { return [] }
        guard !x.isEmpty else { return [Double](repeating: .nan, count: maxLag) }
        let mean = Descriptive.mean(x)
        let c = x.map { $0 - mean }
        var den = CompensatedSum()
        for v in c { den.add(v * v) }
        let denominator = den.value
        if denominator.isNaN { return [Double](repeating: .nan, count: maxLag) }
        guard denominator > 0 else { return [Double](repeating: 0, count: maxLag) }
        var out = [Double](repeating: 0, count: maxLag)
        for k in 1...maxLag where k < c.count {
            var s = CompensatedSum()
            for t in 0..<(c.count - k) { s.add(c[t] * c[t + k]) }
            out[k - 1] = s.value / denominator
        }
        return out
    }

    /// The ACF lag count of the protocol: 60 lags for series of ≥ 240 points, else `max(1, count / 4)`.
    ///
    /// On 1 s means that is lags 1–60 s, or 1 to n/4 for runs shorter than 240 s (method.md §7).
    public static func defaultACFLag(count: Int) -> Int {
        count >= 240 ? 60 : Swift.max(1, count / 4)
    }

    /// R² of the predicted ACF against the measured ACF: 1 − Σ(ACF_p − ACF_m)² / Σ(ACF_m − mean(ACF_m))².
    ///
    /// `maxLag` defaults to ``defaultACFLag(count:)`` of the measured series. At most 1; negative when the
    /// predicted ACF is further from the measured one than the measured ACF's own mean is. NaN if either
    /// series is empty; the denominator is 0 (result ±∞ or NaN) when the measured ACF is flat, e.g. a
    /// constant measured series or `maxLag` 1.
    public static func acfR2(predicted: [Double], measured: [Double], maxLag: Int? = nil) -> Double {
        guard !predicted.isEmpty, !measured.isEmpty else { return .nan }
        let lag = maxLag ?? defaultACFLag(count: measured.count)
        guard lag >= 1 else { return .nan }
        let ap = acf(predicted, maxLag: lag)
        let am = acf(measured, maxLag: lag)
        let meanM = Descriptive.mean(am)
        var residual = CompensatedSum()
        var total = CompensatedSum()
        for k in 0..<lag {
            residual.add((ap[k] - am[k]) * (ap[k] - am[k]))
            total.add((am[k] - meanM) * (am[k] - meanM))
        }
        return 1 - residual.value / total.value
    }

    /// Mean absolute ACF difference (1/L) Σ |ACF_p(k) − ACF_m(k)| over lags k = 1...L.
    ///
    /// `maxLag` (L) defaults to ``defaultACFLag(count:)`` of the measured series. NaN if either series is empty.
    public static func acfMAE(predicted: [Double], measured: [Double], maxLag: Int? = nil) -> Double {
        guard !predicted.isEmpty, !measured.isEmpty else { return .nan }
        let lag = maxLag ?? defaultACFLag(count: measured.count)
        guard lag >= 1 else { return .nan }
        let ap = acf(predicted, maxLag: lag)
        let am = acf(measured, maxLag: lag)
        var s = CompensatedSum()
        for k in 0..<lag { s.add(abs(ap[k] - am[k])) }
        return s.value / Double(lag)
    }

    /// Range-normalised RMSE: √(mean (p − m)²) / (max(m) − min(m)).
    ///
    /// Point by point: NaN if the series differ in length or are empty; ∞ (or NaN if also exact) when the
    /// measured series is constant.
    public static func nrmse(predicted: [Double], measured: [Double]) -> Double {
        guard !measured.isEmpty, predicted.count == measured.count, !measured.contains(where: \.isNaN) else {
            return .nan
        }
        var s = CompensatedSum()
        for (p, m) in zip(predicted, measured) { s.add((p - m) * (p - m)) }
        let rmse = (s.value / Double(measured.count)).squareRoot()
        guard let lo = measured.min(), let hi = measured.max() else { return .nan }
        return rmse / (hi - lo)
    }

    /// Relative percentile error |pctl_p(predicted) − pctl_p(measured)| / |pctl_p(measured)|, as a fraction.
    ///
    /// `p` is in 0...100 and percentiles use numpy's default linear interpolation
    /// (``Descriptive/percentile(sorted:_:)``). The series may differ in length. NaN if either is empty or
    /// holds a NaN, or if `p` is outside 0...100.
    public static func percentileError(predicted: [Double], measured: [Double], p: Double) -> Double {
        guard !predicted.isEmpty, !measured.isEmpty, (0...100).contains(p),
            !predicted.contains(where: \.isNaN), !measured.contains(where: \.isNaN)
        else { return .nan }
        let a = Descriptive.percentile(sorted: predicted.sorted(), p)
        let b = Descriptive.percentile(sorted: measured.sorted(), p)
        return abs(a - b) / abs(b)
    }

    private static func gcd(_ a: Int, _ b: Int) -> Int {
        var (a, b) = (a, b)
        while b != 0 { (a, b) = (b, a % b) }
        return a
    }

    private static func sum(_ x: [Double]) -> Double {
        var s = CompensatedSum()
        for v in x { s.add(v) }
        return s.value
    }
}
