import Foundation
import LoadshapeCore
import Numerics
import Testing

/// Fixtures/facility_metrics.json (scripts/fixtures/make_facility_fixtures.py: values computed with numpy).
///
/// Decoded with `JSONDecoder`, which rounds decimal numbers correctly.
private struct FacilityFixture: Decodable {
    struct Case: Decodable, CustomStringConvertible {
        var name: String
        var intervalS: Double
        var powerW: [Double]
        var nameplateW: Double?
        var expected: Expected
        var description: String { name }
    }

    /// `nil` where numpy's value is undefined (NaN or ±∞).
    struct Expected: Decodable {
        var energyKwh: Double?
        var meanW: Double?
        var peakW: Double?
        var p95W: Double?
        var p99W: Double?
        var peakToAverage: Double?
        var loadFactor: Double?
        var coefficientOfVariation: Double?
        var loadDurationW: [Double?]
        var maxUpW: Double?
        var maxDownW: Double?
        var p95AbsRampW: Double?
        var demandFactor: Double?
    }

    struct Diversity: Decodable, CustomStringConvertible {
        struct Expected: Decodable {
            var memberPeaksW: [Double]
            var aggregatePeakW: Double
            var diversityFactor: Double
        }
        var name: String
        var membersW: [[Double]]
        var expected: Expected
        var description: String { name }
    }

    var exceedanceFractions: [Double]
    var cases: [Case]
    var diversity: [Diversity]

    static let shared: FacilityFixture = {
        do {
            guard
                let url = Bundle.module.url(
                    forResource: "facility_metrics", withExtension: "json", subdirectory: "Fixtures")
            else { fatalError("Fixtures/facility_metrics.json is missing from the test bundle") }
            let decoder = JSONDecoder()
            decoder.keyDecodingStrategy = .convertFromSnakeCase
            return try decoder.decode(FacilityFixture.self, from: Data(contentsOf: url))
        } catch {
            fatalError("Fixtures/facility_metrics.json: \(error)")
        }
    }()
}

@Suite struct FacilityMetricsTests {
    /// Relative tolerance against numpy: sums differ only in rounding (compensated vs pairwise).
    static let tol = 1e-11

    private func close(_ a: Double, _ b: Double?, _ what: String, _ name: String) {
        guard let b else {
            #expect(!a.isFinite, "\(name) \(what): numpy says undefined, got \(a)")
            return
        }
        #expect(
            a.isApproximatelyEqual(to: b, absoluteTolerance: 1e-9, relativeTolerance: Self.tol),
            "\(name) \(what): \(a) vs numpy \(b)")
    }

    @Test func fixtureHasTheExpectedCases() {
        let f = FacilityFixture.shared
        #expect(
            f.cases.map(\.name) == ["random", "constant", "monotone", "spike", "site_15min", "two_points", "one_point"])
        #expect(f.diversity.map(\.name) == ["phase_shifted", "coincident"])
    }

    @Test func matchesNumpy() {
        let f = FacilityFixture.shared
        for c in f.cases {
            let m = LoadMetrics(powerW: c.powerW, intervalS: c.intervalS, exceedanceFractions: f.exceedanceFractions)
            let e = c.expected
            #expect(m.count == c.powerW.count && m.intervalS == c.intervalS)
            close(m.energyKWh, e.energyKwh, "energy", c.name)
            close(m.meanW, e.meanW, "mean", c.name)
            close(m.peakW, e.peakW, "peak", c.name)
            close(m.p95W, e.p95W, "P95", c.name)
            close(m.p99W, e.p99W, "P99", c.name)
            close(m.peakToAverage, e.peakToAverage, "peak-to-average", c.name)
            close(m.loadFactor, e.loadFactor, "load factor", c.name)
            close(m.coefficientOfVariation, e.coefficientOfVariation, "CoV", c.name)
            close(m.maxUpW, e.maxUpW, "max up ramp", c.name)
            close(m.maxDownW, e.maxDownW, "max down ramp", c.name)
            close(m.p95AbsRampW, e.p95AbsRampW, "P95 |ramp|", c.name)
            #expect(m.exceedanceFractions == f.exceedanceFractions)
            #expect(m.loadDurationW.count == e.loadDurationW.count)
            for (i, (a, b)) in zip(m.loadDurationW, e.loadDurationW).enumerated() {
                close(a, b, "LDC[\(f.exceedanceFractions[i])]", c.name)
            }
            #expect(LoadMetrics.loadDuration(c.powerW, exceedanceFractions: f.exceedanceFractions) == m.loadDurationW)
            if let nameplate = c.nameplateW {
                close(
                    LoadMetrics.demandFactor(peakW: m.peakW, nameplateW: nameplate), e.demandFactor, "demand factor",
                    c.name)
            }
        }
    }

    @Test func diversityMatchesNumpy() {
        for d in FacilityFixture.shared.diversity {
            close(LoadMetrics.diversityFactor(memberSeriesW: d.membersW), d.expected.diversityFactor, "series", d.name)
            close(
                LoadMetrics.diversityFactor(
                    memberPeaksW: d.expected.memberPeaksW, aggregatePeakW: d.expected.aggregatePeakW),
                d.expected.diversityFactor, "peaks", d.name)
        }
    }

    @Test func edgeCasesAreNaN() {
        let empty = LoadMetrics(powerW: [], intervalS: 1, exceedanceFractions: [0.5, 0.95])
        #expect(empty.count == 0)
        for v in [
            empty.energyKWh, empty.meanW, empty.peakW, empty.p95W, empty.p99W, empty.peakToAverage, empty.loadFactor,
            empty.coefficientOfVariation, empty.maxUpW, empty.maxDownW, empty.p95AbsRampW,
        ] + empty.loadDurationW {
            #expect(v.isNaN)
        }
        #expect(empty.loadDurationW.count == 2)
        let withNaN = LoadMetrics(powerW: [1, .nan, 3], intervalS: 1)
        #expect(withNaN.peakW.isNaN && withNaN.meanW.isNaN && withNaN.loadDurationW.allSatisfy(\.isNaN))
        let outside = LoadMetrics.loadDuration([1, 2], exceedanceFractions: [-0.1, 1.5, .nan])
        #expect(outside.count == 3 && outside.allSatisfy(\.isNaN))
        let none = LoadMetrics.loadDuration([], exceedanceFractions: [0.5])
        #expect(none.count == 1 && none.allSatisfy(\.isNaN))
        let zeros = LoadMetrics(powerW: [0, 0, 0], intervalS: 1)
        #expect(zeros.energyKWh == 0 && zeros.peakToAverage.isNaN && zeros.loadFactor.isNaN)
        #expect(LoadMetrics.diversityFactor(memberPeaksW: [], aggregatePeakW: 1).isNaN)
        #expect(LoadMetrics.diversityFactor(memberSeriesW: []).isNaN)
        #expect(LoadMetrics.diversityFactor(memberSeriesW: [[1, 2], [1]]).isNaN)
        #expect(LoadMetrics.diversityFactor(memberSeriesW: [[1, 2], [1, .nan]]).isNaN)
    }

    @Test func coarserResolutionsComeFromBlockMeans() {
        // Ramps at 1 s are the steps of the 1 s means of a 250 ms series, energy is conserved.
        let native: [Double] = (0..<40).map { Double($0 % 8 < 4 ? 100 : 300) }
        let fine = LoadMetrics(powerW: native, intervalS: 0.25)
        let coarse = LoadMetrics(powerW: Descriptive.blockMeans(native, factor: 4), intervalS: 1)
        #expect(abs(fine.energyKWh - coarse.energyKWh) < 1e-15)
        #expect(fine.maxUpW == 200 && coarse.maxUpW == 200 && coarse.maxDownW == 200)
        #expect(coarse.peakW == 300 && coarse.loadFactor == 200.0 / 300.0)
    }
}
