import Foundation
import LoadshapeCore
import LoadshapeIO
import LoadshapeSite
import LoadshapeTesting
import LoadshapeWorkload
import Testing

enum SiteFixtures {
    static let catalog: Catalog = { try! Catalog.load(root: TestPaths.configs) }()

    static func spec(duration: String = "10m", sites: String? = nil, outputs: String = "") -> String {
        """
        schema: loadshape-study-v1
        name: small
        start: 2024-05-16T00:00:00Z
        duration: \(duration)
        seed: 7
        \(outputs)
        sites:
        \(sites ?? site(name: "a"))
        """
    }

    static func site(name: String, tz: String = "UTC", pue: String = "1.3", rate: Double = 3) -> String {
        """
          - name: \(name)
            timezone: \(tz)
            pue: \(pue)
            traffic:
              profile: azure-conv-2023
              mean_rate_per_s: \(rate)
              routing: uniform
            rows:
              - name: row
                count: 2
                limit_kw: 30
                racks:
                  - name: rack
                    count: 2
                    servers: 2
                    model: llama-3-8b
                    gpu: H100
                    tp: 1
                    gpus_per_server: 2
                    non_gpu_w: {idle_w: 300, per_util_w: 200}
        """
    }

    static func run(_ text: String) throws -> StudyResult {
        let s = try StudySpec.parse(text, file: "spec.yaml")
        return try StudyRunner(spec: s, catalog: catalog).run()
    }
}

@Suite struct SiteAggregationTests {
    @Test func racksSumToRowsAndRowsToTheSite() throws {
        let r = try SiteFixtures.run(SiteFixtures.spec(outputs: "outputs: {site: [250ms, 1s, 15min], rows: [250ms], racks: [250ms]}"))
        let s = r.sites[0]
        #expect(s.servers == 8)
        #expect(s.rackNames.count == 4)
        let racks = s.racks[0].map(\.watts)
        let rows = s.rows[0].map(\.watts)
        for (ri, row) in rows.enumerated() {
            let mine = racks[(2 * ri)..<(2 * ri + 2)]
            let eRow = row.reduce(0, +)
            let eRacks = mine.reduce(0.0) { $0 + $1.reduce(0, +) }
            #expect(abs(eRow - eRacks) <= 1e-9 * eRow, "row \(ri) energy equals its racks'")
        }
        let site = s.it[0].watts
        for k in stride(from: 0, to: site.count, by: 97) {
            #expect(abs(site[k] - (rows[0][k] + rows[1][k])) <= 1e-9 * site[k])
            #expect(abs(s.facility[0].watts[k] - 1.3 * site[k]) <= 1e-9 * site[k])
            #expect(s.gpu[0].watts[k] <= site[k])
        }
        // Requests are conserved: each goes to exactly one server.
        #expect(s.requests > 1000)
    }

    @Test func coarseResolutionsAreMeansOfTheNativeBins() throws {
        let r = try SiteFixtures.run(SiteFixtures.spec(outputs: "outputs: {site: [250ms, 1s, 15min]}"))
        let native = r.sites[0].it[0].watts
        #expect(native.count == 2400)
        let oneS = r.sites[0].it[1].watts
        let quarter = r.sites[0].it[2].watts
        #expect(oneS.count == 600)
        for k in 0..<600 {
            let m = native[(4 * k)..<(4 * k + 4)].reduce(0, +) / 4
            #expect(abs(oneS[k] - m) <= 1e-9 * m)
        }
        #expect(quarter.count == 1)  // 10 minutes: one partial 15-min interval, the mean of its bins
        let m = native.reduce(0, +) / Double(native.count)
        #expect(abs(quarter[0] - m) <= 1e-9 * m)
        // The count a shard decoder expects is the count downsampling makes, partial last interval included.
        for n in [0, 1, 3, 4, 5, 2400, 2401, 3599] {
            for res in [0.25, 1, 60, 900, 3600] {
                #expect(StudyRunner.downsampledCount(n, res) == StudyRunner.downsample([Double](repeating: 1, count: n), res).count)
            }
        }
    }

    @Test func sameSpecSameBitsAndMetricsAgreeWithTheSeries() throws {
        let a = try SiteFixtures.run(SiteFixtures.spec())
        let b = try SiteFixtures.run(SiteFixtures.spec())
        #expect(a.sites[0].facilityNative == b.sites[0].facilityNative)
        let m = LoadMetrics(powerW: a.sites[0].facilityNative, intervalS: 0.25)
        #expect(m.peakW == a.sites[0].facilityNative.max()!)
        #expect(m.loadFactor > 0 && m.loadFactor <= 1)
    }

    @Test func aRegionSumsItsSitesAndDiversityIsAtLeastOne() throws {
        let sites = SiteFixtures.site(name: "east", tz: "America/New_York") + "\n"
            + SiteFixtures.site(name: "west", tz: "America/Los_Angeles", rate: 2)
        let r = try SiteFixtures.run(SiteFixtures.spec(duration: "20m", sites: sites))
        #expect(r.sites.count == 2)
        let region = r.regionFacility[0].watts
        let e = r.sites[0].facility[0].watts
        let w = r.sites[1].facility[0].watts
        for k in 0..<region.count { #expect(abs(region[k] - (e[k] + w[k])) <= 1e-9 * region[k]) }
        let df = LoadMetrics.diversityFactor(memberPeaksW: [e.max()!, w.max()!], aggregatePeakW: region.max()!)
        #expect(df >= 1)
    }

    @Test func outputsAreWrittenWithUnitsAndUTCStarts() throws {
        let r = try SiteFixtures.run(SiteFixtures.spec())
        let dir = try OutputDirectory(path: TestPaths.temporaryDirectory() + "/site")
        try StudyOutputs.write(r, to: dir)
        try dir.commit()
        let files = try FileManager.default.contentsOfDirectory(atPath: dir.path).sorted()
        for f in ["metrics.json", "site-a-15min.csv", "site-a-1s.csv", "rows-a-1min.csv", "racks-a-15min.csv", "utility-15min-a.csv", "utility-8760-a.csv"] {
            #expect(files.contains(f), "\(f) written")
        }
        let head = try String(contentsOfFile: dir.path + "/site-a-1s.csv", encoding: .utf8).split(separator: "\n").prefix(2)
        #expect(head.first == "interval_start_utc,gpu_kw,it_kw,facility_kw")
        #expect(head.last!.hasPrefix("2024-05-16T00:00:00.000Z,"))
    }
}

@Suite struct ShardingTests {
    /// Each shard computed from independently recomputed traffic (as a separate worker would), merged in any
    /// arrival order, gives the single-process result bit for bit.
    @Test(arguments: ["uniform", "round-robin", "join-shortest-queue"])
    func servingTrafficABlockOfServersAtATimeChangesNothing(routing: String) throws {
        // The site's stream is regenerated and routed once per block of servers; the block size is a memory
        // budget, never a result.
        let text = SiteFixtures.spec(duration: "10m", sites: SiteFixtures.site(name: "a").replacingOccurrences(of: "routing: uniform", with: "routing: \(routing)"))
        let spec = try StudySpec.parse(text, file: "spec.yaml")
        let runner = StudyRunner(spec: spec, catalog: SiteFixtures.catalog)
        let whole = try runner.siteTraffic(0)
        #expect(whole.blockServers == whole.servers)
        var small = runner
        small.blockRequestBudget = 400
        let blocks = try small.siteTraffic(0)
        #expect(blocks.blockServers < blocks.servers && blocks.blockServers >= 1)
        var total = 0
        for i in 0..<whole.servers {
            let a = whole.requests(forServer: i)
            #expect(a == blocks.requests(forServer: i), "server \(i)")
            total += a.count
        }
        #expect(total == whole.totals().requests && whole.totals() == blocks.totals())
        #expect(blocks.passes > 1)
        let a = try small.run()
        let b = try runner.run()
        #expect(a.sites[0].itNative == b.sites[0].itNative)
        #expect(a.sites[0].racks1s == b.sites[0].racks1s)
    }

    @Test func theStreamedScheduleIsTheScheduleOneRequestAtATime() throws {
        let profile = try WorkloadProfile.load(path: SiteFixtures.catalog.root + "/workloads/azure-conv-2023.json")
        let rates = try RateProfile(intervalS: 60, ratesPerS: [1, 3, 0.5, 2, 4]).scaled(toMean: 2)
        for burstiness in [1.0, 0.5] {
            let all = try TimeVaryingArrivals.schedule(profile: rates, durationS: 300, burstiness: burstiness, tokens: profile.tokens, seed: 9)
            var stream = try TimeVaryingArrivals.Stream(profile: rates, durationS: 300, burstiness: burstiness, tokens: profile.tokens, seed: 9)
            var streamed: [Request] = []
            while let r = stream.next() { streamed.append(r) }
            #expect(all.count > 100)
            #expect(all == streamed)
            // Skipping some requests' tokens (a block pass) leaves every other request exactly as drawn.
            var skipping = try TimeVaryingArrivals.Stream(profile: rates, durationS: 300, burstiness: burstiness, tokens: profile.tokens, seed: 9)
            var kept = 0
            while let a = skipping.nextArrival() {
                let r = all[a.index]
                #expect(a.arrivalS == r.arrivalS)
                if a.index % 3 == 1 {
                    let (input, output) = skipping.drawTokens()
                    #expect(input == r.inputTokens && output == r.outputTokens, "request \(a.index)")
                    kept += 1
                } else {
                    skipping.skipTokens()
                }
            }
            #expect(kept == all.indices.filter { $0 % 3 == 1 }.count)
        }
    }

    @Test func aSiteWithManyRacksKeepsAnEvenlySpacedPoolOfRackTracesAndEveryRacksPeak() throws {
        var site = SiteFixtures.site(name: "big")
        site.replaceSubrange(site.range(of: "count: 2\n")!, with: "count: 40\n")  // 40 rows of 2 racks
        let spec = try StudySpec.parse(SiteFixtures.spec(duration: "2m", sites: site), file: "spec.yaml")
        let racks = spec.sites[0].rows.reduce(0) { $0 + $1.racks.count }
        #expect(racks > StudyRunner.StudyMerger.rackPoolSize)
        let r = try StudyRunner(spec: spec, catalog: SiteFixtures.catalog).run()
        #expect(r.sites[0].racks1s.count == StudyRunner.StudyMerger.rackPoolSize)
        #expect(r.sites[0].rackPeaks1sW.count == racks)
        #expect(r.sites[0].it1sFromRacks.count == 120)
    }

    @Test func shardsMergedInAnyOrderEqualTheSingleProcessRun() throws {
        let sites = SiteFixtures.site(name: "east", tz: "America/New_York") + "\n"
            + SiteFixtures.site(name: "west", tz: "America/Los_Angeles", rate: 2)
        let text = SiteFixtures.spec(duration: "10m", sites: sites)
        let spec = try StudySpec.parse(text, file: "spec.yaml")
        let runner = StudyRunner(spec: spec, catalog: SiteFixtures.catalog)
        let whole = try runner.run()
        var partials: [StudyRunner.RowPartial] = []
        var totals: [(requests: Int, inputTokens: Int, outputTokens: Int)] = []
        for si in spec.sites.indices {
            totals.append(try runner.siteTraffic(si).totals())
        }
        for shard in runner.shards.reversed() {
            let fresh = try runner.siteTraffic(shard.site)
            partials.append(try runner.runRow(site: shard.site, row: shard.row, traffic: fresh))
        }
        let merged = runner.merge(partials, traffic: totals)
        for (a, b) in zip(whole.sites, merged.sites) {
            #expect(a.facilityNative == b.facilityNative)
            #expect(a.itNative == b.itNative)
            #expect(a.racks.map { $0.map(\.watts) } == b.racks.map { $0.map(\.watts) })
            #expect(a.requests == b.requests && a.servedRequests == b.servedRequests)
        }
        #expect(whole.regionFacility.map(\.watts) == merged.regionFacility.map(\.watts))
    }
}

@Suite struct SiteAnalysisTests {
    @Test func capsClipAndBaselinesUseTheSameServingModel() throws {
        let text = SiteFixtures.spec().replacingOccurrences(
            of: "seed: 7", with: "seed: 7\nanalyses:\n  power_caps_w_per_gpu: [200, 5000]")
        let r = try SiteFixtures.run(text)
        let s = r.sites[0]
        #expect(s.cappedITNative.count == 2)
        // A cap above any GPU's power changes nothing; a low cap clips and delays tokens.
        #expect(s.cappedITNative[1] == s.itNative)
        #expect(s.capClippedEnergyWh[1] == 0)
        #expect(s.capClippedEnergyWh[0] > 0)
        #expect(s.capTokensDelayed[0] > 0)
        #expect(zip(s.cappedITNative[0], s.itNative).allSatisfy { $0 <= $1 + 1e-9 })
        // Flat per-state IT is bounded by the SplitwiseSim watts plus non-GPU power.
        #expect(s.flatStateITNative.allSatisfy { $0 > 0 && $0 <= s.nameplateITW + 1e-9 })
        let dir = try OutputDirectory(path: TestPaths.temporaryDirectory() + "/a")
        let doc = try StudyOutputs.write(r, to: dir)
        let site = (doc["sites"] as! [[String: Any]])[0]
        let methods = Set((site["baselines"] as! [[String: Any]]).map { $0["method"] as! String })
        #expect(methods == ["loadshape", "nameplate", "mean", "flat-state"])
        #expect((site["power_capping"] as! [[String: Any]]).count == 2)
    }

    @Test func aRateSeriesFromAFileDrivesArrivals() throws {
        let dir = TestPaths.temporaryDirectory()
        // Two 5-minute intervals: 1 req/s, then 4 req/s.
        try "rate_per_s\n1\n4\n".write(toFile: dir + "/rates.csv", atomically: true, encoding: .utf8)
        let text = SiteFixtures.spec().replacingOccurrences(
            of: "profile: azure-conv-2023\n      mean_rate_per_s: 3",
            with: "rate_series: \(dir)/rates.csv\n      rate_interval_s: 300")
        let r = try SiteFixtures.run(text)
        let n = r.sites[0].requests
        #expect(abs(Double(n) - 1500) < 5 * 1500.0.squareRoot(), "\(n) requests for 300 + 1200 expected")
        try "rate_per_s\n1\nlots\n".write(toFile: dir + "/bad.csv", atomically: true, encoding: .utf8)
        let bad = text.replacingOccurrences(of: "rates.csv", with: "bad.csv")
        #expect { _ = try SiteFixtures.run(bad) } throws: { e in "\(e)".contains("bad.csv:3") }
    }

    @Test func aTraceIsReplayedRateScaledAndLoopedOverTheStudy() throws {
        let dir = TestPaths.temporaryDirectory()
        // 60 requests over 59 s (1 req/s), as Mooncake JSONL.
        let lines = (0..<60).map { "{\"timestamp\": \($0 * 1000), \"input_length\": 200, \"output_length\": 50}" }
        try lines.joined(separator: "\n").write(toFile: dir + "/t.jsonl", atomically: true, encoding: .utf8)
        let text = SiteFixtures.spec().replacingOccurrences(
            of: "profile: azure-conv-2023\n      mean_rate_per_s: 3",
            with: "trace: \(dir)/t.jsonl\n      format: mooncake\n      mean_rate_per_s: 2")
        let r = try SiteFixtures.run(text)
        // 10 minutes at 2 req/s: the trace looped ~10 times at twice its rate.
        // Exactly the asked rate: 1,200 requests (the loop period is the span plus one mean gap).
        #expect(r.sites[0].requests == 1200, "\(r.sites[0].requests) requests")
        #expect(r.sites[0].inputTokens == 200 * r.sites[0].requests)
        #expect(r.inputs.contains { $0["role"] == "trace" })
    }

    @Test(arguments: ["uniform", "round-robin", "join-shortest-queue"])
    func everyRoutingConservesRequests(routing: String) throws {
        let text = SiteFixtures.spec().replacingOccurrences(of: "routing: uniform", with: "routing: \(routing)")
        let spec = try StudySpec.parse(text, file: "spec.yaml")
        var runner = StudyRunner(spec: spec, catalog: SiteFixtures.catalog)
        runner.progress = nil
        let r = try runner.run()
        #expect(r.sites[0].requests > 1000)
        #expect(r.sites[0].servedRequests <= r.sites[0].requests)
        #expect(r.sites[0].servedRequests > r.sites[0].requests * 9 / 10)
    }

    @Test func aSmallSiteMatchesItsGoldenOutput() throws {
        let r = try SiteFixtures.run(SiteFixtures.spec(outputs: "outputs: {site: [1min]}"))
        let dir = try OutputDirectory(path: TestPaths.temporaryDirectory() + "/g")
        try StudyOutputs.write(r, to: dir)
        try dir.commit()
        let got = try String(contentsOfFile: dir.path + "/site-a-1min.csv", encoding: .utf8)
        let golden = TestPaths.packageRoot + "/Tests/LoadshapeSiteTests/Golden/site-a-1min.csv"
        if ProcessInfo.processInfo.environment["RECORD_GOLDEN"] == "1" {
            try got.write(toFile: golden, atomically: true, encoding: .utf8)
        }
        #expect(got == (try String(contentsOfFile: golden, encoding: .utf8)), "re-record with RECORD_GOLDEN=1 if intended")
    }
}

@Suite struct OversubscriptionTests {
    @Test func flatRacksFitExactlyAndNameplateIsTheFloor() {
        // Ten identical flat racks of 10 kW: any n racks peak at 10n kW.
        let racks = [[Double]](repeating: [Double](repeating: 10_000, count: 60), count: 10)
        let o = Oversubscription.analyse(rackTraces1s: racks, rackNameplateW: 25_000, limitW: 95_000, seed: 1, maxRacks: 20)
        #expect(o.racksAdmitted == 9)
        #expect(o.racksByNameplate == 3)
        #expect(o.curve.count == 20)
    }

    @Test func diversityLetsMoreRacksFitThanTheirPeaksSuggest() {
        // Racks that peak at different times: each peaks at 20 kW for one second, else 5 kW.
        let racks = (0..<20).map { i in (0..<40).map { $0 == i ? 20_000.0 : 5_000 } }
        let o = Oversubscription.analyse(rackTraces1s: racks, rackNameplateW: 20_000, limitW: 100_000, seed: 3, maxRacks: 20)
        #expect(o.racksAdmitted >= 16)
        #expect(o.racksByNameplate == 5)
    }
}

@Suite struct SiteSpecErrorTests {
    @Test(arguments: [
        ("schema: loadshape-study-v2\nname: x\nstart: 2024-01-01T00:00:00Z\nduration: 1h\nsites: []", "schema"),
        (SiteFixtures.spec().replacingOccurrences(of: "tp: 1", with: "tp: zero"), "tp"),
        (SiteFixtures.spec().replacingOccurrences(of: "servers: 2", with: "servers: 2\n            colour: red"), "colour"),
        (SiteFixtures.spec().replacingOccurrences(of: "timezone: UTC", with: "timezone: Mars/Olympus"), "timezone"),
        (SiteFixtures.spec().replacingOccurrences(of: "pue: 1.3", with: "pue: 0.5"), "pue"),
        (SiteFixtures.spec().replacingOccurrences(of: "routing: uniform", with: "routing: psychic"), "routing"),
        (SiteFixtures.spec().replacingOccurrences(of: "duration: 10m", with: "duration: forever"), "duration"),
    ])
    func malformedSpecsNameTheLineAndKey(text: String, key: String) {
        #expect {
            _ = try StudySpec.parse(text, file: "spec.yaml")
        } throws: { e in
            let m = (e as? IOError)?.message ?? ""
            return m.hasPrefix("spec.yaml:") && m.contains(key)
        }
    }

    @Test func unknownModelsAndProfilesAreNamed() throws {
        let bad = SiteFixtures.spec().replacingOccurrences(of: "model: llama-3-8b", with: "model: llama-9")
        #expect { _ = try SiteFixtures.run(bad) } throws: { e in "\(e)".contains("spec.yaml:") && "\(e)".contains("llama-9") }
        let noProfile = SiteFixtures.spec().replacingOccurrences(of: "azure-conv-2023", with: "no-such-profile")
        #expect { _ = try SiteFixtures.run(noProfile) } throws: { e in "\(e)".contains("no-such-profile") }
    }

    @Test func theShippedSpecsLoad() throws {
        for f in ["paper-site.yaml", "region-example.yaml"] {
            let s = try StudySpec.load(path: TestPaths.configs + "/sites/" + f)
            #expect(!s.sites.isEmpty)
        }
        let paper = try StudySpec.load(path: TestPaths.configs + "/sites/paper-site.yaml")
        #expect(paper.sites[0].rows.count == 10)
        #expect(paper.sites[0].rows.allSatisfy { $0.racks.count == 6 && $0.racks.allSatisfy { $0.servers == 4 } })
    }
}
