/// Non-negative least squares: minimise ‖A x − b‖² subject to x ≥ 0 (Lawson & Hanson 1974, the active-set
/// algorithm of scipy.optimize.nnls), for small dense problems.
public enum NNLS {
    /// - Parameters:
    ///   - a: m rows of n columns (row-major, `a[i][j]`).
    ///   - b: m targets.
    ///   - weights: optional non-negative row weights (minimises Σ w_i (a_i·x − b_i)²).
    /// - Returns: the solution x (n values ≥ 0) and the weighted residual sum of squares.
    public static func solve(_ a: [[Double]], _ b: [Double], weights: [Double]? = nil, maxIterations: Int = 500)
        -> (x: [Double], residualSumOfSquares: Double)
    {
        let m = a.count
        guard m > 0, let n = a.first?.count, n > 0 else { return ([], 0) }
        // Normal equations in accumulated form: AtA and Atb (n is tiny, m may be large).
        var ata = [[Double]](repeating: [Double](repeating: 0, count: n), count: n)
        var atb = [Double](repeating: 0, count: n)
        var btb = 0.0
        for i in 0..<m {
            let w = weights?[i] ?? 1
            guard w > 0 else { continue }
            let row = a[i]
            for p in 0..<n {
                let wp = w * row[p]
                atb[p] += wp * b[i]
                for q in p..<n { ata[p][q] += wp * row[q] }
            }
            btb += w * b[i] * b[i]
        }
        for p in 0..<n { for q in 0..<p { ata[p][q] = ata[q][p] } }

        var x = [Double](repeating: 0, count: n)
        var passive = [Bool](repeating: false, count: n)
        let tol = 1e-12 * Swift.max(1, ata.map { $0.map(abs).max() ?? 0 }.max() ?? 1)
        func gradient() -> [Double] {
            (0..<n).map { p in atb[p] - (0..<n).reduce(0.0) { $0 + ata[p][$1] * x[$1] } }
        }
        func solvePassive() -> [Double] {
            let idx = (0..<n).filter { passive[$0] }
            var z = [Double](repeating: 0, count: n)
            guard !idx.isEmpty else { return z }
            let k = idx.count
            var mtx = idx.map { p in idx.map { q in ata[p][q] } }
            var rhs = idx.map { atb[$0] }
            // Gaussian elimination with partial pivoting.
            for c in 0..<k {
                var piv = c
                for r in (c + 1)..<k where abs(mtx[r][c]) > abs(mtx[piv][c]) { piv = r }
                mtx.swapAt(c, piv)
                rhs.swapAt(c, piv)
                let d = mtx[c][c]
                guard abs(d) > 1e-300 else { continue }
                for r in (c + 1)..<k {
                    let f = mtx[r][c] / d
                    if f == 0 { continue }
                    for cc in c..<k { mtx[r][cc] -= f * mtx[c][cc] }
                    rhs[r] -= f * rhs[c]
                }
            }
            var sol = [Double](repeating: 0, count: k)
            for r in stride(from: k - 1, through: 0, by: -1) {
                var s = rhs[r]
                for cc in (r + 1)..<k { s -= mtx[r][cc] * sol[cc] }
                sol[r] = abs(mtx[r][r]) > 1e-300 ? s / mtx[r][r] : 0
            }
            for (j, p) in idx.enumerated() { z[p] = sol[j] }
            return z
        }
        var iterations = 0
        while iterations < maxIterations {
            iterations += 1
            let g = gradient()
            var best = -1
            var bestG = tol
            for p in 0..<n where !passive[p] && g[p] > bestG {
                bestG = g[p]
                best = p
            }
            if best < 0 { break }
            passive[best] = true
            while true {
                let z = solvePassive()
                if (0..<n).allSatisfy({ !passive[$0] || z[$0] > 0 }) {
                    x = z
                    break
                }
                var alpha = Double.infinity
                for p in 0..<n where passive[p] && z[p] <= 0 {
                    let a = x[p] / (x[p] - z[p])
                    if a < alpha { alpha = a }
                }
                for p in 0..<n { x[p] += alpha * (z[p] - x[p]) }
                for p in 0..<n where passive[p] && x[p] <= 1e-15 {
                    passive[p] = false
                    x[p] = 0
                }
            }
        }
        // Weighted residual sum of squares from the normal equations.
        var rss = btb
        for p in 0..<n {
            rss -= 2 * x[p] * atb[p]
            for q in 0..<n { rss += x[p] * ata[p][q] * x[q] }
        }
        return (x, Swift.max(rss, 0))
    }
}
