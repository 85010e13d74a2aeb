import Foundation
import LoadshapeCore
import LoadshapeIO

/// The report of a `loadshape validate` output folder: scores, and per run the measured and synthetic traces,
/// their distributions and their autocorrelations.
public enum ValidationReport {
    static let metricColumns: [(key: String, title: String, percent: Bool)] = [
        ("energy_error", "energy err", true), ("acf_r2", "ACF R²", false), ("acf_r2_active", "ACF R² (active)", false),
        ("one_minus_ks", "1 − KS", false), ("nrmse", "NRMSE", false), ("p95_error", "P95 err", true),
        ("p99_error", "P99 err", true), ("ttft_median_error", "TTFT err", true), ("e2e_median_error", "E2E err", true),
    ]

    public static func build(dir: String) throws(IOError) -> ReportPage {
        var f = try JSONFields.load(dir + "/validation.json")
        let manifest = try RunManifest.parse(&f)
        let powerModel = try f.string("power_model")
        var runs: [(id: String, directory: String)] = []
        for var r in try f.objects("runs") { runs.append((try r.string("run"), try r.string("directory"))) }
        var medians = try f.object("medians")
        let methods = ["loadshape", "nameplate", "mean", "flat-state"].filter { medians.has($0) }
        var perRun: [(run: String, method: String, values: [String: Double])] = []
        for var p in try f.objects("per_run") {
            var values: [String: Double] = [:]
            for (k, _, _) in metricColumns { if let v = try p.optionalDouble(k) { values[k] = v } }
            perRun.append((try p.string("run"), try p.string("method"), values))
        }
        var page = ReportPage(
            title: "Loadshape validation report: \(powerModel)",
            subtitle: "\(runs.count) measured run\(runs.count == 1 ? "" : "s") replayed and scored on 1 s means of per-GPU power")

        page.section("Run")
        var facts = manifest.facts(kind: "validation (loadshape validate)")
        facts.insert(("power model", powerModel), at: 0)
        page.facts(facts)
        page.table(["run", "folder"], runs.map { [$0.id, $0.directory] })

        page.section("Scores")
        page.paragraph("Medians over the runs. Errors are relative (lower is better); ACF R² and 1 − KS are 1 at best. Definitions: docs/validation.md.")
        var medianRows: [[String]] = []
        for m in methods {
            var o = try medians.object(m)
            var row = [m]
            for (k, _, pct) in metricColumns { row.append(cell(try o.optionalDouble(k), pct)) }
            medianRows.append(row)
        }
        page.table(["method"] + metricColumns.map(\.title), medianRows, numeric: Set(1...metricColumns.count))
        page.subsection("Per run")
        page.table(
            ["run", "method"] + metricColumns.map(\.title),
            perRun.map { r in [r.run, r.method] + metricColumns.map { cell(r.values[$0.key], $0.percent) } },
            numeric: Set(2...(metricColumns.count + 1)))

        for (id, _) in runs {
            let t = try OutputTable.read(dir + "/trace-\(id).csv", numeric: ["t_start_s", "measured_gpu_w", "loadshape_gpu_w", "flat_state_gpu_w"])
            let x = try t.column("t_start_s")
            let traces = [("measured", try t.column("measured_gpu_w")), ("Loadshape", try t.column("loadshape_gpu_w")), ("flat-state", try t.column("flat_state_gpu_w"))]
            page.section("Run \(id)")
            var o = Chart(title: "Measured vs synthetic per-GPU power", xLabel: "time since the run's first power sample (s)", yLabel: "per-GPU power, 1 s mean (W)")
            for (i, (name, y)) in traces.enumerated() { o.add(.init(name, x: x, y: y, color: Palette.color(i), dashed: i == 2)) }
            page.chart(o, caption: "Run \(id): the measured trace and the replay through the serving model with the power model (Loadshape) and with flat per-state watts, \(Markup.count(t.rows)) s.")
            var c = Chart(title: "Distribution of per-GPU power", xLabel: "per-GPU power, 1 s mean (W)", yLabel: "share of seconds ≤ x")
            for (i, (name, y)) in traces.enumerated() {
                let cdf = SeriesMath.cdf(y)
                c.add(.init(name, x: cdf.x, y: cdf.p, color: Palette.color(i), style: .step, dashed: i == 2))
            }
            c.yRange = 0...1.02
            page.chart(c, caption: "Empirical CDFs; 1 − KS is one minus the largest vertical gap between the measured and the Loadshape curve.")
            let lag = Metrics.defaultACFLag(count: t.rows)
            var a = Chart(title: "Autocorrelation", xLabel: "lag (s)", yLabel: "autocorrelation")
            for (i, (name, y)) in traces.enumerated() {
                let acf = SeriesMath.acf(y, maxLag: lag)
                a.add(.init(name, x: acf.indices.map(Double.init), y: acf, color: Palette.color(i), style: .linePoints, dashed: i == 2))
            }
            page.chart(a, caption: "Autocorrelation of the 1 s series at lags 0–\(lag) s; ACF R² compares the Loadshape curve with the measured one over lags 1–\(lag).")
        }
        return page
    }

    static func cell(_ v: Double?, _ percent: Bool) -> String {
        guard let v, v.isFinite else { return "—" }
        return percent ? Markup.percent(v) : Markup.number(v, 3)
    }
}
