import Foundation
import LoadshapeCluster
import LoadshapeIO
import LoadshapeSite
import LoadshapeTesting
import LoadshapeTransport
import Testing

/// Shard plans, the shard codec and the journal, without processes.
struct ShardTests {
    static func runner() throws -> StudyRunner {
        let spec = try StudySpec.parse(ClusterTests.spec.replacingOccurrences(of: "duration: 5m", with: "duration: 1m"), file: "spec.yaml")
        return StudyRunner(spec: spec, catalog: try Catalog.load(root: TestPaths.configs), allowUnsupported: true)
    }

    @Test func plansNameTheirShardsAndSelectByNameOrPrefix() throws {
        let spec = try Self.runner().spec
        #expect(ShardPlan(spec: spec, size: .site).shards.map(\.name) == ["east", "west"])
        let rows = ShardPlan(spec: spec, size: .row)
        #expect(rows.shards.map(\.name) == ["east/row-01", "east/row-02", "east/row-03", "west/row-01", "west/row-02"])
        let racks = ShardPlan(spec: spec, size: .racks(1))
        #expect(racks.shards.count == 10)
        #expect(racks.shards[1].name == "east/row-01/racks-2-2")
        #expect(ShardPlan(spec: spec, size: .racks(3)).shards.map(\.name).first == "east/row-01/racks-1-2")
        #expect(try rows.select(["west", "east/row-02"]) == [1, 3, 4])
        #expect(try racks.select(["east/row-03"]) == [4, 5])
        #expect(throws: ClusterFailure.self) { try rows.select(["north"]) }
        #expect(ShardSize(parsing: "racks:0") == nil && ShardSize(parsing: "rack") == nil && ShardSize(parsing: "racks:4") == .racks(4))
    }

    @Test(arguments: [ShardSize.site, .row, .racks(1)])
    func aShardsPartialRoundTripsAndEveryDefectIsNamed(size: ShardSize) throws {
        let runner = try Self.runner()
        let plan = ShardPlan(spec: runner.spec, size: size)
        let shard = plan.shards[0]
        let t = try runner.siteTraffic(shard.site)
        var result = ShardResult(rows: [], racks: [], totals: t.totals())
        switch shard.scope {
        case .site(let s): for r in runner.spec.sites[s].rows.indices { result.rows.append(try runner.runRow(site: s, row: r, traffic: t)) }
        case .row(let s, let r): result.rows = [try runner.runRow(site: s, row: r, traffic: t)]
        case .racks(let s, let r, let range): result.racks = try runner.runRacks(site: s, row: r, racks: range, traffic: t)
        }
        let series = ShardCodec.series(result)
        // Through the wire and back, bit for bit.
        let frame = Message.partial(jobID: "j", shard: 0, attempt: 0, series: series).frame().encoded()
        var decoder = FrameDecoder(maxPayload: 1 << 30)
        decoder.append(frame)
        guard case .partial(_, _, _, let back) = try Message.decode(try #require(try decoder.next())) else {
            Issue.record("not a partial")
            return
        }
        let decoded = try ShardCodec.decode(back, shard: shard, runner: runner)
        #expect(ShardCodec.series(decoded) == series)

        func rejects(_ s: [SeriesPayload], _ words: String) {
            do {
                _ = try ShardCodec.decode(s, shard: shard, runner: runner)
                Issue.record("accepted a partial that \(words)")
            } catch {
                #expect("\(error)".contains(words), "\(error)")
            }
        }
        rejects(Array(series.dropFirst()), "is missing")
        rejects(series + [SeriesPayload(name: "bogus", resolutionS: 1, values: [1])], "unexpected series")
        rejects(series + [series[0]], "appears twice")
        var short = series
        short[0].values.removeLast()
        rejects(short, "values, expected")
        var bad = series
        let i = bad.firstIndex { $0.name == "totals" }!
        bad[i].values[0] = 1.5
        rejects(bad, "not counts")
    }

    /// Workers joining one after another split the queue into contiguous ranges and walk them; a worker at the end
    /// of its range splits the longest run left; resumed and re-queued shards are taken like any other.
    @Test func workersWalkContiguousRangesAndSplitTheLongestRunLeft() {
        var queue = Array(0..<125)
        var last: [Int?] = [nil, nil, nil, nil]
        func give(_ w: Int) -> Int {
            let walking = Set(last.indices.filter { $0 != w }.compactMap { last[$0] })
            let s = Coordinator.nextShard(queued: queue, last: last[w], walking: walking)
            queue.removeAll { $0 == s }
            last[w] = s
            return s
        }
        let starts: [Int] = [give(0), give(1), give(2), give(3)]
        #expect(starts == [0, 63, 32, 94])
        let walked: [Int] = [give(0), give(1), give(0)]
        #expect(walked == [1, 64, 2])
        // Worker 2 walks 32…62 and then meets worker 1's range: it splits the longest run left.
        queue = [10, 11, 12, 100, 101, 102, 103, 104, 105]
        last = [9, 99, 62, nil]
        let split: [Int] = [give(2), give(0), give(1), give(2)]
        #expect(split == [103, 10, 100, 104])
        // A re-queued shard behind everyone is taken when nothing follows a worker's last.
        queue = [5]
        last = [124, 63, 104, 94]
        let behind: Int = give(0)
        #expect(behind == 5)
    }

    @Test func theJournalKeepsShardsAcrossRestartsAndRefusesAnotherJob() throws {
        let dir = TestPaths.temporaryDirectory() + "/journal"
        let names = ["a", "b", "c"]
        let j = try Journal(directory: dir, jobID: "job-1", shardNames: names, version: "t", mode: .start)
        let series = [SeriesPayload(name: "x", resolutionS: 1, values: [1, 2, .nan])]
        try j.record(shard: 1, frame: Message.partial(jobID: "job-1", shard: 1, attempt: 0, series: series).frame().encoded())
        try j.record(shard: 2, frame: Message.partial(jobID: "job-2", shard: 2, attempt: 0, series: series).frame().encoded())
        let again = try Journal(directory: dir, jobID: "job-1", shardNames: names, version: "t", mode: .resume)
        var problems: [String] = []
        #expect(again.read(shard: 0) { problems.append($0) } == nil)
        let got = try #require(again.read(shard: 1) { problems.append($0) })
        #expect(got[0].values[0...1] == [1, 2] && got[0].values[2].isNaN)
        #expect(again.read(shard: 2) { problems.append($0) } == nil)
        #expect(problems.count == 1 && problems[0].contains("not this job's partial"))
        // A torn file is a problem, not a crash.
        try Data([0x4C, 0x53, 0x57]).write(to: URL(fileURLWithPath: dir + "/shard-000000.lswp"))
        #expect(again.read(shard: 0) { problems.append($0) } == nil)
        #expect(problems.count == 2 && problems[1].contains("truncated"))
        // Another job's journal is refused; a fresh start clears it.
        // Starting the same job again over finished shards is refused (they would be lost); --fresh discards them.
        #expect(throws: ClusterFailure.self) { try Journal(directory: dir, jobID: "job-1", shardNames: names, version: "t", mode: .start) }
        _ = try Journal(directory: dir, jobID: "job-1", shardNames: names, version: "t", mode: .fresh)
        #expect(!FileManager.default.fileExists(atPath: dir + "/shard-000001.lswp"))
        try j.record(shard: 1, frame: Message.partial(jobID: "job-1", shard: 1, attempt: 0, series: series).frame().encoded())
        // Resuming another job's journal is refused; starting another job there clears it.
        #expect(throws: ClusterFailure.self) { try Journal(directory: dir, jobID: "job-9", shardNames: names, version: "t", mode: .resume) }
        _ = try Journal(directory: dir, jobID: "job-9", shardNames: names, version: "t", mode: .start)
        #expect(!FileManager.default.fileExists(atPath: dir + "/shard-000001.lswp"))
        // Resuming where there is no journal starts the job.
        let none = TestPaths.temporaryDirectory() + "/none"
        _ = try Journal(directory: none, jobID: "x", shardNames: [], version: "t", mode: .resume)
        #expect(FileManager.default.fileExists(atPath: none + "/plan.json"))
    }
}
