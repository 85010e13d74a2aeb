import ArgumentParser
import Foundation
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
            Build with -c release for meaningful numbers:
              swift run -c release loadshape bench
            """
    )

    @OptionGroup var config: ConfigOptions
    @Flag(help: "Only the one-hour case.") var quick = false
    @Flag(help: "Also the default site-day (240 servers; about a minute).") var site = false

    func run() throws {
        let root = try ConfigLocator.locate(explicit: config.configs)
        let catalog = try Catalog.load(root: root)
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
