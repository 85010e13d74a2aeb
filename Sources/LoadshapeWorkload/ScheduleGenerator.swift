import LoadshapeCore

/// Generates a request schedule: gamma-renewal arrivals (shape b = burstiness, mean 1/rate; b = 1 is Poisson) over
/// a duration, with prompt and output lengths from token distributions.
///
/// Arrivals, prompt lengths and output lengths use three streams derived from the seed, so changing one
/// distribution never moves the others.
public struct ScheduleGenerator: Sendable, Equatable {
    public var ratePerS: Double
    public var durationS: Double
    public var burstiness: Double
    public var inputTokens: TokenDistribution
    public var outputTokens: TokenDistribution
    public var seed: UInt64

    /// The default lengths: ShareGPT-like lognormals (prompt median 250, σ 1.0, [4, 8192]; output median 200,
    /// σ 0.8, [1, 2048]), as in the reference agreement schedule.
    public static let defaultInput = TokenDistribution.lognormal(median: 250, sigma: 1.0, min: 4, max: 8192)
    public static let defaultOutput = TokenDistribution.lognormal(median: 200, sigma: 0.8, min: 1, max: 2048)

    public init(
        ratePerS: Double, durationS: Double, burstiness: Double = 1, inputTokens: TokenDistribution = defaultInput,
        outputTokens: TokenDistribution = defaultOutput, seed: UInt64
    ) throws(WorkloadError) {
        guard ratePerS > 0 && ratePerS.isFinite else { throw WorkloadError("--rate must be a number > 0") }
        guard durationS > 0 && durationS.isFinite else { throw WorkloadError("--duration must be > 0") }
        guard burstiness > 0 && burstiness.isFinite else {
            throw WorkloadError("--burstiness must be > 0 (1 = Poisson, < 1 bursty, > 1 smooth)")
        }
        self.ratePerS = ratePerS
        self.durationS = durationS
        self.burstiness = burstiness
        self.inputTokens = inputTokens
        self.outputTokens = outputTokens
        self.seed = seed
    }

    public func generate() -> [Request] {
        var arrivals = Xoshiro256StarStar(seed: SeedDerivation.derive(root: seed, stream: "arrivals"))
        var inputs = Xoshiro256StarStar(seed: SeedDerivation.derive(root: seed, stream: "input-tokens"))
        var outputs = Xoshiro256StarStar(seed: SeedDerivation.derive(root: seed, stream: "output-tokens"))
        var out: [Request] = []
        out.reserveCapacity(Int(ratePerS * durationS * 1.1) + 16)
        var t = 0.0
        let scale = 1 / (ratePerS * burstiness)
        while true {
            let gap =
                burstiness == 1
                ? Sampling.exponential(mean: 1 / ratePerS, using: &arrivals)
                : Sampling.gamma(shape: burstiness, scale: scale, using: &arrivals)
            t += gap
            if t >= durationS { break }
            let n = out.count
            out.append(
                Request(
                    id: "r\(String(repeating: "0", count: Swift.max(0, 6 - String(n).count)))\(n)", arrivalS: t,
                    inputTokens: inputTokens.sample(using: &inputs), outputTokens: outputTokens.sample(using: &outputs)
                ))
        }
        return out
    }
}

/// Parses a duration: `90`, `90s`, `15m`, `1h`, `1d`, `1h30m`.
public func parseDuration(_ text: String) -> Double? {
    var total = 0.0
    var number = ""
    var any = false
    for c in text.trimmingSpaces() {
        if c.isNumber || c == "." {
            number.append(c)
        } else {
            guard let v = Double(number) else { return nil }
            switch c {
            case "s": total += v
            case "m": total += 60 * v
            case "h": total += 3600 * v
            case "d": total += 86400 * v
            default: return nil
            }
            number = ""
            any = true
        }
    }
    if !number.isEmpty {
        guard let v = Double(number) else { return nil }
        total += v
        any = true
    }
    return any && total.isFinite ? total : nil
}
