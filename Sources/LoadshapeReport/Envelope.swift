/// A long series reduced to pixel columns: per column, the mean x and the minimum, maximum and mean of y.
///
/// Drawing 86,400 one-second points into 1,100 pixels would hide the peaks (a line through means) or smear
/// them into noise (every point). The report draws the column means as the line and shades each column's
/// min–max, so a one-second spike stays visible at any zoom. Points with a non-finite x or y are skipped.
public struct Envelope: Sendable, Equatable {
    public var x: [Double] = []
    public var lower: [Double] = []
    public var upper: [Double] = []
    public var mean: [Double] = []

    public init() {}

    /// Bins `(x, y)` (x ascending) into `columns` equal columns over [x0, x1]; empty columns are left out.
    /// `lowerY`/`upperY`, when given, are per-point lower and upper values (a band) used for the column
    /// minimum and maximum instead of `y`.
    public static func columns(
        x: [Double], y: [Double], lowerY: [Double]? = nil, upperY: [Double]? = nil, from x0: Double, to x1: Double,
        columns: Int
    ) -> Envelope {
        var e = Envelope()
        let n = min(x.count, y.count)
        guard columns > 0, n > 0, x1 > x0 else { return e }
        var column = -1
        var sumX = 0.0
        var sumY = 0.0
        var count = 0
        var lo = Double.infinity
        var hi = -Double.infinity
        func flush() {
            guard count > 0 else { return }
            e.x.append(sumX / Double(count))
            e.mean.append(sumY / Double(count))
            e.lower.append(lo)
            e.upper.append(hi)
        }
        let width = (x1 - x0) / Double(columns)
        for i in 0..<n {
            let xi = x[i]
            let yi = y[i]
            guard xi.isFinite, yi.isFinite else { continue }
            let c = min(max(Int(((xi - x0) / width).rounded(.down)), 0), columns - 1)
            if c != column {
                flush()
                column = c
                sumX = 0
                sumY = 0
                count = 0
                lo = .infinity
                hi = -.infinity
            }
            sumX += xi
            sumY += yi
            count += 1
            let l = lowerY?[i] ?? yi
            let u = upperY?[i] ?? yi
            lo = min(lo, l.isFinite ? l : yi)
            hi = max(hi, u.isFinite ? u : yi)
        }
        flush()
        return e
    }

    /// The same columns as a staircase: each value held until the next x (for interval data).
    public func stepped() -> Envelope {
        var e = Envelope()
        for i in x.indices {
            if i > 0 {
                e.x.append(x[i])
                e.lower.append(lower[i - 1])
                e.upper.append(upper[i - 1])
                e.mean.append(mean[i - 1])
            }
            e.x.append(x[i])
            e.lower.append(lower[i])
            e.upper.append(upper[i])
            e.mean.append(mean[i])
        }
        return e
    }
}
