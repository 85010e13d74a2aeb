/// Neumaier's compensated sum: accurate, and deterministic for a fixed order of additions.
public struct CompensatedSum: Sendable, Equatable {
    public private(set) var sum = 0.0
    private var compensation = 0.0
    public init() {}

    @inline(__always)
    public mutating func add(_ x: Double) {
        let t = sum + x
        if abs(sum) >= abs(x) {
            compensation += (sum - t) + x
        } else {
            compensation += (x - t) + sum
        }
        sum = t
    }

    public var value: Double { sum + compensation }
}

/// Descriptive statistics with numpy's conventions.
public enum Descriptive {
    /// The `p`-th percentile (0...100) of ascending `sorted` values by linear interpolation between closest ranks
    /// (numpy's default `linear` method). NaN for empty input.
    public static func percentile(sorted: [Double], _ p: Double) -> Double {
        guard !sorted.isEmpty else { return .nan }
        let h = (Double(sorted.count) - 1) * p / 100
        let lo = Int(h.rounded(.down))
        let hi = Swift.min(lo + 1, sorted.count - 1)
        let f = h - Double(lo)
        return sorted[lo] + (sorted[hi] - sorted[lo]) * f
    }

    public static func percentile(_ values: [Double], _ p: Double) -> Double {
        percentile(sorted: values.sorted(), p)
    }

    public static func mean(_ values: [Double]) -> Double {
        guard !values.isEmpty else { return .nan }
        var s = CompensatedSum()
        for v in values { s.add(v) }
        return s.value / Double(values.count)
    }

    public static func median(_ values: [Double]) -> Double { percentile(values, 50) }

    /// Means of consecutive non-overlapping blocks of `factor` values; a trailing partial block is dropped.
    public static func blockMeans(_ values: [Double], factor: Int) -> [Double] {
        guard factor > 1 else { return values }
        let n = values.count / factor
        var out = [Double](repeating: 0, count: n)
        for i in 0..<n {
            var s = 0.0
            for j in 0..<factor { s += values[i * factor + j] }
            out[i] = s / Double(factor)
        }
        return out
    }
}
