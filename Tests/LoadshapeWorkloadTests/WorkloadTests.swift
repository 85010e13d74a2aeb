import Foundation
import LoadshapeCore
import LoadshapeWorkload
import Testing

@Suite struct TokenDistributionTests {
    @Test func parsesTheThreeForms() throws {
        #expect(try TokenDistribution.parse("512", what: "x") == .fixed(512))
        #expect(try TokenDistribution.parse("fixed:64", what: "x") == .fixed(64))
        #expect(
            try TokenDistribution.parse("lognormal:median=250,sigma=1.0,min=4,max=8192", what: "x")
                == .lognormal(median: 250, sigma: 1, min: 4, max: 8192))
        #expect(
            try TokenDistribution.parse("categorical:64@0.25,512@0.75", what: "x")
                == .categorical(values: [64, 512], probabilities: [0.25, 0.75]))
    }

    @Test(arguments: [
        "", "0", "fixed:-3", "lognormal:median=250", "lognormal:median=-1,sigma=1", "lognormal:mu=1,sigma=1",
        "categorical:64@0.5", "categorical:64@0.5,x@0.5", "uniform:1,2", "lognormal:median=9,sigma=1,min=10,max=5",
    ])
    func rejectsMalformedSpecsNamingTheOption(text: String) {
        #expect {
            _ = try TokenDistribution.parse(text, what: "--input-tokens")
        } throws: { e in
            (e as? WorkloadError)?.message.hasPrefix("--input-tokens") == true
        }
    }

    @Test func samplesStayInBoundsAndMatchTheMedian() throws {
        let d = TokenDistribution.lognormal(median: 250, sigma: 1, min: 4, max: 8192)
        var g = Xoshiro256StarStar(seed: 1)
        let xs = (0..<20_000).map { _ in d.sample(using: &g) }.sorted()
        #expect(xs.first! >= 4 && xs.last! <= 8192)
        #expect(abs(Double(xs[xs.count / 2]) - 250) < 12)
        let c = TokenDistribution.categorical(values: [1, 2], probabilities: [0.25, 0.75])
        let ones = (0..<20_000).filter { _ in c.sample(using: &g) == 1 }.count
        #expect(abs(Double(ones) / 20_000 - 0.25) < 0.015)
    }
}

@Suite struct GeneratorTests {
    @Test func isDeterministicAndHasTheRequestedRate() throws {
        let g = try ScheduleGenerator(ratePerS: 2, durationS: 3600, seed: 7)
        let a = g.generate()
        #expect(a == g.generate())
        #expect(abs(Double(a.count) - 7200) < 4 * 7200.0.squareRoot())
        #expect(a.allSatisfy { $0.arrivalS < 3600 })
        #expect(zip(a, a.dropFirst()).allSatisfy { $0.arrivalS <= $1.arrivalS })
        let other = try ScheduleGenerator(ratePerS: 2, durationS: 3600, seed: 8).generate()
        #expect(other != a)
    }

    @Test func changingLengthsDoesNotMoveArrivals() throws {
        let a = try ScheduleGenerator(ratePerS: 1, durationS: 600, seed: 3).generate()
        let b = try ScheduleGenerator(ratePerS: 1, durationS: 600, inputTokens: .fixed(10), seed: 3).generate()
        #expect(a.map(\.arrivalS) == b.map(\.arrivalS))
        #expect(a.map(\.outputTokens) == b.map(\.outputTokens))
    }

    @Test func burstyArrivalsAreMoreVariable() throws {
        func cv(_ b: Double) throws -> Double {
            let r = try ScheduleGenerator(ratePerS: 2, durationS: 20_000, burstiness: b, seed: 5).generate()
            let gaps = zip(r, r.dropFirst()).map { $1.arrivalS - $0.arrivalS }
            let m = gaps.reduce(0, +) / Double(gaps.count)
            #expect(abs(m - 0.5) / 0.5 < 0.06, "mean gap at burstiness \(b)")
            let v = gaps.map { ($0 - m) * ($0 - m) }.reduce(0, +) / Double(gaps.count)
            return v.squareRoot() / m
        }
        // Gamma inter-arrivals with shape b have CV 1/√b.
        #expect(abs(try cv(0.25) - 2) < 0.2)
        #expect(abs(try cv(1) - 1) < 0.05)
        #expect(abs(try cv(4) - 0.5) < 0.05)
    }

    @Test func parsesDurations() {
        #expect(parseDuration("90") == 90)
        #expect(parseDuration("90s") == 90)
        #expect(parseDuration("15m") == 900)
        #expect(parseDuration("1h30m") == 5400)
        #expect(parseDuration("1d") == 86400)
        #expect(parseDuration("soon") == nil)
        #expect(parseDuration("") == nil)
    }
}

@Suite struct ScheduleReaderTests {
    func csv(_ s: String) throws -> [Request] { try ScheduleReader.parseCSV(Data(s.utf8), name: "s.csv") }
    func json(_ s: String) throws -> [Request] { try ScheduleReader.parseJSON(Data(s.utf8), name: "s.json", seed: 1) }

    @Test func readsCSVWithCRLFAndOptionalColumns() throws {
        let r = try csv("arrival_s,input_tokens,output_tokens,cached_prefix_tokens\r\n0.5,100,20,10\r\n1.0,50,5,\r\n")
        #expect(r.count == 2)
        #expect(r[0] == Request(id: "r000000", arrivalS: 0.5, inputTokens: 100, outputTokens: 20, cachedPrefixTokens: 10))
        #expect(r[1].cachedPrefixTokens == 0)
    }

    @Test func readsTheReferenceJSONContract() throws {
        let r = try json(
            """
            {"meta": {}, "requests": [
              {"request_id": "a", "arrival_time": 0.0, "input_tokens": 10, "output_tokens": 3},
              {"request_id": "b", "arrival_time": 1.5, "input_tokens": 20, "cached_prefix_tokens": 5,
               "output_tokens_distribution": {"values": [4, 8], "probabilities": [0.5, 0.5]}}
            ]}
            """)
        #expect(r.map(\.id) == ["a", "b"])
        #expect([4, 8].contains(r[1].outputTokens))
        #expect(r[1].cachedPrefixTokens == 5)
        #expect(try json("[{\"arrival_time\": 2, \"input_tokens\": 1, \"output_tokens\": 1}]").count == 1)
    }

    @Test(arguments: [
        ("arrival_s,input_tokens\n0,1\n", "s.csv:1", "output_tokens"),
        ("arrival_s,input_tokens,output_tokens\n0,1,1\n1,x,1\n", "s.csv:3", "input_tokens"),
        ("arrival_s,input_tokens,output_tokens\n0,1,1\n-1,1,1\n", "s.csv:3", "arrival_s"),
        ("arrival_s,input_tokens,output_tokens\n0,1,1\n1,1\n", "s.csv:3", "fields"),
        ("arrival_s,input_tokens,output_tokens\n0,1,0\n", "s.csv:2", "output_tokens"),
        ("arrival_s,input_tokens,output_tokens,cached_prefix_tokens\n0,5,1,5\n", "s.csv:2", "cached_prefix_tokens"),
        ("arrival_s,input_tokens,output_tokens\n", "s.csv", "no requests"),
    ])
    func csvErrorsNameTheLineAndField(text: String, at: String, field: String) {
        #expect {
            _ = try csv(text)
        } throws: { e in
            guard let m = (e as? WorkloadError)?.message else { return false }
            return m.contains(at) && m.contains(field)
        }
    }

    @Test(arguments: [
        ("{\"requests\": 3}", "requests"),
        ("[{\"arrival_time\": 0, \"input_tokens\": 1}]", "output_tokens"),
        ("[{\"arrival_time\": 0, \"input_tokens\": 1.5, \"output_tokens\": 1}]", "input_tokens"),
        ("[{\"arrival_time\": 0, \"input_tokens\": 1, \"output_tokens\": 1, \"colour\": 1}]", "colour"),
        (
            "[{\"arrival_time\": 0, \"input_tokens\": 1, \"output_tokens_distribution\": {\"values\": [1], \"probabilities\": [0.5]}}]",
            "sum"
        ),
        ("[1, 2", "not valid JSON"),
    ])
    func jsonErrorsNameTheField(text: String, field: String) {
        #expect {
            _ = try json(text)
        } throws: { e in
            (e as? WorkloadError)?.message.contains(field) == true
        }
    }
}
