/// Within-state fluctuation of per-GPU power (method.md §4): per operating state, a stationary AR(1) residual
/// `r_t = φ r_{t−1} + √(1−φ²) σ z_t` whose innovations z follow the state's empirical standardised quantiles.
public struct StateNoiseModel: Sendable, Equatable, Codable {
    public var idle: StateResidual
    public var decode: StateResidual
    public var prefill: StateResidual

    public init(idle: StateResidual, decode: StateResidual, prefill: StateResidual) {
        self.idle = idle
        self.decode = decode
        self.prefill = prefill
    }

    public subscript(state: OperatingState) -> StateResidual {
        switch state {
        case .idle: return idle
        case .decode: return decode
        case .prefill: return prefill
        }
    }
}

/// The residual statistics of one state.
public struct StateResidual: Sendable, Equatable, Codable {
    /// Lag-1 autocorrelation of the residual at the native bin (0 ≤ φ < 1).
    public var phi: Double
    /// Standard deviation of the residual, W per GPU.
    public var sigmaW: Double
    /// Standardised residual quantiles at equally spaced probabilities from 0 to 1 (inclusive), ascending.
    public var quantiles: [Double]

    public init(phi: Double, sigmaW: Double, quantiles: [Double]) {
        self.phi = phi
        self.sigmaW = sigmaW
        self.quantiles = quantiles
    }

    /// Checks φ, σ and the quantiles; returns a description of the first problem, or nil.
    public func problem() -> String? {
        if !(phi >= 0 && phi < 1) { return "phi must be in [0, 1), got \(phi)" }
        if !(sigmaW >= 0 && sigmaW.isFinite) { return "sigma_w must be a finite number ≥ 0, got \(sigmaW)" }
        if quantiles.count < 2 { return "quantiles needs at least 2 values, got \(quantiles.count)" }
        if quantiles.contains(where: { !$0.isFinite }) { return "quantiles must be finite" }
        for i in 1..<quantiles.count where quantiles[i] < quantiles[i - 1] {
            return "quantiles must be ascending (entry \(i) < entry \(i - 1))"
        }
        return nil
    }
}

/// A running realisation of a ``StateNoiseModel`` with its own generator.
public struct StateNoiseProcess: Sendable {
    struct Prepared: Sendable {
        var phi: Double
        var innovationScale: Double
        var q: [Double]
    }
    private var prepared: [Prepared]
    private var rng: Xoshiro256StarStar
    private var r = 0.0

    /// - Parameter seed: the stream seed (derive it from the root seed and the server's identity).
    public init(model: StateNoiseModel, seed: UInt64) {
        prepared = OperatingState.allCases.map { s in
            let res = model[s]
            // Re-standardise the piecewise-linear quantile distribution to mean 0 and variance 1 so the
            // fluctuation leaves energy unbiased and σ means what it says.
            let q = res.quantiles
            let n = q.count
            var mean = 0.0
            var second = 0.0
            for i in 0..<(n - 1) {
                let a = q[i]
                let b = q[i + 1]
                mean += (a + b) / 2
                second += (a * a + a * b + b * b) / 3
            }
            mean /= Double(n - 1)
            second /= Double(n - 1)
            let sd = (second - mean * mean).squareRoot()
            let z = sd > 0 ? q.map { ($0 - mean) / sd } : q.map { _ in 0.0 }
            let scale = (1 - res.phi * res.phi).squareRoot() * res.sigmaW
            return Prepared(phi: res.phi, innovationScale: scale, q: z)
        }
        rng = Xoshiro256StarStar(seed: seed)
    }

    /// The residual of the next bin, W per GPU.
    public mutating func next(state: OperatingState) -> Double {
        let p = prepared[state.rawValue]
        let u = rng.nextUnitDouble() * Double(p.q.count - 1)
        let i = Swift.min(Int(u), p.q.count - 2)
        let f = u - Double(i)
        let z = p.q[i] + (p.q[i + 1] - p.q[i]) * f
        r = p.phi * r + p.innovationScale * z
        return r
    }
}
