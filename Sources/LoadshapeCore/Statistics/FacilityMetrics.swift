/// Utility-facing load metrics of one power series (method.md §5; reference-method.md §2e).
///
/// Computed from a series in W sampled every `intervalS` seconds; pure and deterministic. To score a coarser
/// resolution, resample first with ``Descriptive/blockMeans(_:factor:)`` and pass the coarser interval — ramps
/// are then the steps of the mean-downsampled series, as in the reference.
///
/// Conventions:
/// - an empty series gives NaN for every value (the load-duration values too); a NaN anywhere in the series
///   gives NaN for every value;
/// - ramps need two points: a one-point series has NaN ramps;
/// - divisions by zero follow IEEE arithmetic (an all-zero series has NaN peak-to-average, load factor and
///   coefficient of variation), as numpy's do.
///
/// The values hold NaN in those cases, and NaN is never equal to itself, so two such metrics compare unequal.
public struct LoadMetrics: Sendable, Equatable {
    /// The exceedance fractions used when none are given: 1, 5, 10, 50, 90, 95 and 99 % of the time.
    public static let defaultExceedanceFractions: [Double] = [0.01, 0.05, 0.10, 0.50, 0.90, 0.95, 0.99]

    /// Number of samples.
    public let count: Int
    /// Sampling interval, s.
    public let intervalS: Double
    /// Σ P · Δt, kWh.
    public let energyKWh: Double
    public let meanW: Double
    public let peakW: Double
    /// 95th and 99th percentiles of the samples (numpy's default linear interpolation).
    public let p95W: Double
    public let p99W: Double
    /// Peak / mean.
    public let peakToAverage: Double
    /// Mean / peak.
    public let loadFactor: Double
    /// Population standard deviation / mean.
    public let coefficientOfVariation: Double
    /// Largest rise between consecutive samples, W per interval (0 if the series never rises).
    public let maxUpW: Double
    /// Largest fall between consecutive samples as a positive number, W per interval (0 if it never falls).
    public let maxDownW: Double
    /// 95th percentile of |ΔP| over consecutive samples, W per interval (numpy linear).
    public let p95AbsRampW: Double
    /// The fractions of time at which ``loadDurationW`` is read.
    public let exceedanceFractions: [Double]
    /// Load-duration curve: the power exceeded (or equalled) at each exceedance fraction, by
    /// ``loadDuration(_:exceedanceFractions:)``.
    public let loadDurationW: [Double]

    /// - Parameters:
    ///   - powerW: the series, W.
    ///   - intervalS: the sampling interval, s (> 0).
    ///   - exceedanceFractions: where to read the load-duration curve, each in 0...1.
    public init(powerW: [Double], intervalS: Double, exceedanceFractions: [Double] = defaultExceedanceFractions) {
        precondition(intervalS > 0 && intervalS.isFinite, "the sampling interval must be a finite number of s > 0")
        self.count = powerW.count
        self.intervalS = intervalS
        self.exceedanceFractions = exceedanceFractions
        guard !powerW.isEmpty, !powerW.contains(where: \.isNaN) else {
            let nan = Double.nan
            (energyKWh, meanW, peakW, p95W, p99W) = (nan, nan, nan, nan, nan)
            (peakToAverage, loadFactor, coefficientOfVariation) = (nan, nan, nan)
            (maxUpW, maxDownW, p95AbsRampW) = (nan, nan, nan)
            loadDurationW = [Double](repeating: nan, count: exceedanceFractions.count)
            return
        }
        var total = CompensatedSum()
        for p in powerW { total.add(p) }
        let mean = total.value / Double(powerW.count)
        var squares = CompensatedSum()
        for p in powerW { squares.add((p - mean) * (p - mean)) }
        let ascending = powerW.sorted()
        let peak = ascending[ascending.count - 1]
        energyKWh = total.value * intervalS / 3.6e6
        meanW = mean
        peakW = peak
        p95W = Descriptive.percentile(sorted: ascending, 95)
        p99W = Descriptive.percentile(sorted: ascending, 99)
        peakToAverage = peak / mean
        loadFactor = mean / peak
        coefficientOfVariation = (squares.value / Double(powerW.count)).squareRoot() / mean
        loadDurationW = Self.loadDuration(descending: ascending.reversed(), exceedanceFractions: exceedanceFractions)
        if powerW.count < 2 {
            (maxUpW, maxDownW, p95AbsRampW) = (.nan, .nan, .nan)
        } else {
            var up = 0.0
            var down = 0.0
            var magnitudes = [Double](repeating: 0, count: powerW.count - 1)
            for i in 1..<powerW.count {
                let d = powerW[i] - powerW[i - 1]
                up = Swift.max(up, d)
                down = Swift.max(down, -d)
                magnitudes[i - 1] = abs(d)
            }
            magnitudes.sort()
            (maxUpW, maxDownW) = (up, down)
            p95AbsRampW = Descriptive.percentile(sorted: magnitudes, 95)
        }
    }

    /// Load-duration curve values by the reference's exceedance rank: sort descending and take the element at
    /// ⌊f · N⌋, clamped to N − 1 (not an interpolated percentile).
    ///
    /// NaN for an empty series, a series holding a NaN, or a fraction outside 0...1.
    public static func loadDuration(_ powerW: [Double], exceedanceFractions: [Double]) -> [Double] {
        guard !powerW.contains(where: \.isNaN) else { return exceedanceFractions.map { _ in .nan } }
        return loadDuration(descending: powerW.sorted(by: >), exceedanceFractions: exceedanceFractions)
    }

    private static func loadDuration(descending: [Double], exceedanceFractions: [Double]) -> [Double] {
        exceedanceFractions.map { f in
            guard !descending.isEmpty, (0...1).contains(f) else { return .nan }
            let rank = Int((f * Double(descending.count)).rounded(.down))
            return descending[Swift.min(rank, descending.count - 1)]
        }
    }

    /// Diversity factor Σ member peaks / peak of the aggregate (≥ 1 when members peak at different times).
    ///
    /// NaN when there are no members; IEEE arithmetic for a zero aggregate peak.
    public static func diversityFactor(memberPeaksW: [Double], aggregatePeakW: Double) -> Double {
        guard !memberPeaksW.isEmpty else { return .nan }
        var s = CompensatedSum()
        for p in memberPeaksW { s.add(p) }
        return s.value / aggregatePeakW
    }

    /// Diversity factor of member series sampled on the same clock: Σ max(member) / max(Σ members).
    ///
    /// NaN when there are no members, a member is empty, lengths differ, or any sample is NaN.
    public static func diversityFactor(memberSeriesW: [[Double]]) -> Double {
        guard let n = memberSeriesW.first?.count, n > 0,
            memberSeriesW.allSatisfy({ $0.count == n && !$0.contains(where: \.isNaN) })
        else { return .nan }
        var aggregate = [CompensatedSum](repeating: CompensatedSum(), count: n)
        for member in memberSeriesW {
            for (t, p) in member.enumerated() { aggregate[t].add(p) }
        }
        // Non-empty and NaN-free, so both maxima exist.
        let aggregatePeak = aggregate.map(\.value).max() ?? .nan
        return diversityFactor(memberPeaksW: memberSeriesW.map { $0.max() ?? .nan }, aggregatePeakW: aggregatePeak)
    }

    /// Demand factor: peak / nameplate (≤ 1 when the nameplate is never reached). IEEE arithmetic for a zero
    /// nameplate.
    public static func demandFactor(peakW: Double, nameplateW: Double) -> Double { peakW / nameplateW }
}
