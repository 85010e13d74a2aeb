import RealModule

/// Samplers over an explicitly passed generator. Each is a small, documented algorithm so results are reproducible
/// across platforms and toolchains.
public enum Sampling {
    /// A standard normal draw by the Box–Muller transform (one value per call; the second is discarded so each call
    /// consumes exactly two uniforms).
    public static func standardNormal(using rng: inout some RandomNumberGenerator) -> Double {
        let u1 = rng.nextOpenUnitDouble()
        let u2 = rng.nextUnitDouble()
        return (-2 * Double.log(u1)).squareRoot() * Double.cos(2 * Double.pi * u2)
    }

    /// An exponential draw with the given mean.
    public static func exponential(mean: Double, using rng: inout some RandomNumberGenerator) -> Double {
        -mean * Double.log(rng.nextOpenUnitDouble())
    }

    /// A gamma draw with `shape` k > 0 and `scale` θ > 0 (Marsaglia & Tsang 2000; shape < 1 by the boost
    /// G(k) = G(k + 1) · U^(1/k)).
    public static func gamma(shape: Double, scale: Double, using rng: inout some RandomNumberGenerator) -> Double {
        precondition(shape > 0 && scale > 0, "gamma needs shape > 0 and scale > 0")
        if shape < 1 {
            let g = gamma(shape: shape + 1, scale: 1, using: &rng)
            let u = rng.nextOpenUnitDouble()
            return scale * g * Double.pow(u, 1 / shape)
        }
        let d = shape - 1.0 / 3.0
        let c = 1 / (9 * d).squareRoot()
        while true {
            var x: Double
            var v: Double
            repeat {
                x = standardNormal(using: &rng)
                v = 1 + c * x
            } while v <= 0
            v = v * v * v
            let u = rng.nextOpenUnitDouble()
            if u < 1 - 0.0331 * (x * x) * (x * x) { return scale * d * v }
            if Double.log(u) < 0.5 * x * x + d * (1 - v + Double.log(v)) { return scale * d * v }
        }
    }
}
