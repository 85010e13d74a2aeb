import Foundation
import LoadshapeCore
import RealModule

/// A joint distribution of (prompt, output) token counts: a 2-D histogram on log-spaced bin edges.
///
/// `probabilities[i][j]` is the probability of a prompt in [inputEdges[i], inputEdges[i+1]) together with an
/// output in [outputEdges[j], outputEdges[j+1]). Sampling picks a cell by its probability, then a log-uniform
/// value inside the cell on each axis, rounded to the nearest integer and clamped to ≥ 1 — so prompt and output
/// lengths keep their correlation at the resolution of the bins.
public struct JointTokenHistogram: Sendable, Equatable {
    public let inputEdges: [Double]
    public let outputEdges: [Double]
    /// Rows are prompt bins, columns output bins; sums to 1.
    public let probabilities: [[Double]]
    /// Cumulative probabilities of the cells in row-major order, the last exactly 1.
    private let cumulative: [Double]

    /// - Parameters:
    ///   - name: names the source in error messages (a file path);
    ///   - field: the key path of the histogram in that source, prefixed to field names in errors (e.g. `tokens.`).
    /// - Throws: unless each axis has ≥ 2 finite, strictly ascending edges > 0, the probabilities form a
    ///   (prompt bins × output bins) grid of finite values ≥ 0, and they sum to 1 within 1e-6.
    public init(
        inputEdges: [Double], outputEdges: [Double], probabilities: [[Double]], name: String = "joint token histogram",
        field: String = ""
    ) throws(WorkloadError) {
        for (axis, edges) in [("input_edges", inputEdges), ("output_edges", outputEdges)] {
            guard edges.count >= 2 else {
                throw WorkloadError("\(name): field '\(field)\(axis)': needs at least 2 edges")
            }
            guard edges.allSatisfy({ $0 > 0 && $0.isFinite }), zip(edges, edges.dropFirst()).allSatisfy({ $0 < $1 })
            else {
                throw WorkloadError(
                    "\(name): field '\(field)\(axis)': edges must be finite, > 0 and strictly ascending")
            }
            // Sites hold a block's token counts in 32 bits; no request reads or writes a billion tokens.
            guard edges.last! <= Self.maxTokens else {
                throw WorkloadError(
                    "\(name): field '\(field)\(axis)': edges must be at most \(Int(Self.maxTokens)) tokens, got \(edges.last!)")
            }
        }
        guard probabilities.count == inputEdges.count - 1 else {
            throw WorkloadError(
                "\(name): field '\(field)probabilities': has \(probabilities.count) rows but 'input_edges' defines \(inputEdges.count - 1) bins"
            )
        }
        var running = CompensatedSum()
        var cumulative: [Double] = []
        cumulative.reserveCapacity(probabilities.count * (outputEdges.count - 1))
        for (i, row) in probabilities.enumerated() {
            guard row.count == outputEdges.count - 1 else {
                throw WorkloadError(
                    "\(name): field '\(field)probabilities[\(i)]': has \(row.count) entries but 'output_edges' defines \(outputEdges.count - 1) bins"
                )
            }
            if let j = row.firstIndex(where: { !($0 >= 0 && $0.isFinite) }) {
                throw WorkloadError(
                    "\(name): field '\(field)probabilities[\(i)][\(j)]': must be a finite number ≥ 0, got \(row[j])")
            }
            for p in row {
                running.add(p)
                cumulative.append(running.value)
            }
        }
        let total = running.value
        guard abs(total - 1) <= 1e-6 else {
            throw WorkloadError("\(name): field '\(field)probabilities': sums to \(total), not 1")
        }
        self.inputEdges = inputEdges
        self.outputEdges = outputEdges
        self.probabilities = probabilities
        self.cumulative = cumulative.map { $0 / total }
    }

    public var inputBins: Int { inputEdges.count - 1 }
    public var outputBins: Int { outputEdges.count - 1 }

    /// The largest token count an edge may have (10⁹).
    public static let maxTokens = 1e9

    /// One (prompt, output) pair: two uniforms for the cell search and one per axis.
    public func sample(using rng: inout some RandomNumberGenerator) -> (input: Int, output: Int) {
        let u = rng.nextUnitDouble()
        // First cell whose cumulative probability exceeds u (zero-probability cells are never chosen).
        var lo = 0
        var hi = cumulative.count - 1
        while lo < hi {
            let mid = (lo + hi) / 2
            if cumulative[mid] > u { hi = mid } else { lo = mid + 1 }
        }
        let (i, j) = lo.quotientAndRemainder(dividingBy: outputBins)
        return (
            Self.logUniform(inputEdges[i], inputEdges[i + 1], rng.nextUnitDouble()),
            Self.logUniform(outputEdges[j], outputEdges[j + 1], rng.nextUnitDouble())
        )
    }

    /// Advances `rng` exactly as `sample(using:)` does (three draws) without computing the pair: a site's block
    /// pass routes every request but keeps only its block's, and the logs and exps of the draw were most of it.
    @inline(__always)
    public func skipSample(using rng: inout some RandomNumberGenerator) {
        _ = rng.next()
        _ = rng.next()
        _ = rng.next()
    }

    private static func logUniform(_ a: Double, _ b: Double, _ u: Double) -> Int {
        let x = Double.exp(Double.log(a) + u * (Double.log(b) - Double.log(a)))
        return Swift.max(1, Int(x.rounded(.toNearestOrEven)))
    }

    /// The histogram of observed pairs on `binsPerAxis` log-spaced bins per axis.
    ///
    /// Each axis spans [min − 0.5, max + 0.5] of its values (the lower end at least 0.5), so every integer count
    /// lies inside and sampled values round back into the observed range; edges are exp of equally spaced logs.
    /// A value goes to the bin i with edges[i] ≤ v < edges[i+1] (numpy's `searchsorted(…, side="right") − 1`),
    /// the top edge included in the last bin. Probabilities are counts / number of pairs.
    /// `scripts/derive/azure_profiles.py` applies the same rule with numpy.
    /// - Throws: if there are no pairs, a count is < 1, or `binsPerAxis` < 1.
    public static func fit(pairs: [(input: Int, output: Int)], binsPerAxis: Int) throws(WorkloadError)
        -> JointTokenHistogram
    {
        guard binsPerAxis >= 1 else {
            throw WorkloadError("joint token histogram: needs at least 1 bin per axis, got \(binsPerAxis)")
        }
        guard !pairs.isEmpty else { throw WorkloadError("joint token histogram: no (prompt, output) pairs to fit") }
        if let k = pairs.firstIndex(where: { $0.input < 1 || $0.output < 1 }) {
            throw WorkloadError(
                "joint token histogram: pair \(k) (\(pairs[k].input), \(pairs[k].output)) has a count < 1")
        }
        let inEdges = logEdges(pairs.map(\.input), binsPerAxis)
        let outEdges = logEdges(pairs.map(\.output), binsPerAxis)
        var counts = [[Int]](repeating: [Int](repeating: 0, count: binsPerAxis), count: binsPerAxis)
        for p in pairs {
            counts[bin(Double(p.input), inEdges)][bin(Double(p.output), outEdges)] += 1
        }
        let n = Double(pairs.count)
        return try JointTokenHistogram(
            inputEdges: inEdges, outputEdges: outEdges, probabilities: counts.map { $0.map { Double($0) / n } })
    }

    private static func logEdges(_ values: [Int], _ bins: Int) -> [Double] {
        // Non-empty and validated by the caller.
        let lo = Swift.max(0.5, Double(values.min() ?? 1) - 0.5)
        let hi = Double(values.max() ?? 1) + 0.5
        let (a, b) = (Double.log(lo), Double.log(hi))
        var edges = (0...bins).map { Double.exp(a + (b - a) * Double($0) / Double(bins)) }
        edges[0] = lo
        edges[bins] = hi
        return edges
    }

    private static func bin(_ v: Double, _ edges: [Double]) -> Int {
        // Last i with edges[i] ≤ v, clamped to the bins.
        var lo = 0
        var hi = edges.count - 1
        while lo < hi {
            let mid = (lo + hi + 1) / 2
            if edges[mid] <= v { lo = mid } else { hi = mid - 1 }
        }
        return Swift.min(lo, edges.count - 2)
    }

    /// Reads a histogram from a `JSONSerialization` object `{input_edges, output_edges, probabilities}`; `name` and
    /// `field` name it in errors as in ``init(inputEdges:outputEdges:probabilities:name:field:)``.
    public static func parse(_ object: Any, name: String, field: String = "") throws(WorkloadError)
        -> JointTokenHistogram
    {
        guard let o = object as? [String: Any] else {
            throw WorkloadError(
                "\(name): field '\(field.isEmpty ? "(top level)" : String(field.dropLast()))': expected an object with input_edges, output_edges and probabilities"
            )
        }
        func numbers(_ v: Any?, _ key: String) throws(WorkloadError) -> [Double] {
            guard let list = v as? [Any] else {
                throw WorkloadError("\(name): field '\(field)\(key)': expected a list of numbers")
            }
            var out: [Double] = []
            out.reserveCapacity(list.count)
            for (k, x) in list.enumerated() {
                guard let d = JSONNumbers.number(x) else {
                    throw WorkloadError("\(name): field '\(field)\(key)[\(k)]': expected a number")
                }
                out.append(d)
            }
            return out
        }
        let inputEdges = try numbers(o["input_edges"], "input_edges")
        let outputEdges = try numbers(o["output_edges"], "output_edges")
        guard let rows = o["probabilities"] as? [Any] else {
            throw WorkloadError("\(name): field '\(field)probabilities': expected a list of rows (one per prompt bin)")
        }
        var probabilities: [[Double]] = []
        for (i, row) in rows.enumerated() { probabilities.append(try numbers(row, "probabilities[\(i)]")) }
        return try JointTokenHistogram(
            inputEdges: inputEdges, outputEdges: outputEdges, probabilities: probabilities, name: name, field: field)
    }
}
