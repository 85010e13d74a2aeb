import LoadshapeCore

/// The small computations the figures need beyond what the outputs hold.
public enum SeriesMath {
    /// Means of consecutive blocks of `factor` values; a trailing partial block is the mean of what it has (the
    /// convention of every coarser output resolution).
    public static func blockMeans(_ values: [Double], factor: Int) -> [Double] {
        guard factor > 1 else { return values }
        var out: [Double] = []
        out.reserveCapacity(values.count / factor + 1)
        var i = 0
        while i < values.count {
            let e = min(i + factor, values.count)
            var s = 0.0
            for k in i..<e { s += values[k] }
            out.append(s / Double(e - i))
            i = e
        }
        return out
    }

    /// The load-duration curve as interval data: values from largest to smallest, the k-th largest holding over
    /// the share of time [k, k + 1) / n × 100 % (so the curve covers 0–100 % whatever the resolution).
    public static func loadDuration(_ values: [Double]) -> (percent: [Double], value: [Double], width: Double) {
        let v = values.filter(\.isFinite).sorted(by: >)
        let n = Double(v.count)
        return (v.indices.map { Double($0) / n * 100 }, v, 100 / max(n, 1))
    }

    /// The empirical CDF at up to `points` evenly spaced ranks (enough for a staircase at screen resolution).
    public static func cdf(_ values: [Double], points: Int = 1000) -> (x: [Double], p: [Double]) {
        let v = values.filter(\.isFinite).sorted()
        guard !v.isEmpty else { return ([], []) }
        let n = v.count
        if n <= points { return (v, v.indices.map { Double($0 + 1) / Double(n) }) }
        var x: [Double] = []
        var p: [Double] = []
        for j in 0..<points {
            let k = Int((Double(j + 1) / Double(points) * Double(n)).rounded(.up)) - 1
            x.append(v[min(max(k, 0), n - 1)])
            p.append(Double(k + 1) / Double(n))
        }
        return (x, p)
    }

    /// The autocorrelation at lags 0…maxLag (lag 0 is 1).
    public static func acf(_ values: [Double], maxLag: Int) -> [Double] {
        [1] + Metrics.acf(values, maxLag: maxLag)
    }

    /// Per row of several member columns: the lowest, mean and highest member.
    public static func acrossMembers(_ columns: [[Double]]) -> (lower: [Double], mean: [Double], upper: [Double]) {
        let n = columns.map(\.count).min() ?? 0
        var lo = [Double](repeating: .infinity, count: n)
        var hi = [Double](repeating: -.infinity, count: n)
        var sum = [Double](repeating: 0, count: n)
        for c in columns {
            for k in 0..<n {
                lo[k] = min(lo[k], c[k])
                hi[k] = max(hi[k], c[k])
                sum[k] += c[k]
            }
        }
        let m = Double(max(columns.count, 1))
        return (lo, sum.map { $0 / m }, hi)
    }

    /// Racks admitted under each limit (kW) by the P95 rule of the oversubscription analysis: n racks while the
    /// P95 coincident peak of 1…n racks all stay within the limit. Returns the breakpoints of that staircase.
    public static func admittedByLimit(curve: [(racks: Int, p95PeakKW: Double)]) -> (limitKW: [Double], racks: [Double]) {
        var limits: [Double] = []
        var racks: [Double] = []
        var runningMax = -Double.infinity
        for (n, p) in curve.sorted(by: { $0.racks < $1.racks }) {
            runningMax = max(runningMax, p)
            limits.append(runningMax)
            racks.append(Double(n))
        }
        return (limits, racks)
    }
}
