import ArgumentParser
import Foundation
import LoadshapeCluster
import LoadshapeCore
import LoadshapeIO
import LoadshapeSite
import LoadshapeWorkload

/// `loadshape bench`: the benchmark suite — speed and peak memory as printed figures, never assertions.
struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Benchmark the engine, site runs and cluster runs: wall time, throughput and peak memory.",
        discussion: """
            Each case runs in its own child process (so each peak resident memory is its own) and prints one
            table row. The default is the engine suite: one server through the serving model, ledger and power
            surface, streaming bins into a summing sink (no files) — llama-3-70b on A100 at TP8 and llama-3-8b on
            H100 at TP1, each at 0.5, 2 and 8 req/s for an hour, and a 70B server-day at 1 req/s.

            Examples:
              loadshape bench                 the engine suite
              loadshape bench --quick         one engine case
              loadshape bench --site          + the default 240-server site-day, one process
              loadshape bench --large         + the 10,000-server site-day at 1 s output, one process
              loadshape bench --traffic       + one pass over the 10,000-server site's request stream
              loadshape bench --cluster       the default site-day and the 2,400-server site-day on 1, 2 and 4
                                              local workers: wall time, scale-out, coordinator CPU, bytes per shard
              loadshape bench --cluster --cluster-specs Configs/sites/bench-10k.yaml --workers 1,2,4
            Build with -c release for meaningful numbers:
              swift build -c release && .build/release/loadshape bench --site
            docs/performance.md records the figures and the machine.
            """
    )

    @OptionGroup var config: ConfigOptions
    @Flag(help: "Only one engine case (llama-3-70b A100 TP8 at 2 req/s for 1 h).") var quick = false
    @Flag(help: "Also the default site-day (240 servers, one process).") var site = false
    @Flag(help: "Also the 10,000-server site-day at 1 s output (Configs/sites/bench-10k.yaml, one process; tens of minutes).")
    var large = false
    @Flag(help: "Also the cost of one pass over a site's request stream (Configs/sites/bench-10k.yaml): the first pass, which draws every request and counts the totals, and a later block pass, which draws tokens only for its own block.")
    var traffic = false
    @Flag(help: "Cluster runs instead: each --cluster-specs spec on each --workers count of local worker processes.")
    var cluster = false
    @Option(help: "Specs for --cluster (comma-separated; default: the paper site and Configs/sites/bench-2400.yaml).")
    var clusterSpecs: String?
    @Option(help: "Worker counts for --cluster (comma-separated).") var workers = "1,2,4"
    @Option(help: .hidden) var runCase: String?

    func run() throws {
        let root = try ConfigLocator.locate(explicit: config.configs)
        if let c = runCase { return try runOne(c, root: root) }
        var cases: [String] = []
        if cluster {
            let specs = clusterSpecs.map { $0.split(separator: ",").map(String.init) }
                ?? [root + "/sites/paper-site.yaml", root + "/sites/bench-2400.yaml"]
            let counts = workers.split(separator: ",").compactMap { Int($0.trimmingCharacters(in: .whitespaces)) }
            guard !counts.isEmpty, counts.allSatisfy({ $0 >= 1 }) else { throw CLIError("--workers: comma-separated counts ≥ 1, e.g. 1,2,4") }
            for s in specs { for n in counts { cases.append("cluster|\(s)|\(n)") } }
        } else {
            let engines = quick ? ["engine|llama-3-70b|A100|8|2|3600"]
                : ["llama-3-70b|A100|8", "llama-3-8b|H100|1"].flatMap { m in ["0.5", "2", "8"].map { "engine|\(m)|\($0)|3600" } }
                    + ["engine|llama-3-70b|A100|8|1|86400"]
            cases += engines
            if site { cases.append("site|\(root)/sites/paper-site.yaml") }
            if large { cases.append("site|\(root)/sites/bench-10k.yaml") }
            if traffic { cases.append("traffic|\(root)/sites/bench-10k.yaml") }
        }
        let exe = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().path
        var header = ""
        var firstWall: [String: (Double, Double)] = [:]
        let tty = isatty(STDERR_FILENO) != 0
        for (i, c) in cases.enumerated() {
            // Progress: which case is running, on a terminal (each case prints its row when it finishes).
            if tty { FileHandle.standardError.write(Data("\rbench: case \(i + 1)/\(cases.count): \(c.replacingOccurrences(of: "|", with: " "))\u{1B}[K".utf8)) }
            defer { if tty { FileHandle.standardError.write(Data("\r\u{1B}[K".utf8)) } }
            let p = Process()
            p.executableURL = URL(fileURLWithPath: exe)
            p.arguments = ["bench", "--run-case", c, "--configs", root]
            let pipe = Pipe()
            p.standardOutput = pipe
            try p.run()
            let out = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            p.waitUntilExit()
            guard p.terminationStatus == 0 else { throw CLIError("bench case \(c) failed (status \(p.terminationStatus))") }
            var lines = out.split(separator: "\n").map(String.init)
            if c.hasPrefix("cluster|"), lines.count == 2 {
                // Scale-out against the spec's first worker count.
                let cells = lines[1].components(separatedBy: " | ")
                if let wall = Double(cells[4]), let n = Double(cells[3]) {
                    if firstWall[cells[0]] == nil { firstWall[cells[0]] = (wall, n) }
                    let (w0, n0) = firstWall[cells[0]]!
                    let speedup = w0 / wall
                    lines[0] += " | speed-up | efficiency"
                    lines[1] += " | \(Report.fmt(speedup, 2))× | \(Report.fmt(100 * speedup * n0 / n, 0))%"
                }
            }
            if let h = lines.first, h != header {
                print(h)
                header = h
            }
            for l in lines.dropFirst() { print(l) }
        }
        if cluster {
            print("(speed-up = wall time with the spec's first worker count / this one; efficiency = speed-up × first count / workers;")
            print(" coordinator share = its CPU / (its CPU + the workers'); peak RSS: coordinator, and the largest worker)")
        }
    }

    /// One case, in this (child) process: prints a header line and a row.
    func runOne(_ c: String, root: String) throws {
        let f = c.split(separator: "|").map(String.init)
        let catalog = try Catalog.load(root: root)
        switch f.first {
        case "engine" where f.count == 6:
            guard let tp = Int(f[3]), let rate = Double(f[4]), let dur = Double(f[5]) else { throw CLIError("bad case \(c)") }
            let resolved = try catalog.resolve(model: f[1], gpu: f[2], tp: tp, allowUnsupported: true)
            let pm = resolved.powerModel.record
            let server = try ServerModel(
                architecture: resolved.model.record, hardware: resolved.hardware.record, tp: tp, gpusPerNode: tp,
                timing: pm.timing, engine: .vllmDefault, surface: pm.surface, noise: pm.noise)
            let schedule = try ScheduleGenerator(ratePerS: rate, durationS: dur, seed: 7).generate()
            let t0 = Date()
            let r = try server.run(schedule, noiseSeed: 1, horizonBins: Int(dur / 0.25), sink: MeanSink())
            let wall = Date().timeIntervalSince(t0)
            let it = r.result.statistics.iterations
            print("case | requests | iterations | wall s | simulated s / wall s | µs / iteration | peak RSS MB")
            print(
                "\(f[1]) \(f[2]) TP\(tp), \(f[4]) req/s, \(Report.fmt(dur / 3600, 0)) h | \(schedule.count) | \(it) | \(Report.fmt(wall, 3)) | "
                    + "\(Report.fmt(dur / wall, 0)) | \(Report.fmt(wall / Double(max(it, 1)) * 1e6, 2)) | \(Report.fmt(peakRSSMegabytes(), 1))")
        case "site" where f.count == 2:
            let spec = try StudySpec.load(path: f[1])
            let t0 = Date()
            let r = try StudyRunner(spec: spec, catalog: catalog).run()
            let wall = Date().timeIntervalSince(t0)
            let servers = r.sites.reduce(0) { $0 + $1.servers }
            let requests = r.sites.reduce(0) { $0 + $1.requests }
            print("site run (one process) | servers | requests | wall s | simulated server-s / wall s | peak RSS MB")
            print(
                "\(URL(fileURLWithPath: f[1]).lastPathComponent) | \(servers) | \(requests) | \(Report.fmt(wall, 1)) | "
                    + "\(Report.fmt(Double(servers) * spec.durationS / wall, 0)) | \(Report.fmt(peakRSSMegabytes(), 1))")
        case "traffic" where f.count == 2:
            let spec = try StudySpec.load(path: f[1])
            let runner = StudyRunner(spec: spec, catalog: catalog)
            print("traffic passes | servers | requests | block servers | blocks | first pass s | block pass s | peak RSS MB")
            for (i, site) in spec.sites.enumerated() {
                let t = try runner.siteTraffic(i)
                var t0 = Date()
                _ = t.requests(forServer: 0)  // the first pass: every request drawn, the totals counted
                let first = Date().timeIntervalSince(t0)
                var later = Double.nan
                if t.servers > t.blockServers {
                    t0 = Date()
                    _ = t.requests(forServer: t.blockServers)  // a later block: tokens drawn for its own requests only
                    later = Date().timeIntervalSince(t0)
                }
                let blocks = (t.servers + t.blockServers - 1) / t.blockServers
                print(
                    "\(site.name) | \(t.servers) | \(t.totals().requests) | \(t.blockServers) | \(blocks) | \(Report.fmt(first, 1)) | "
                        + "\(later.isNaN ? "— (one block)" : Report.fmt(later, 1)) | \(Report.fmt(peakRSSMegabytes(), 0))")
            }
        case "cluster" where f.count == 3:
            guard let n = Int(f[2]) else { throw CLIError("bad case \(c)") }
            let study = try StudySpec.load(path: f[1])
            let text = try String(contentsOfFile: f[1], encoding: .utf8)
            let servers = study.sites.reduce(0) { $0 + $1.rows.reduce(0) { $0 + $1.racks.reduce(0) { $0 + $1.servers } } }
            let journal = NSTemporaryDirectory() + "loadshape-bench-\(getpid())"
            defer { try? FileManager.default.removeItem(atPath: journal) }
            var cfg = Coordinator.Configuration(spec: study, specText: text, specPath: f[1], catalog: catalog, journal: journal)
            cfg.spawnWorkers = n
            cfg.executable = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().path
            cfg.quietWorkers = true
            cfg.version = Loadshape.version
            let (_, r) = try Coordinator(cfg).run { _ in }
            let total = r.coordinatorCPUS + r.workerCPUS
            let cells: [String] = [
                URL(fileURLWithPath: f[1]).lastPathComponent, "\(servers)", "\(r.shards)", "\(n)", Report.fmt(r.wallS, 1),
                Report.fmt(r.coordinatorCPUS, 2), Report.fmt(100 * r.coordinatorCPUS / Swift.max(total, 1e-9), 2) + "%",
                Report.fmt(total, 1), "\(r.bytesPerShard / 1000)", Report.fmt(peakRSSMegabytes(), 0),
                Report.fmt(childPeakRSSMegabytes(), 0),
            ]
            print("cluster run | servers | shards | workers | wall s | coordinator CPU s | coordinator share | total CPU s | kB per shard | coordinator RSS MB | worker RSS MB")
            print(cells.joined(separator: " | "))
        default:
            throw CLIError("unknown bench case '\(c)'")
        }
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
