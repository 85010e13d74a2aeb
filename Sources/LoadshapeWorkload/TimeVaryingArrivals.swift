import LoadshapeCore

/// A periodic, piecewise-constant arrival rate: `ratesPerS[k]` req/s over the k-th of consecutive intervals of
/// `intervalS` s (e.g. 24 hourly or 288 five-minute values of a day), repeating every ``periodS``.
///
/// Interval k starts at `originS + k · intervalS` (mod the period); `originS` is 0 unless the profile was
/// ``shifted(byS:)`` by a fraction of an interval, and always lies in [0, intervalS).
public struct RateProfile: Sendable, Equatable {
    public let intervalS: Double
    public let ratesPerS: [Double]
    public let originS: Double

    /// - Throws: if there are no rates, a rate is negative or not finite, or the interval is not > 0.
    public init(intervalS: Double, ratesPerS: [Double]) throws(WorkloadError) {
        guard intervalS > 0 && intervalS.isFinite else {
            throw WorkloadError("rate profile: the interval must be a number of s > 0, got \(intervalS)")
        }
        guard !ratesPerS.isEmpty else { throw WorkloadError("rate profile: needs at least one rate") }
        if let k = ratesPerS.firstIndex(where: { !($0 >= 0 && $0.isFinite) }) {
            throw WorkloadError("rate profile: rate[\(k)] must be a finite number of req/s ≥ 0, got \(ratesPerS[k])")
        }
        self.init(validated: intervalS, ratesPerS, originS: 0)
    }

    private init(validated intervalS: Double, _ ratesPerS: [Double], originS: Double) {
        self.intervalS = intervalS
        self.ratesPerS = ratesPerS
        self.originS = originS
    }

    /// One repetition, s.
    public var periodS: Double { intervalS * Double(ratesPerS.count) }

    /// Time-weighted mean rate, req/s.
    public var meanRatePerS: Double { Descriptive.mean(ratesPerS) }

    /// Largest rate, req/s.
    public var maxRatePerS: Double { ratesPerS.max() ?? 0 }

    /// The index of the interval holding time `t` s (any finite t; the profile repeats).
    public func intervalIndex(atS t: Double) -> Int {
        precondition(t.isFinite, "rate profile: time must be finite")
        let n = Double(ratesPerS.count)
        let x = (t - originS) / intervalS
        // Within the first period (every draw of a study no longer than the profile) the floor is the truncation and
        // the remainder is the floor itself: the same index as below, without two libm calls per arrival candidate.
        if x >= 0 && x < n { return Int(x) }
        // Reduce modulo the count before converting, so any finite t fits an Int.
        let k = x.rounded(.down).truncatingRemainder(dividingBy: n)
        return Int(k < 0 ? k + n : k) % ratesPerS.count
    }

    /// The rate at time `t` s, req/s.
    public func rate(atS t: Double) -> Double { ratesPerS[intervalIndex(atS: t)] }

    /// The same shape with mean `mean` req/s.
    /// - Throws: if `mean` is negative or not finite, or the profile is all zero (it has no shape to scale).
    public func scaled(toMean mean: Double) throws(WorkloadError) -> RateProfile {
        guard mean >= 0 && mean.isFinite else {
            throw WorkloadError("rate profile: target mean must be a finite number ≥ 0, got \(mean)")
        }
        let current = meanRatePerS
        guard current > 0 else {
            throw WorkloadError("rate profile: every rate is 0, so there is no shape to scale to a mean")
        }
        return RateProfile(validated: intervalS, ratesPerS.map { $0 * mean / current }, originS: originS)
    }

    /// The profile delayed by `s` seconds, circularly: `shifted(byS: s).rate(atS: t) == rate(atS: t − s)`.
    ///
    /// To run a profile written in a site's local time on a UTC clock, shift by −(the site's UTC offset): a site at
    /// UTC−7 has its local midnight at 07:00 UTC, so `shifted(byS: 7 * 3600)`. Whole intervals rotate the rates;
    /// the remainder moves ``originS``, so any shift is kept without resampling the rates.
    public func shifted(byS s: Double) -> RateProfile {
        precondition(s.isFinite, "rate profile: shift must be finite")
        let period = periodS
        var phase = (originS + s).truncatingRemainder(dividingBy: period)
        if phase < 0 { phase += period }
        let n = ratesPerS.count
        var whole = Int((phase / intervalS).rounded(.down))
        var rest = phase - Double(whole) * intervalS
        // Snap rounding noise at an interval boundary, so shifting by whole intervals only rotates.
        let eps = 1e-9 * intervalS
        if rest < eps { rest = 0 }
        if rest > intervalS - eps {
            rest = 0
            whole += 1
        }
        whole = (whole % n + n) % n
        // Delaying by `whole` intervals: the new interval k holds the old interval k − whole.
        let rotated = (0..<n).map { ratesPerS[(($0 - whole) % n + n) % n] }
        return RateProfile(validated: intervalS, rotated, originS: rest)
    }
}

/// Non-homogeneous arrivals following a ``RateProfile``, by thinning: candidates come from a gamma renewal process
/// with shape b (the burstiness: 1 Poisson, < 1 bursty, > 1 smooth) and mean gap 1/λmax, and a candidate at t is
/// kept with probability λ(t)/λmax.
///
/// For b = 1 the result is exactly a non-homogeneous Poisson process; for other b the kept stream has the
/// profile's rate with the candidate process's clustering, thinned. Every draw comes from the generator passed in.
public enum TimeVaryingArrivals {
    /// Arrival times in [0, durationS), non-decreasing (a very bursty gamma gap can vanish next to t), from the
    /// `arrivals` stream derived from `seed`.
    public static func generate(
        profile: RateProfile, durationS: Double, burstiness: Double = 1, seed: UInt64
    ) throws(WorkloadError) -> [Double] {
        var rng = Xoshiro256StarStar(seed: SeedDerivation.derive(root: seed, stream: "arrivals"))
        return try generate(profile: profile, durationS: durationS, burstiness: burstiness, using: &rng)
    }

    /// Arrival times in [0, durationS), non-decreasing, drawing from `rng`.
    public static func generate(
        profile: RateProfile, durationS: Double, burstiness: Double = 1, using rng: inout some RandomNumberGenerator
    ) throws(WorkloadError) -> [Double] {
        guard durationS > 0 && durationS.isFinite else {
            throw WorkloadError("time-varying arrivals: duration must be > 0 s, got \(durationS)")
        }
        guard burstiness > 0 && burstiness.isFinite else {
            throw WorkloadError(
                "time-varying arrivals: burstiness must be > 0 (1 = Poisson, < 1 bursty, > 1 smooth), got \(burstiness)"
            )
        }
        let peak = profile.maxRatePerS
        guard peak > 0 else { return [] }
        var out: [Double] = []
        out.reserveCapacity(Int(profile.meanRatePerS * durationS * 1.1) + 16)
        let scale = 1 / (peak * burstiness)
        var t = 0.0
        while true {
            t +=
                burstiness == 1
                ? Sampling.exponential(mean: 1 / peak, using: &rng)
                : Sampling.gamma(shape: burstiness, scale: scale, using: &rng)
            if t >= durationS { break }
            if rng.nextUnitDouble() * peak < profile.rate(atS: t) { out.append(t) }
        }
        return out
    }

    /// A schedule: arrivals as in ``generate(profile:durationS:burstiness:seed:)`` and (prompt, output) lengths
    /// from `tokens`, drawn from the `tokens` stream derived from `seed` (so the lengths never move the arrivals).
    public static func schedule(
        profile: RateProfile, durationS: Double, burstiness: Double = 1, tokens: JointTokenHistogram, seed: UInt64
    ) throws(WorkloadError) -> [Request] {
        let arrivals = try generate(profile: profile, durationS: durationS, burstiness: burstiness, seed: seed)
        var rng = Xoshiro256StarStar(seed: SeedDerivation.derive(root: seed, stream: "tokens"))
        return arrivals.enumerated().map { i, t in
            let (input, output) = tokens.sample(using: &rng)
            return Request(id: ScheduleReader.defaultID(i), arrivalS: t, inputTokens: input, outputTokens: output)
        }
    }
}

extension TimeVaryingArrivals {
    /// The requests of ``schedule(profile:durationS:burstiness:tokens:seed:)``, one at a time and in the same order,
    /// without holding them: a site's stream can be regenerated and filtered in constant memory.
    public struct Stream {
        let profile: RateProfile
        let durationS: Double
        let burstiness: Double
        let tokens: JointTokenHistogram
        let peak: Double
        let scale: Double
        var arrivals: Xoshiro256StarStar
        var lengths: Xoshiro256StarStar
        var t = 0.0
        var index = 0
        var done = false

        public init(
            profile: RateProfile, durationS: Double, burstiness: Double = 1, tokens: JointTokenHistogram, seed: UInt64
        ) throws(WorkloadError) {
            guard durationS > 0 && durationS.isFinite else {
                throw WorkloadError("time-varying arrivals: duration must be > 0 s, got \(durationS)")
            }
            guard burstiness > 0 && burstiness.isFinite else {
                throw WorkloadError(
                    "time-varying arrivals: burstiness must be > 0 (1 = Poisson, < 1 bursty, > 1 smooth), got \(burstiness)"
                )
            }
            self.profile = profile
            self.durationS = durationS
            self.burstiness = burstiness
            self.tokens = tokens
            peak = profile.maxRatePerS
            scale = 1 / (peak * burstiness)
            arrivals = Xoshiro256StarStar(seed: SeedDerivation.derive(root: seed, stream: "arrivals"))
            lengths = Xoshiro256StarStar(seed: SeedDerivation.derive(root: seed, stream: "tokens"))
            done = !(peak > 0)
        }

        /// The next request, or nil at the end of the duration.
        public mutating func next() -> Request? {
            guard let r = nextUnnamed() else { return nil }
            return Request(id: ScheduleReader.defaultID(r.index), arrivalS: r.arrivalS, inputTokens: r.inputTokens, outputTokens: r.outputTokens)
        }

        /// The next request without its id (`ScheduleReader.defaultID(index)`), which costs more to format than
        /// the rest to draw: a site's stream is drawn once per block of servers and most requests go elsewhere.
        public mutating func nextUnnamed() -> (index: Int, arrivalS: Double, inputTokens: Int, outputTokens: Int)? {
            guard let a = nextArrival() else { return nil }
            let (input, output) = drawTokens()
            return (a.index, a.arrivalS, input, output)
        }

        /// The next arrival with its tokens not yet drawn: call ``drawTokens()`` or ``skipTokens()`` for it before
        /// the next arrival. Arrivals and token lengths come from separate generators, so skipping a request's
        /// tokens changes nothing about the requests that follow.
        public mutating func nextArrival() -> (index: Int, arrivalS: Double)? {
            guard !done else { return nil }
            while true {
                t +=
                    burstiness == 1
                    ? Sampling.exponential(mean: 1 / peak, using: &arrivals)
                    : Sampling.gamma(shape: burstiness, scale: scale, using: &arrivals)
                if t >= durationS {
                    done = true
                    return nil
                }
                if arrivals.nextUnitDouble() * peak < profile.rate(atS: t) {
                    defer { index += 1 }
                    return (index, t)
                }
            }
        }

        /// The prompt and output tokens of the arrival just returned.
        public mutating func drawTokens() -> (input: Int, output: Int) { tokens.sample(using: &lengths) }

        /// Passes over the tokens of the arrival just returned (the generator advances as if they were drawn).
        public mutating func skipTokens() { tokens.skipSample(using: &lengths) }
    }
}
