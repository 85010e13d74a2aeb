import Foundation
import LoadshapeCore
import LoadshapeTesting
import LoadshapeWorkload
import Testing


/// Rate profiles, time-varying arrivals, joint token histograms and the shipped workload profiles.
@Suite struct ProfileTests {}

/// A diurnal shape: 24 hourly rates, trough 0.3 at 04:00, peak 1.7 at 16:00 (mean 1).
private let diurnal: [Double] = (0..<24).map { 1 - 0.7 * cos(2 * Double.pi * (Double($0) - 4) / 24) }

extension ProfileTests {
    @Suite struct Rates {
        @Test func validatesItsInputs() {
            #expect(throwsMessage(["interval"]) { _ = try RateProfile(intervalS: 0, ratesPerS: [1]) })
            #expect(throwsMessage(["at least one rate"]) { _ = try RateProfile(intervalS: 1, ratesPerS: []) })
            #expect(throwsMessage(["rate[1]"]) { _ = try RateProfile(intervalS: 1, ratesPerS: [1, -1]) })
            #expect(throwsMessage(["rate[0]"]) { _ = try RateProfile(intervalS: 1, ratesPerS: [.nan]) })
            #expect(
                throwsMessage(["every rate is 0"]) {
                    _ = try RateProfile(intervalS: 1, ratesPerS: [0, 0]).scaled(toMean: 1)
                })
            #expect(
                throwsMessage(["target mean"]) { _ = try RateProfile(intervalS: 1, ratesPerS: [1]).scaled(toMean: -1) })
        }

        @Test func isPeriodicAndScales() throws {
            let p = try RateProfile(intervalS: 3600, ratesPerS: diurnal)
            #expect(p.periodS == 86_400)
            #expect(abs(p.meanRatePerS - 1) < 1e-12)
            #expect(
                p.rate(atS: 0) == diurnal[0] && p.rate(atS: 3599.9) == diurnal[0] && p.rate(atS: 3600) == diurnal[1])
            #expect(p.rate(atS: 86_400 + 5 * 3600) == diurnal[5] && p.rate(atS: -1) == diurnal[23])
            let s = try p.scaled(toMean: 35.6)
            #expect(abs(s.meanRatePerS - 35.6) < 1e-9)
            #expect(zip(s.ratesPerS, diurnal).allSatisfy { abs($0 / $1 - 35.6) < 1e-9 })
        }

        @Test func shiftsCircularly() throws {
            let p = try RateProfile(intervalS: 3600, ratesPerS: diurnal)
            // A site at UTC−7: local midnight is 07:00 UTC.
            let utc = p.shifted(byS: 7 * 3600)
            #expect(utc.originS == 0)
            #expect(utc.rate(atS: 7 * 3600) == p.rate(atS: 0))
            #expect(utc.rate(atS: 3 * 3600) == p.rate(atS: -4 * 3600))
            #expect(utc.ratesPerS == Array(diurnal[17...] + diurnal[..<17]))
            #expect(abs(utc.meanRatePerS - p.meanRatePerS) < 1e-12)
            #expect(p.shifted(byS: 86_400) == p && p.shifted(byS: -3 * 86_400) == p)
            #expect(utc.shifted(byS: -7 * 3600) == p)
            // A fraction of an interval (UTC+5:30) moves the origin; every instant maps back exactly.
            let india = p.shifted(byS: -5.5 * 3600)
            #expect(india.originS == 1800)
            for t in stride(from: -86_400.0, through: 2 * 86_400, by: 617) {
                #expect(india.rate(atS: t) == p.rate(atS: t + 5.5 * 3600), "t = \(t)")
            }
            #expect(india.shifted(byS: 5.5 * 3600) == p)
        }

        /// The first-period shortcut gives the floor-and-remainder index everywhere: inside the period, at its
        /// edges, before it and periods after it, with the origin moved.
        @Test func intervalIndexIsTheFloorModuloTheCount() throws {
            for origin in [0.0, 1800, 0.1] {
                let p = try RateProfile(intervalS: 3600, ratesPerS: diurnal).shifted(byS: -origin)
                let n = Double(p.ratesPerS.count)
                var ts: [Double] = [-86_400.0, -0.0, 0, 3599.999999, 3600, 86_399.99999999, 86_400, 86_400.000001, 10 * 86_400 + 5]
                ts += stride(from: -2 * 86_400.0, through: 3 * 86_400, by: 977.3).map { $0 }
                for t in ts {
                    var k = ((t - p.originS) / p.intervalS).rounded(.down).truncatingRemainder(dividingBy: n)
                    if k < 0 { k += n }
                    #expect(p.intervalIndex(atS: t) == Int(k) % p.ratesPerS.count, "origin \(origin), t = \(t)")
                }
            }
        }
    }
}

extension ProfileTests {
    @Suite struct Arrivals {
        /// Arrivals counted per profile interval against λ_k · interval, within 5 sd of a renewal process's count
        /// (variance inflated by 1/b for bursty candidates).
        @Test(arguments: [(1.0, UInt64(1)), (1.0, 2), (1.0, 3), (0.5, 4), (0.25, 5), (2.0, 6), (4.0, 7)])
        func reproducesTheProfilePerInterval(burstiness: Double, seed: UInt64) throws {
            let p = try RateProfile(intervalS: 3600, ratesPerS: diurnal).scaled(toMean: 2)
            let days = 2.0
            let t = try TimeVaryingArrivals.generate(
                profile: p, durationS: days * 86_400, burstiness: burstiness, seed: seed)
            #expect(t.allSatisfy { $0 >= 0 && $0 < days * 86_400 })
            // Non-decreasing: a bursty gamma gap can be below the resolution of t, giving a tie.
            #expect(zip(t, t.dropFirst()).allSatisfy { $0 <= $1 })
            var counts = [Int](repeating: 0, count: 24)
            for a in t { counts[p.intervalIndex(atS: a)] += 1 }
            for k in 0..<24 {
                let expected = p.ratesPerS[k] * 3600 * days
                let sd = (expected * max(1, 1 / burstiness)).squareRoot()
                #expect(
                    abs(Double(counts[k]) - expected) < 5 * sd,
                    "b = \(burstiness), seed \(seed), hour \(k): \(counts[k]) vs \(expected)")
            }
            let total = p.meanRatePerS * days * 86_400
            #expect(abs(Double(t.count) - total) < 5 * (total * max(1, 1 / burstiness)).squareRoot())
        }

        @Test func aFlatProfileIsTheRenewalProcess() throws {
            // With λ(t) = λmax nothing is thinned: gaps are the gamma(b) renewal, CV 1/√b.
            let p = try RateProfile(intervalS: 60, ratesPerS: [2, 2, 2])
            let t = try TimeVaryingArrivals.generate(profile: p, durationS: 20_000, burstiness: 0.25, seed: 9)
            let gaps = zip(t, t.dropFirst()).map { $1 - $0 }
            let m = Descriptive.mean(gaps)
            let sd = Descriptive.mean(gaps.map { ($0 - m) * ($0 - m) }).squareRoot()
            #expect(abs(m - 0.5) < 0.03 && abs(sd / m - 2) < 0.2)
        }

        @Test func zeroRateIntervalsGetNoArrivals() throws {
            let p = try RateProfile(intervalS: 10, ratesPerS: [5, 0, 1, 0])
            let t = try TimeVaryingArrivals.generate(profile: p, durationS: 4000, seed: 3)
            #expect(t.allSatisfy { p.rate(atS: $0) > 0 })
            #expect(
                try TimeVaryingArrivals.generate(
                    profile: RateProfile(intervalS: 1, ratesPerS: [0]), durationS: 100, seed: 1
                ).isEmpty)
        }

        @Test func isDeterministicForASeed() throws {
            let p = try RateProfile(intervalS: 300, ratesPerS: [1, 3, 2, 0.5])
            let a = try TimeVaryingArrivals.generate(profile: p, durationS: 3600, burstiness: 0.5, seed: 42)
            #expect(a == (try TimeVaryingArrivals.generate(profile: p, durationS: 3600, burstiness: 0.5, seed: 42)))
            #expect(a != (try TimeVaryingArrivals.generate(profile: p, durationS: 3600, burstiness: 0.5, seed: 43)))
            var g1 = Xoshiro256StarStar(seed: 5)
            var g2 = Xoshiro256StarStar(seed: 5)
            #expect(
                try TimeVaryingArrivals.generate(profile: p, durationS: 600, using: &g1)
                    == TimeVaryingArrivals.generate(profile: p, durationS: 600, using: &g2))
            let h = try JointTokenHistogram(
                inputEdges: [1, 10, 100], outputEdges: [1, 50], probabilities: [[0.5], [0.5]])
            let s = try TimeVaryingArrivals.schedule(profile: p, durationS: 3600, burstiness: 0.5, tokens: h, seed: 42)
            #expect(
                s
                    == (try TimeVaryingArrivals.schedule(
                        profile: p, durationS: 3600, burstiness: 0.5, tokens: h, seed: 42)))
            #expect(s.map(\.arrivalS) == a)
            #expect(s.allSatisfy { (1...100).contains($0.inputTokens) && (1...50).contains($0.outputTokens) })
        }

        @Test func rejectsBadParameters() throws {
            let p = try RateProfile(intervalS: 1, ratesPerS: [1])
            #expect(
                throwsMessage(["duration"]) { _ = try TimeVaryingArrivals.generate(profile: p, durationS: 0, seed: 1) })
            #expect(
                throwsMessage(["burstiness"]) {
                    _ = try TimeVaryingArrivals.generate(profile: p, durationS: 1, burstiness: 0, seed: 1)
                })
        }
    }
}

extension ProfileTests {
    @Suite struct TokenHistogram {
        /// Correlated lognormal pairs (prompt median 800, output median 150, log-correlation 0.5), from our generator.
        static func syntheticPairs(_ n: Int, seed: UInt64) -> [(input: Int, output: Int)] {
            var g = Xoshiro256StarStar(seed: seed)
            return (0..<n).map { _ in
                let z1 = Sampling.standardNormal(using: &g)
                let z2 = 0.5 * z1 + (0.75).squareRoot() * Sampling.standardNormal(using: &g)
                return (max(1, Int((800 * exp(1.0 * z1)).rounded())), max(1, Int((150 * exp(0.9 * z2)).rounded())))
            }
        }

        static func medians(_ pairs: [(input: Int, output: Int)]) -> (Double, Double) {
            (Descriptive.median(pairs.map { Double($0.input) }), Descriptive.median(pairs.map { Double($0.output) }))
        }

        static func logCorrelation(_ pairs: [(input: Int, output: Int)]) -> Double {
            let x = pairs.map { log(Double($0.input)) }
            let y = pairs.map { log(Double($0.output)) }
            let (mx, my) = (Descriptive.mean(x), Descriptive.mean(y))
            let sxy = Descriptive.mean(zip(x, y).map { ($0 - mx) * ($1 - my) })
            let sx = Descriptive.mean(x.map { ($0 - mx) * ($0 - mx) }).squareRoot()
            let sy = Descriptive.mean(y.map { ($0 - my) * ($0 - my) }).squareRoot()
            return sxy / (sx * sy)
        }

        @Test func sampledMarginalsAndCorrelationMatchTheFittedData() throws {
            let data = Self.syntheticPairs(20_000, seed: 11)
            let h = try JointTokenHistogram.fit(pairs: data, binsPerAxis: 24)
            #expect(h.inputBins == 24 && h.outputBins == 24)
            var g = Xoshiro256StarStar(seed: 12)
            let samples = (0..<50_000).map { _ in h.sample(using: &g) }
            let (dIn, dOut) = Self.medians(data)
            let (sIn, sOut) = Self.medians(samples)
            #expect(abs(sIn / dIn - 1) < 0.04, "prompt median \(sIn) vs data \(dIn)")
            #expect(abs(sOut / dOut - 1) < 0.04, "output median \(sOut) vs data \(dOut)")
            #expect(abs(Self.logCorrelation(samples) - Self.logCorrelation(data)) < 0.05)
            let inRange = data.map(\.input).min()!...data.map(\.input).max()!
            #expect(samples.allSatisfy { inRange.contains($0.input) && $0.output >= 1 })
        }

        @Test func fitCountsEveryPairOnce() throws {
            let pairs: [(input: Int, output: Int)] = [(1, 1), (1, 1), (10, 5), (100, 20), (1000, 1)]
            let h = try JointTokenHistogram.fit(pairs: pairs, binsPerAxis: 3)
            #expect(h.inputEdges.first == 0.5 && h.inputEdges.last == 1000.5)
            #expect(h.outputEdges.first == 0.5 && h.outputEdges.last == 20.5)
            #expect(abs(h.probabilities.joined().reduce(0, +) - 1) < 1e-15)
            #expect(h.probabilities[0][0] == 0.4 && h.probabilities[2][0] == 0.2)
            // A single value: one populated cell, and sampling returns (almost) that value.
            let one = try JointTokenHistogram.fit(pairs: [(300, 40)], binsPerAxis: 4)
            var g = Xoshiro256StarStar(seed: 1)
            for _ in 0..<200 {
                let s = one.sample(using: &g)
                #expect(abs(s.input - 300) <= 1 && abs(s.output - 40) <= 1)
            }
            #expect(
                throwsMessage(["no (prompt, output) pairs"]) {
                    _ = try JointTokenHistogram.fit(pairs: [], binsPerAxis: 3)
                })
            #expect(
                throwsMessage(["pair 1"]) { _ = try JointTokenHistogram.fit(pairs: [(1, 1), (0, 1)], binsPerAxis: 3) })
            #expect(
                throwsMessage(["at least 1 bin"]) { _ = try JointTokenHistogram.fit(pairs: [(1, 1)], binsPerAxis: 0) })
        }

        @Test func rejectsMalformedHistogramsNamingTheField() {
            func make(_ i: [Double], _ o: [Double], _ p: [[Double]]) throws {
                _ = try JointTokenHistogram(
                    inputEdges: i, outputEdges: o, probabilities: p, name: "w.json", field: "tokens.")
            }
            #expect(
                throwsMessage(["w.json: field 'tokens.input_edges'", "at least 2"]) { try make([1], [1, 2], [[1]]) })
            #expect(throwsMessage(["field 'tokens.output_edges'", "ascending"]) { try make([1, 2], [2, 2], [[1]]) })
            #expect(throwsMessage(["field 'tokens.input_edges'", "> 0"]) { try make([0, 2], [1, 2], [[1]]) })
            #expect(
                throwsMessage(["field 'tokens.output_edges'", "at most 1000000000 tokens"]) {
                    try make([1, 2], [1, 2e9], [[1]])
                })
            #expect(
                throwsMessage(["field 'tokens.probabilities': has 2 rows"]) {
                    try make([1, 2], [1, 2], [[0.5], [0.5]])
                })
            #expect(
                throwsMessage(["field 'tokens.probabilities[0]': has 2 entries"]) {
                    try make([1, 2], [1, 2], [[0.5, 0.5]])
                })
            #expect(
                throwsMessage(["field 'tokens.probabilities[1][0]'"]) {
                    try make([1, 2, 3], [1, 2], [[1.5], [-0.5]])
                })
            #expect(
                throwsMessage(["field 'tokens.probabilities': sums to 0.9"]) {
                    try make([1, 2, 3], [1, 2], [[0.5], [0.4]])
                })
            #expect(
                throwsMessage(["w.json: field 'tokens.output_edges[1]': expected a number"]) {
                    _ = try JointTokenHistogram.parse(
                        ["input_edges": [1, 2], "output_edges": [1, "x"] as [Any], "probabilities": [[1]]]
                            as [String: Any], name: "w.json",
                        field: "tokens.")
                })
        }
    }
}

extension ProfileTests {
    @Suite struct Workload {
        static func path(_ name: String) -> String { TestPaths.configs + "/workloads/\(name).json" }

        /// The shipped profiles load; their histograms reproduce the README's marginal medians.
        @Test(arguments: [
            ("azure-conv-2023", 5.53, 1020.0, 129.0, 19366), ("azure-code-2023", 2.57, 1469.0, 13.0, 8819),
        ])
        func shippedProfilesLoad(
            name: String, meanRate: Double, inputMedian: Double, outputMedian: Double, requests: Int
        ) throws {
            let w = try WorkloadProfile.load(path: Self.path(name))
            #expect(w.name == name)
            #expect(abs(w.meanRatePerS - meanRate) < 0.005)
            #expect(w.rateShape.count == 60 && abs(Descriptive.mean(w.rateShape) - 1) < 1e-6)
            #expect(w.tokens.inputBins == 24 && w.tokens.outputBins == 24)
            // The shape covers one loop period of the trace: 60 intervals × interval = span + one mean gap.
            #expect(abs(60 * w.rateShapeIntervalS * w.meanRatePerS - Double(requests)) < 0.01 * Double(requests))
            let profile = try w.rateProfile()
            #expect(abs(profile.meanRatePerS - w.meanRatePerS) < 1e-9 && profile.ratesPerS.count == 60)
            var g = Xoshiro256StarStar(seed: 2026)
            let samples = (0..<40_000).map { _ in w.tokens.sample(using: &g) }
            let (sIn, sOut) = ProfileTests.TokenHistogram.medians(samples)
            #expect(abs(sIn / inputMedian - 1) < 0.08, "\(name) prompt median \(sIn) vs \(inputMedian)")
            #expect(abs(sOut / outputMedian - 1) < 0.12, "\(name) output median \(sOut) vs \(outputMedian)")
        }

        @Test(
            .enabled(
                if: TestPaths.sharedAvailable,
                "../shared/data not found: shipped profiles NOT re-derived from the Azure traces"))
        func shippedProfilesAgreeWithAFitOfTheTraces() throws {
            for (name, file) in [("azure-conv-2023", "conv"), ("azure-code-2023", "code")] {
                let trace = try AzureTraceReader.read(
                    path: TestPaths.shared + "/data/workloads/azure-llm-2023/AzureLLMInferenceTrace_\(file).csv")
                let fitted = try JointTokenHistogram.fit(
                    pairs: trace.map { ($0.inputTokens, $0.outputTokens) }, binsPerAxis: 24)
                let shipped = try WorkloadProfile.load(path: Self.path(name))
                let edges =
                    Array(zip(fitted.inputEdges, shipped.tokens.inputEdges))
                    + Array(zip(fitted.outputEdges, shipped.tokens.outputEdges))
                for (a, b) in edges {
                    #expect(abs(a - b) <= 1e-12 * b, "\(name): edge \(a) vs \(b)")
                }
                for (ra, rb) in zip(fitted.probabilities, shipped.tokens.probabilities) {
                    for (a, b) in zip(ra, rb) { #expect(abs(a - b) <= 1e-6, "\(name): probability \(a) vs \(b)") }
                }
                // Same count in every rate-shape bin: the shipped shape is this trace's.
                let period = trace.last!.arrivalS * Double(trace.count) / Double(trace.count - 1)
                #expect(abs(shipped.rateShapeIntervalS - period / 60) < 1e-6)
                var counts = [Double](repeating: 0, count: 60)
                for r in trace { counts[min(59, Int(r.arrivalS / (period / 60)))] += 1 }
                for (c, v) in zip(counts, shipped.rateShape) { #expect(abs(c / (Double(trace.count) / 60) - v) < 1e-6) }
                #expect(abs(shipped.meanRatePerS - Double(trace.count) / period) < 1e-6)
            }
        }

        @Test func malformedProfilesNameTheField() throws {
            let good =
                try JSONSerialization.jsonObject(
                    with: Data(contentsOf: URL(fileURLWithPath: Self.path("azure-code-2023"))))
                as! [String: Any]
            func broken(_ edit: (inout [String: Any]) -> Void) throws -> Data {
                var o = good
                edit(&o)
                return try JSONSerialization.data(withJSONObject: o)
            }
            let cases: [(Data, String)] = [
                (try broken { $0["schema"] = "v0" }, "p.json: field 'schema'"),
                (try broken { $0["name"] = 3 }, "p.json: field 'name'"),
                (try broken { $0["mean_rate_per_s"] = -1 }, "p.json: field 'mean_rate_per_s'"),
                (try broken { $0.removeValue(forKey: "rate_shape") }, "p.json: field 'rate_shape'"),
                (
                    try broken { $0["rate_shape"] = ["interval_s": 0, "values": [1]] as [String: Any] },
                    "p.json: field 'rate_shape.interval_s'"
                ),
                (
                    try broken {
                        $0["rate_shape"] = ["interval_s": 60, "values": [1, "x"] as [Any]] as [String: Any]
                    }, "p.json: field 'rate_shape.values[1]'"
                ),
                (
                    try broken { $0["rate_shape"] = ["interval_s": 60, "values": [1, 2]] as [String: Any] },
                    "p.json: field 'rate_shape.values': mean is 1.5"
                ),
                (try broken { $0.removeValue(forKey: "tokens") }, "p.json: field 'tokens' is missing"),
                (
                    try broken { $0["tokens"] = ["input_edges": [1, 2], "output_edges": [1, 2]] },
                    "p.json: field 'tokens.probabilities'"
                ),
                (Data("[]".utf8), "p.json: expected a JSON object"),
            ]
            for (d, message) in cases {
                #expect(throwsMessage([message]) { _ = try WorkloadProfile.parse(d, name: "p.json") }, "\(message)")
            }
            #expect(
                throwsMessage(["/nonexistent.json: cannot read"]) {
                    _ = try WorkloadProfile.load(path: "/nonexistent.json")
                })
        }
    }
}
