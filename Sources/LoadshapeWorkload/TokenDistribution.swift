import LoadshapeCore
import RealModule

/// A distribution of token counts: fixed, lognormal (clipped and rounded) or categorical.
public enum TokenDistribution: Sendable, Equatable, CustomStringConvertible {
    case fixed(Int)
    /// Lognormal with the given median and log-space σ, rounded to the nearest integer and clipped to [min, max].
    case lognormal(median: Double, sigma: Double, min: Int, max: Int)
    /// Values with probabilities (summing to 1).
    case categorical(values: [Int], probabilities: [Double])

    /// Draws one count.
    public func sample(using rng: inout some RandomNumberGenerator) -> Int {
        switch self {
        case .fixed(let n):
            return n
        case .lognormal(let median, let sigma, let lo, let hi):
            let z = Sampling.standardNormal(using: &rng)
            let x = (median * Double.exp(sigma * z)).rounded(.toNearestOrEven)
            return Swift.min(Swift.max(Int(Swift.min(x, 1e12)), lo), hi)
        case .categorical(let values, let probabilities):
            let u = rng.nextUnitDouble()
            var acc = 0.0
            for (v, p) in zip(values, probabilities) {
                acc += p
                if u < acc { return v }
            }
            return values[values.count - 1]
        }
    }

    public var description: String {
        switch self {
        case .fixed(let n): return "fixed:\(n)"
        case .lognormal(let m, let s, let lo, let hi): return "lognormal:median=\(m),sigma=\(s),min=\(lo),max=\(hi)"
        case .categorical(let v, let p):
            return "categorical:" + zip(v, p).map { "\($0.0)@\($0.1)" }.joined(separator: ",")
        }
    }

    /// Parses `fixed:N`, `N`, `lognormal:median=M,sigma=S[,min=A][,max=B]` or `categorical:V@P,V@P,...`.
    /// - Parameter what: names the option in error messages.
    public static func parse(_ text: String, what: String) throws(WorkloadError) -> TokenDistribution {
        let t = text.trimmingSpaces()
        if let n = Int(t) {
            guard n >= 1 else { throw WorkloadError("\(what): a fixed token count must be ≥ 1, got \(n)") }
            return .fixed(n)
        }
        guard let colon = t.firstIndex(of: ":") else {
            throw WorkloadError(
                "\(what): '\(text)' is not a token distribution; use fixed:N, lognormal:median=M,sigma=S[,min=A,max=B] or categorical:V@P,...")
        }
        let kind = t[..<colon].lowercased()
        let rest = String(t[t.index(after: colon)...])
        switch kind {
        case "fixed":
            guard let n = Int(rest.trimmingSpaces()), n >= 1 else {
                throw WorkloadError("\(what): fixed:N needs an integer N ≥ 1, got '\(rest)'")
            }
            return .fixed(n)
        case "lognormal":
            var median: Double?
            var sigma: Double?
            var lo = 1
            var hi = 1_000_000
            for part in rest.split(separator: ",") {
                let kv = part.split(separator: "=", maxSplits: 1).map { String($0).trimmingSpaces() }
                guard kv.count == 2 else { throw WorkloadError("\(what): '\(part)' is not key=value in '\(text)'") }
                switch kv[0] {
                case "median":
                    guard let v = Double(kv[1]), v > 0, v.isFinite else {
                        throw WorkloadError("\(what): median must be a number > 0, got '\(kv[1])'")
                    }
                    median = v
                case "sigma":
                    guard let v = Double(kv[1]), v >= 0, v.isFinite else {
                        throw WorkloadError("\(what): sigma must be a number ≥ 0, got '\(kv[1])'")
                    }
                    sigma = v
                case "min":
                    guard let v = Int(kv[1]), v >= 1 else {
                        throw WorkloadError("\(what): min must be an integer ≥ 1, got '\(kv[1])'")
                    }
                    lo = v
                case "max":
                    guard let v = Int(kv[1]), v >= 1 else {
                        throw WorkloadError("\(what): max must be an integer ≥ 1, got '\(kv[1])'")
                    }
                    hi = v
                default:
                    throw WorkloadError("\(what): unknown lognormal key '\(kv[0])' (use median, sigma, min, max)")
                }
            }
            guard let m = median, let s = sigma else {
                throw WorkloadError("\(what): lognormal needs median= and sigma=, got '\(text)'")
            }
            guard lo <= hi else { throw WorkloadError("\(what): min (\(lo)) exceeds max (\(hi))") }
            return .lognormal(median: m, sigma: s, min: lo, max: hi)
        case "categorical":
            var values: [Int] = []
            var probs: [Double] = []
            for part in rest.split(separator: ",") {
                let vp = part.split(separator: "@", maxSplits: 1).map { String($0).trimmingSpaces() }
                guard vp.count == 2, let v = Int(vp[0]), v >= 1, let p = Double(vp[1]), p >= 0, p.isFinite else {
                    throw WorkloadError("\(what): '\(part)' is not VALUE@PROBABILITY with VALUE ≥ 1 and PROBABILITY ≥ 0")
                }
                values.append(v)
                probs.append(p)
            }
            return try categorical(values: values, probabilities: probs, what: what)
        default:
            throw WorkloadError("\(what): unknown distribution '\(kind)' (use fixed, lognormal or categorical)")
        }
    }

    /// A validated categorical distribution (probabilities must sum to 1 within 1e-6).
    public static func categorical(values: [Int], probabilities: [Double], what: String) throws(WorkloadError)
        -> TokenDistribution
    {
        guard !values.isEmpty, values.count == probabilities.count else {
            throw WorkloadError("\(what): categorical needs as many values as probabilities, and at least one")
        }
        guard values.allSatisfy({ $0 >= 1 }) else { throw WorkloadError("\(what): categorical values must be ≥ 1") }
        guard probabilities.allSatisfy({ $0 >= 0 && $0.isFinite }) else {
            throw WorkloadError("\(what): categorical probabilities must be finite and ≥ 0")
        }
        let total = probabilities.reduce(0, +)
        guard abs(total - 1) <= 1e-6 else {
            throw WorkloadError("\(what): categorical probabilities sum to \(total), not 1")
        }
        return .categorical(values: values, probabilities: probabilities)
    }
}

extension String {
    func trimmingSpaces() -> String {
        var s = Substring(self)
        while let f = s.first, f == " " || f == "\t" || f == "\r" || f == "\n" { s.removeFirst() }
        while let l = s.last, l == " " || l == "\t" || l == "\r" || l == "\n" { s.removeLast() }
        return String(s)
    }
}
