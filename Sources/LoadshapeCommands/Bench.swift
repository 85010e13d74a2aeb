import ArgumentParser
import Foundation
import LoadshapeCluster
import LoadshapeCore
import LoadshapeIO
import LoadshapeSite
import LoadshapeWorkload

/// `loadshape bench`: engine speed and memory, as figures (not assertions).
struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Measure the serving + power engine: simulated server-seconds per wall-second and peak memory.",
        discussion: """
            Runs llama-3-70b on A100 at TP8 through the serving model, ledger and
            power surface, streaming bins into a summing sink (no files), and prints
            wall time, simulated seconds per wall second, microseconds per engine
            iteration and the process's peak resident memory.

            Examples:
              loadshape bench            2 req/s for 1 h, then 1 req/s for 1 day
              loadshape bench --quick    the hour only
              loadshape bench --site     also the default 240-server site-day
              loadshape bench --cluster  the default site-day and a 2,400-server site-day on 1, 2 and 4
                                         local workers: wall time, scale-out, coordinator CPU, bytes per shard
            Build with -c release for meaningful numbers:
              swift run -c release loadshape bench
            """
    )

    @OptionGroup var config: ConfigOptions
    @Flag(help: "Only the one-hour case.") var quick = false
    @Flag(help: "Also the default site-day (240 servers; about a minute).") var site = false
    @Flag(help: "Cluster runs instead: each --cluster-specs spec on each --workers count of local worker processes.")
    var cluster = false
    @Option(help: "Specs for --cluster (comma-separated; default: the paper site and the 2,400-server site).")
    var clusterSpecs: String?
    @Option(help: "Worker counts for --cluster (comma-separated).") var workers = "1,2,4"

    func run() throws {
        let root = try ConfigLocator.locate(explicit: config.configs)
        let catalog = try Catalog.load(root: root)
        if cluster { return try runCluster(root: root, catalog: catalog) }
        let resolved = try catalog.resolve(model: "llama-3-70b", gpu: "A100", tp: 8, allowUnsupported: false)
        let pm = resolved.powerModel.record
        let server = try ServerModel(
            architecture: resolved.model.record, hardware: resolved.hardware.record, tp: 8, gpusPerNode: 8,
            timing: pm.timing, engine: .vllmDefault, surface: pm.surface, noise: pm.noise)
        var cases: [(String, Double, Double)] = [("llama-3-70b A100 TP8, 2 req/s, 1 h", 2, 3600)]
        if !quick { cases.append(("llama-3-70b A100 TP8, 1 req/s, 24 h", 1, 86400)) }
        print("case | requests | iterations | wall s | simulated s / wall s | µs / iteration | peak RSS MB")
        for (name, rate, dur) in cases {
            let schedule = try ScheduleGenerator(ratePerS: rate, durationS: dur, seed: 7).generate()
            let t0 = Date()
            let r = try server.run(schedule, noiseSeed: 1, horizonBins: Int(dur / 0.25), sink: MeanSink())
            let wall = Date().timeIntervalSince(t0)
            let it = r.result.statistics.iterations
            print(
                "\(name) | \(schedule.count) | \(it) | \(Report.fmt(wall, 3)) | \(Report.fmt(dur / wall, 0)) | "
                    + "\(Report.fmt(wall / Double(it) * 1e6, 2)) | \(Report.fmt(peakRSSMegabytes(), 1))")
        }
        if site {
            let spec = try StudySpec.load(path: root + "/sites/paper-site.yaml")
            let t0 = Date()
            let r = try StudyRunner(spec: spec, catalog: catalog).run()
            let wall = Date().timeIntervalSince(t0)
            let servers = r.sites.reduce(0) { $0 + $1.servers }
            print(
                "default site-day: \(servers) servers, \(r.sites[0].requests) requests | wall \(Report.fmt(wall, 1)) s | "
                    + "\(Report.fmt(Double(servers) * spec.durationS / wall, 0)) simulated server-s / wall s | peak RSS \(Report.fmt(peakRSSMegabytes(), 1)) MB")
        }
    }
}

extension Bench {
    /// Runs each spec on 1, 2, 4 … local workers through the real coordinator and worker processes.
    func runCluster(root: String, catalog: Catalog) throws {
        let specs = clusterSpecs.map { $0.split(separator: ",").map(String.init) }
            ?? [root + "/sites/paper-site.yaml", root + "/sites/bench-2400.yaml"]
        let counts = workers.split(separator: ",").compactMap { Int($0.trimmingCharacters(in: .whitespaces)) }
        guard !counts.isEmpty, counts.allSatisfy({ $0 >= 1 }) else { throw CLIError("--workers: comma-separated counts ≥ 1, e.g. 1,2,4") }
        let exe = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().path
        print("spec | servers | shards | workers | wall s | speed-up | efficiency | coordinator CPU s | coordinator share of CPU | kB per shard | peak worker RSS MB")
        for path in specs {
            let study = try StudySpec.load(path: path)
            let text = try String(contentsOfFile: path, encoding: .utf8)
            let servers = study.sites.reduce(0) { $0 + $1.rows.reduce(0) { $0 + $1.racks.reduce(0) { $0 + $1.servers } } }
            var first: Double?
            for n in counts {
                let journal = NSTemporaryDirectory() + "loadshape-bench-\(getpid())-\(n)"
                defer { try? FileManager.default.removeItem(atPath: journal) }
                var c = Coordinator.Configuration(spec: study, specText: text, specPath: path, catalog: catalog, journal: journal)
                c.spawnWorkers = n
                c.executable = exe
                c.quietWorkers = true
                c.version = Loadshape.version
                let (_, r) = try Coordinator(c).run { _ in }
                if first == nil { first = r.wallS }
                let speedup = first! / r.wallS
                let efficiency = speedup / (Double(n) / Double(counts[0]))
                let total = r.coordinatorCPUS + r.workerCPUS
                let name = URL(fileURLWithPath: path).lastPathComponent
                let share = 100 * r.coordinatorCPUS / Swift.max(total, 1e-9)
                let cells: [String] = [
                    name, "\(servers)", "\(r.shards)", "\(n)", Report.fmt(r.wallS, 1), Report.fmt(speedup, 2) + "×",
                    Report.fmt(100 * efficiency, 0) + "%", Report.fmt(r.coordinatorCPUS, 2), Report.fmt(share, 2) + "%",
                    "\(r.bytesPerShard / 1000)", Report.fmt(childPeakRSSMegabytes(), 0),
                ]
                print(cells.joined(separator: " | "))
            }
        }
        print("(speed-up is against the first worker count; efficiency = speed-up / (workers / first count). Peak worker RSS is the largest of any worker so far.)")
    }
}

/// The largest peak resident set of any child process waited for, MB.
func childPeakRSSMegabytes() -> Double {
    var u = rusage()
    getrusage(RUSAGE_CHILDREN.rawValue, &u)
    return Double(u.ru_maxrss) / 1024
}

/// Peak resident set size of this process, MB (Linux `ru_maxrss` is in KiB).
func peakRSSMegabytes() -> Double {
    var u = rusage()
    #if os(Linux)
    getrusage(RUSAGE_SELF.rawValue, &u)
    #else
    getrusage(RUSAGE_SELF, &u)
    #endif
    return Double(u.ru_maxrss) / 1024
}
