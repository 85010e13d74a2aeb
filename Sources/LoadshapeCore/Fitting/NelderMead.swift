/// Bounded derivative-free minimisation: Nelder–Mead (Lagarias et al. 1998 coefficients) on parameters mapped to
/// the unit cube, with every trial point clamped into its bounds. Deterministic for a given start.
public enum BoundedNelderMead {
    public struct Result: Sendable {
        public var x: [Double]
        public var value: Double
        public var evaluations: Int
    }

    /// Minimises `f` over the box `lower ≤ x ≤ upper` from `start`.
    public static func minimize(
        _ f: ([Double]) -> Double, start: [Double], lower: [Double], upper: [Double], maxEvaluations: Int = 2000,
        tolerance: Double = 1e-9, initialStep: Double = 0.1
    ) -> Result {
        let n = start.count
        precondition(lower.count == n && upper.count == n, "bounds must match the start")
        func toBox(_ u: [Double]) -> [Double] {
            (0..<n).map { i in lower[i] + Swift.min(Swift.max(u[i], 0), 1) * (upper[i] - lower[i]) }
        }
        func toUnit(_ x: [Double]) -> [Double] {
            (0..<n).map { i in upper[i] > lower[i] ? (x[i] - lower[i]) / (upper[i] - lower[i]) : 0 }
        }
        var evals = 0
        func g(_ u: [Double]) -> Double {
            evals += 1
            let v = f(toBox(u))
            return v.isFinite ? v : .greatestFiniteMagnitude
        }
        let u0 = toUnit(start).map { Swift.min(Swift.max($0, 0), 1) }
        var simplex: [[Double]] = [u0]
        for i in 0..<n {
            var p = u0
            p[i] = p[i] + initialStep <= 1 ? p[i] + initialStep : p[i] - initialStep
            simplex.append(p)
        }
        var values = simplex.map(g)
        while evals < maxEvaluations {
            let order = (0...n).sorted { values[$0] < values[$1] }
            simplex = order.map { simplex[$0] }
            values = order.map { values[$0] }
            if abs(values[n] - values[0]) <= tolerance * (abs(values[0]) + 1e-30) { break }
            var centroid = [Double](repeating: 0, count: n)
            for p in simplex.dropLast() { for i in 0..<n { centroid[i] += p[i] / Double(n) } }
            func along(_ t: Double) -> [Double] {
                (0..<n).map { i in Swift.min(Swift.max(centroid[i] + t * (simplex[n][i] - centroid[i]), 0), 1) }
            }
            let r = along(-1)
            let fr = g(r)
            if fr < values[0] {
                let e = along(-2)
                let fe = g(e)
                if fe < fr {
                    simplex[n] = e
                    values[n] = fe
                } else {
                    simplex[n] = r
                    values[n] = fr
                }
            } else if fr < values[n - 1] {
                simplex[n] = r
                values[n] = fr
            } else {
                let c = fr < values[n] ? along(-0.5) : along(0.5)
                let fc = g(c)
                if fc < Swift.min(fr, values[n]) {
                    simplex[n] = c
                    values[n] = fc
                } else {
                    for k in 1...n {
                        simplex[k] = (0..<n).map { i in simplex[0][i] + 0.5 * (simplex[k][i] - simplex[0][i]) }
                        values[k] = g(simplex[k])
                    }
                }
            }
        }
        let best = (0...n).min { values[$0] < values[$1] }!
        return Result(x: toBox(simplex[best]), value: values[best], evaluations: evals)
    }
}
