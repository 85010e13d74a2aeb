import Foundation
import LoadshapeCore
import LoadshapeIO

/// The report of a `loadshape generate` output folder: one server's power and its requests.
public enum GenerateReport {
    public static func build(dir: String) throws(IOError) -> ReportPage {
        var mf = try JSONFields.load(dir + "/manifest.json")
        let manifest = try RunManifest.parse(&mf)
        var cfg = try mf.object("configuration")
        let model = try cfg.string("model")
        let gpu = try cfg.string("gpu")
        let tp = try cfg.int("tp", min: 1)
        let gpus = try cfg.int("gpus_per_node", min: 1)
        let powerModel = try cfg.string("power_model")
        let method = try cfg.string("power_method")
        var workload = try mf.object("workload")
        let kind = try workload.string("kind")
        let requests = try workload.int("requests", min: 0)

        let power = try OutputTable.read(dir + "/power.csv", numeric: ["t_start_s", "node_gpu_power_w"])
        let reqs = try OutputTable.read(dir + "/requests.csv", numeric: ["arrival_s", "ttft_s", "e2e_s", "queue_s"])
        let t = try power.times()
        let node = try power.column("node_gpu_power_w")
        let start = t.first ?? 0
        let end = start + Double(power.rows) * 250
        var page = ReportPage(
            title: "Loadshape server report: \(model) on \(gpus) × \(gpu) (TP \(tp))",
            subtitle: "\(UTCTimestamp.format(epochMillis: Int64(start))) to \(UTCTimestamp.format(epochMillis: Int64(end))) (UTC), \(Markup.count(requests)) requests")

        page.section("Run")
        var facts = manifest.facts(kind: "one server (loadshape generate)")
        let workloadLine = try workloadText(&workload, kind: kind)
        facts.insert(
            contentsOf: [
                ("model", model), ("GPU", "\(gpus) × \(gpu), TP \(tp)"),
                ("power", method == "surface" ? "power model \(powerModel)" : "\(method) baseline"), ("workload", workloadLine),
            ], at: 0)
        page.facts(facts)
        page.table(["input", "path", "SHA-256"], manifest.inputRows)
        let changed = manifest.changedOutputs(in: dir)
        if !changed.isEmpty { page.note("These outputs differ from what the run recorded: \(changed.joined(separator: ", ")).") }

        let m250 = LoadMetrics(powerW: node, intervalS: 0.25)
        let s1 = SeriesMath.blockMeans(node, factor: 4)
        let m1 = LoadMetrics(powerW: s1, intervalS: 1)
        let s60 = SeriesMath.blockMeans(node, factor: 240)
        let m60 = LoadMetrics(powerW: s60, intervalS: 60)
        page.section("Summary")
        page.table(
            ["resolution", "energy kWh", "mean W", "peak W", "P95 W", "P99 W", "load factor", "CoV"],
            [("250 ms", m250), ("1 s", m1), ("1 min", m60)].map { name, m in
                [name, Markup.number(m.energyKWh, 3), Markup.number(m.meanW), Markup.number(m.peakW), Markup.number(m.p95W),
                 Markup.number(m.p99W), Markup.number(m.loadFactor, 3), Markup.number(m.coefficientOfVariation, 3)]
            }, numeric: Set(1...7))

        page.section("Power")
        var c = Chart(title: "Node GPU power at 250 ms (native)", xLabel: "time (UTC), interval start", yLabel: "node GPU power (W)", xAxis: .timeUTC)
        c.add(.intervals("node GPU power, 250 ms", starts: t, values: node, width: 250, color: Palette.color(0)))
        page.chart(c, caption: "\(gpus == 1 ? "The server's GPU" : "All \(gpus) GPUs of the server"), \(Markup.count(node.count)) bins of 250 ms.")
        var d = Chart(title: "Node GPU power: 1 s and 1 min means", xLabel: "time (UTC), interval start", yLabel: "node GPU power (W)", xAxis: .timeUTC)
        d.add(.intervals("1 s", starts: s1.indices.map { start + Double($0) * 1000 }, values: s1, width: 1000, until: end, color: Palette.color(0)))
        var minute = Chart.Series.intervals("1 min", starts: s60.indices.map { start + Double($0) * 60000 }, values: s60, width: 60000, until: end, color: Palette.color(1))
        minute.lineWidth = 2.8
        d.add(minute)
        page.chart(d, caption: "Means of the native bins over each interval, labelled by interval start.")
        var l = Chart(title: "Load-duration curve", xLabel: "share of time the power is reached or exceeded (%)", yLabel: "node GPU power (W)")
        for (i, (name, series)) in [("250 ms", node), ("1 s", s1), ("1 min", s60)].enumerated() {
            let ldc = SeriesMath.loadDuration(series)
            l.add(.intervals(name, starts: ldc.percent, values: ldc.value, width: ldc.width, color: Palette.color(i)))
        }
        l.xRange = 0...100
        page.chart(l, caption: "Node power sorted from highest to lowest at each resolution.")
        var states = try mf.object("summary")
        var bins = try states.object("state_bins")
        let counts = [("idle", try bins.int("idle", min: 0)), ("decode", try bins.int("decode", min: 0)), ("prefill", try bins.int("prefill", min: 0))]
        let total = Double(max(counts.reduce(0) { $0 + $1.1 }, 1))
        page.table(
            ["operating state", "250 ms bins", "share of time"],
            counts.map { [$0.0, Markup.count($0.1), Markup.percent(Double($0.1) / total)] }, numeric: [1, 2])
        page.paragraph("A bin is prefill when prefill chunks ran in it (with or without decodes), decode when only decodes ran, idle otherwise.")

        page.section("Requests")
        var r = Chart(title: "Latency distributions", xLabel: "seconds (log scale)", yLabel: "share of requests ≤ x", xAxis: .log)
        for (i, (name, col)) in [("time to first token", "ttft_s"), ("end-to-end", "e2e_s"), ("queueing", "queue_s")].enumerated() {
            let cdf = SeriesMath.cdf(try reqs.column(col).filter { $0 > 0 })
            r.add(.init(name, x: cdf.x, y: cdf.p, color: Palette.color(i), style: .step))
        }
        r.yRange = 0...1.02
        page.chart(r, caption: "Empirical CDFs over \(Markup.count(reqs.rows)) requests (queueing: requests that waited).")
        let arrivals = try reqs.column("arrival_s")
        let minutes = Int(((arrivals.max() ?? 0) / 60).rounded(.down)) + 1
        var perMinute = [Double](repeating: 0, count: max(minutes, 1))
        for a in arrivals where a >= 0 { perMinute[min(Int(a / 60), perMinute.count - 1)] += 1 }
        var a = Chart(title: "Arrivals per minute", xLabel: "time (UTC), minute start", yLabel: "requests per minute", xAxis: .timeUTC)
        a.add(.intervals("arrivals", starts: perMinute.indices.map { start + Double($0) * 60000 }, values: perMinute, width: 60000, color: Palette.color(3)))
        a.yIncludesZero = true
        page.chart(a, caption: "Requests arriving in each minute of the schedule.")
        return page
    }

    static func workloadText(_ w: inout JSONFields, kind: String) throws(IOError) -> String {
        if kind == "file" {
            let format = try w.optionalString("format") ?? "schedule"
            return "\(format == "schedule" ? "schedule" : format + " trace") file \(try w.string("path"))"
        }
        let rate = try w.double("rate_per_s")
        let duration = try w.double("duration_s")
        let arrivals = try w.string("arrivals")
        return "generated: \(Markup.number(rate, 2)) req/s for \(Markup.number(duration / 3600, 2)) h, \(arrivals) arrivals; prompts \(try w.string("input_tokens")), outputs \(try w.string("output_tokens"))"
    }
}
