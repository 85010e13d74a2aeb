import Foundation
import LoadshapeCore
import Numerics
import Testing

/// Fixtures/metrics.json (scripts/fixtures/make_metric_fixtures.py: values computed with numpy/scipy).
///
/// Decoded with `JSONDecoder`, which rounds decimal numbers correctly; `JSONSerialization` on Linux can be
/// one ulp off, which would break the exact KS comparison.
private struct MetricFixture: Decodable {
    struct Case: Decodable, CustomStringConvertible {
        var name: String
        var predicted: [Double]
        var measured: [Double]
        var expected: Expected
        var description: String { name }
    }

    /// `nil` where numpy's value is undefined (NaN or ±∞).
    struct Expected: Decodable {
        var energyError: Double?
        var signedBias: Double?
        var ks: Double?
        var defaultLag: Int
        var acfPredicted: [Double]
        var acfMeasured: [Double]
        var acfR2: Double?
        var acfMae: Double?
        var nrmse: Double?
        var percentileError: [String: Double?]
    }

    var cases: [Case]

    static func load() throws -> [Case] {
        let url = try #require(Bundle.module.url(forResource: "metrics", withExtension: "json", subdirectory: "Fixtures"))
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        return try decoder.decode(MetricFixture.self, from: Data(contentsOf: url)).cases
    }
}

@Suite struct MetricsTests {
    /// Relative tolerance against numpy/scipy: the sums differ only in rounding (compensated vs pairwise).
    static let tol = 1e-10

    private func close(_ a: Double, _ b: Double?, _ what: String, case c: MetricFixture.Case) {
        guard let b else {
            #expect(!a.isFinite, "\(c.name) \(what): numpy says undefined, got \(a)")
            return
        }
        #expect(
            a.isApproximatelyEqual(to: b, absoluteTolerance: 1e-12, relativeTolerance: Self.tol),
            "\(c.name) \(what): \(a) vs numpy \(b)")
    }

    @Test func fixtureHasTheExpectedCases() throws {
        let cases = try MetricFixture.load()
        #expect(cases.map(\.name) == ["normal", "ar1", "ties", "different_lengths", "constant_predicted", "short"])
    }

    @Test func matchesNumpyAndScipy() throws {
        for c in try MetricFixture.load() {
            let p = c.predicted
            let m = c.measured
            let e = c.expected
            close(Metrics.energyError(predicted: p, measured: m), e.energyError, "energy error", case: c)
            close(Metrics.signedBias(predicted: p, measured: m), e.signedBias, "signed bias", case: c)
            // scipy's statistic is the exact rational h / lcm(n_a, n_b) rounded once: it matches bit for bit.
            #expect(Metrics.ksStatistic(p, m) == e.ks, "\(c.name) KS")
            #expect(Metrics.defaultACFLag(count: m.count) == e.defaultLag, "\(c.name) default lag")
            let ap = Metrics.acf(p, maxLag: e.defaultLag)
            let am = Metrics.acf(m, maxLag: e.defaultLag)
            #expect(ap.count == e.acfPredicted.count && am.count == e.acfMeasured.count, "\(c.name) ACF lengths")
            for (k, (a, x)) in zip(ap, e.acfPredicted).enumerated() { close(a, x, "ACF_p(\(k + 1))", case: c) }
            for (k, (a, x)) in zip(am, e.acfMeasured).enumerated() { close(a, x, "ACF_m(\(k + 1))", case: c) }
            close(Metrics.acfR2(predicted: p, measured: m), e.acfR2, "ACF R²", case: c)
            close(Metrics.acfR2(predicted: p, measured: m, maxLag: e.defaultLag), e.acfR2, "ACF R² (lag)", case: c)
            close(Metrics.acfMAE(predicted: p, measured: m), e.acfMae, "ACF MAE", case: c)
            let nrmse = Metrics.nrmse(predicted: p, measured: m)
            if let x = e.nrmse { close(nrmse, x, "NRMSE", case: c) } else { #expect(nrmse.isNaN, "\(c.name) NRMSE") }
            #expect(e.percentileError.count == 3)
            for q in [50.0, 95, 99] {
                let x = try #require(e.percentileError[String(Int(q))], "\(c.name) P\(Int(q)) in the fixture")
                close(Metrics.percentileError(predicted: p, measured: m, p: q), x, "P\(Int(q)) error", case: c)
            }
        }
    }

    @Test func ksHandlesTiesAndIsSymmetric() {
        // scipy.stats.ks_2samp([1, 2, 2, 3], [2, 2, 2, 4]).statistic = 0.25
        #expect(Metrics.ksStatistic([1, 2, 2, 3], [2, 2, 2, 4]) == 0.25)
        #expect(Metrics.ksStatistic([2, 2, 2, 4], [1, 2, 2, 3]) == 0.25)
        #expect(Metrics.ksStatistic([1, 2, 3], [3, 1, 2]) == 0)
        // Disjoint samples: 1.
        #expect(Metrics.ksStatistic([1, 2], [5, 6, 7]) == 1)
        #expect(Metrics.ksStatistic([5], [5]) == 0)
    }

    @Test func acfOfConstantAndShortSeries() {
        #expect(Metrics.acf([4, 4, 4, 4], maxLag: 3) == [0, 0, 0])
        // Lags beyond the series have no pairs: 0.
        let a = Metrics.acf([1, 2], maxLag: 3)
        #expect(a.count == 3 && a[0] == -0.5 && a[1] == 0 && a[2] == 0)
        #expect(Metrics.acf([1, 2, 3], maxLag: 0).isEmpty)
        #expect(Metrics.acf([7], maxLag: 2) == [0, 0])
    }

    @Test func defaultLagFollowsTheProtocol() {
        #expect(Metrics.defaultACFLag(count: 1000) == 60)
        #expect(Metrics.defaultACFLag(count: 240) == 60)
        #expect(Metrics.defaultACFLag(count: 239) == 59)
        #expect(Metrics.defaultACFLag(count: 100) == 25)
        #expect(Metrics.defaultACFLag(count: 3) == 1)
        #expect(Metrics.defaultACFLag(count: 0) == 1)
    }

    @Test func emptyInputsGiveNaN() {
        let x: [Double] = [1, 2, 3]
        #expect(Metrics.energyError(predicted: [], measured: x).isNaN)
        #expect(Metrics.energyError(predicted: x, measured: []).isNaN)
        #expect(Metrics.signedBias(predicted: [], measured: x).isNaN)
        #expect(Metrics.ksStatistic([], x).isNaN)
        #expect(Metrics.ksStatistic(x, []).isNaN)
        #expect(Metrics.acf([], maxLag: 2).allSatisfy { $0.isNaN })
        #expect(Metrics.acf([], maxLag: 2).count == 2)
        #expect(Metrics.acfR2(predicted: [], measured: x).isNaN)
        #expect(Metrics.acfMAE(predicted: x, measured: []).isNaN)
        #expect(Metrics.nrmse(predicted: [], measured: []).isNaN)
        #expect(Metrics.percentileError(predicted: [], measured: x, p: 95).isNaN)
    }

    @Test func nanInputsGiveNaN() {
        let x: [Double] = [1, 2, 3, 4, 5, 6, 7, 8]
        var y = x
        y[3] = .nan
        #expect(Metrics.energyError(predicted: y, measured: x).isNaN)
        #expect(Metrics.energyError(predicted: x, measured: y).isNaN)
        #expect(Metrics.signedBias(predicted: y, measured: x).isNaN)
        #expect(Metrics.ksStatistic(y, x).isNaN)
        #expect(Metrics.ksStatistic(x, y).isNaN)
        #expect(Metrics.acf(y, maxLag: 2).allSatisfy { $0.isNaN })
        #expect(Metrics.acfR2(predicted: y, measured: x).isNaN)
        #expect(Metrics.acfMAE(predicted: x, measured: y).isNaN)
        #expect(Metrics.nrmse(predicted: y, measured: x).isNaN)
        #expect(Metrics.nrmse(predicted: x, measured: y).isNaN)
        #expect(Metrics.percentileError(predicted: y, measured: x, p: 50).isNaN)
        #expect(Metrics.percentileError(predicted: x, measured: y, p: 50).isNaN)
    }

    @Test func singleElementAndDegenerateInputs() {
        #expect(Metrics.energyError(predicted: [110], measured: [100]).isApproximatelyEqual(to: 0.1))
        #expect(Metrics.signedBias(predicted: [90], measured: [100]).isApproximatelyEqual(to: -0.1))
        #expect(Metrics.ksStatistic([1], [2]) == 1)
        #expect(Metrics.percentileError(predicted: [105], measured: [100], p: 99).isApproximatelyEqual(to: 0.05))
        #expect(Metrics.percentileError(predicted: [1, 2], measured: [1, 2], p: 101).isNaN)
        // A single measured point has zero range: RMSE / 0.
        #expect(Metrics.nrmse(predicted: [3], measured: [2]) == .infinity)
        #expect(Metrics.nrmse(predicted: [2], measured: [2]).isNaN)
        #expect(Metrics.nrmse(predicted: [1, 2], measured: [1, 2, 3]).isNaN)
        // A constant measured series has a flat (all-zero) ACF: R² is undefined.
        #expect(!Metrics.acfR2(predicted: [1, 5, 2, 8, 3, 9, 4, 7], measured: [5, 5, 5, 5, 5, 5, 5, 5]).isFinite)
        #expect(Metrics.acfMAE(predicted: [5, 5, 5, 5], measured: [5, 5, 5, 5]) == 0)
        // Identical series: perfect scores.
        let x: [Double] = (0..<300).map { 200 + 50 * sin(Double($0) / 7) }
        #expect(Metrics.acfR2(predicted: x, measured: x) == 1)
        #expect(Metrics.acfMAE(predicted: x, measured: x) == 0)
        #expect(Metrics.energyError(predicted: x, measured: x) == 0)
        #expect(Metrics.nrmse(predicted: x, measured: x) == 0)
        #expect(Metrics.ksStatistic(x, x) == 0)
    }
}
