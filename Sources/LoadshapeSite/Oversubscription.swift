import LoadshapeCore

/// How many racks fit under a power limit (method.md §5): for each rack count n, draw random subsets of n racks
/// (without replacement up to the number simulated, with replacement beyond), take each subset's coincident peak of
/// the summed 1 s rack traces, and admit n while the P95 of those peaks stays within the limit.
public enum Oversubscription {
    public struct Result: Sendable {
        public var limitW: Double
        /// Racks admitted by the risk rule.
        public var racksAdmitted: Int
        /// Racks admitted by nameplate sizing (⌊limit / rack nameplate⌋).
        public var racksByNameplate: Int
        /// (racks, P95 of subset peaks in W) for every n tried.
        public var curve: [(racks: Int, p95PeakW: Double)]
    }

    public static func analyse(
        rackTraces1s: [[Double]], rackNameplateW: Double, limitW: Double, draws: Int = 200, seed: UInt64,
        maxRacks: Int? = nil
    ) -> Result {
        let m = rackTraces1s.count
        let len = rackTraces1s.map(\.count).min() ?? 0
        var rng = Xoshiro256StarStar(seed: SeedDerivation.derive(root: seed, stream: "oversubscription"))
        let nMax = maxRacks ?? Swift.max(2 * m, Int(limitW / Swift.max(rackNameplateW, 1)) * 3)
        guard m > 0, len > 0, nMax > 0 else {
            return Result(limitW: limitW, racksAdmitted: 0, racksByNameplate: 0, curve: [])
        }
        // Each draw is a random order of the racks (then racks drawn with replacement): its first n racks are a
        // uniformly random n-subset, so one pass per draw scores every n.
        var peaks = [[Double]](repeating: [Double](repeating: 0, count: draws), count: nMax)
        var sum = [Double](repeating: 0, count: len)
        for d in 0..<draws {
            for k in 0..<len { sum[k] = 0 }
            var pool = Array(0..<m)
            for j in 0..<nMax {
                let pick: Int
                if j < m {
                    let r = j + Int(rng.nextBounded(UInt64(m - j)))
                    pool.swapAt(j, r)
                    pick = pool[j]
                } else {
                    pick = Int(rng.nextBounded(UInt64(m)))
                }
                let t = rackTraces1s[pick]
                var peak = -Double.infinity
                for k in 0..<len {
                    sum[k] += t[k]
                    if sum[k] > peak { peak = sum[k] }
                }
                peaks[j][d] = peak
            }
        }
        var curve: [(Int, Double)] = []
        var admitted = 0
        for n in 1...nMax {
            let p95 = Descriptive.percentile(peaks[n - 1], 95)
            curve.append((n, p95))
            if p95 <= limitW && admitted == n - 1 { admitted = n }
        }
        let byPlate = rackNameplateW > 0 ? Int((limitW / rackNameplateW).rounded(.down)) : 0
        return Result(
            limitW: limitW, racksAdmitted: admitted, racksByNameplate: byPlate,
            curve: curve.map { (racks: $0.0, p95PeakW: $0.1) })
    }
}
