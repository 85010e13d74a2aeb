import Dispatch
import Foundation
import LoadshapeCore
import LoadshapeIO
import LoadshapeSite
import LoadshapeTransport

/// Seconds on a monotonic clock (for timeouts; never for results).
func monotonicS() -> Double { Double(DispatchTime.now().uptimeNanoseconds) / 1e9 }

/// Computes shards from job messages. It keeps the last site's routed traffic, so consecutive shards of one site
/// route the site's requests once. Used by one compute thread at a time.
final class ShardExecutor: @unchecked Sendable {
    // @unchecked: the worker runs at most one shard at a time and hands the executor from one compute thread to
    // the next only after the previous has finished (it joins through ComputeBox's lock).
    let catalog: Catalog
    private var trafficKey = ""
    private var traffic: StudyRunner.SiteTraffic?

    init(catalog: Catalog) { self.catalog = catalog }

    struct Job: Sendable {
        var jobID: String
        var shard: Int
        var shardName: String
        var plan: String
        var seed: UInt64
        var specPath: String
        var specSHA256: String
        var spec: String
    }

    /// Runs one job's shard, reporting progress (0–1, by servers done) as it goes.
    func run(_ job: Job, progress: @escaping (Double) -> Void) throws -> ShardResult {
        guard Checksum.sha256(Data(job.spec.utf8)) == job.specSHA256 else {
            throw ClusterFailure("job \(job.jobID): the spec's SHA-256 does not match the one sent with it")
        }
        let spec = try StudySpec.parse(job.spec, file: job.specPath)
        guard spec.seed == job.seed else { throw ClusterFailure("job \(job.jobID): seed \(job.seed) is not the spec's seed \(spec.seed)") }
        guard let size = ShardSize(parsing: job.plan) else { throw ClusterFailure("job \(job.jobID): unknown shard plan '\(job.plan)'") }
        let plan = ShardPlan(spec: spec, size: size)
        guard job.shard < plan.shards.count, plan.shards[job.shard].name == job.shardName else {
            throw ClusterFailure("job \(job.jobID): shard \(job.shard) is not '\(job.shardName)' in this spec's \(job.plan) plan")
        }
        let shard = plan.shards[job.shard]
        var runner = StudyRunner(spec: spec, catalog: catalog, allowUnsupported: true)
        let site = spec.sites[shard.site]
        let servers: Int
        switch shard.scope {
        case .site: servers = site.rows.reduce(0) { $0 + $1.racks.reduce(0) { $0 + $1.servers } }
        case .row(_, let r): servers = site.rows[r].racks.reduce(0) { $0 + $1.servers }
        case .racks(_, let r, let range): servers = site.rows[r].racks[range].reduce(0) { $0 + $1.servers }
        }
        let counter = Counter()
        runner.progress = {
            counter.n += 1
            progress(Double(counter.n) / Double(Swift.max(servers, 1)))
        }
        let key = "\(job.jobID)#\(shard.site)"
        if trafficKey != key || traffic == nil {
            traffic = nil
            traffic = try runner.siteTraffic(shard.site)
            trafficKey = key
        }
        let t = traffic!
        var out = ShardResult(rows: [], racks: [], totals: (0, 0, 0))
        switch shard.scope {
        case .site(let s):
            for r in site.rows.indices { out.rows.append(try runner.runRow(site: s, row: r, traffic: t)) }
        case .row(let s, let r):
            out.rows.append(try runner.runRow(site: s, row: r, traffic: t))
        case .racks(let s, let r, let range):
            out.racks = try runner.runRacks(site: s, row: r, racks: range, traffic: t)
        }
        out.totals = t.totals()
        return out
    }

    final class Counter { var n = 0 }
}
