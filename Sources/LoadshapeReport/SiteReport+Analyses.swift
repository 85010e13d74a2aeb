import Foundation
import LoadshapeCore
import LoadshapeIO

extension SiteReport {
    /// Coefficient of variation against the number of servers aggregated — one server, each rack, each row, the
    /// site — one line per output resolution (a level appears at the resolutions it is written at).
    static func smoothing(_ page: inout ReportPage, metrics: StudyMetrics, details: StudyDetails) throws(IOError) {
        page.section("Smoothing across levels")
        page.paragraph(
            "The coefficient of variation (population σ / mean) of IT power falls as servers are aggregated, because servers do not peak together. At coarse resolutions the swings of the site's shared traffic (diurnal and minute-scale rate changes) dominate and every level converges; at fine resolutions the smoothing shows.")
        for s in metrics.sites {
            let resolutions = Set(s.it.map(\.resolution) + s.rowLevels.compactMap { $0.first?.resolution } + s.rackLevels.compactMap { $0.first?.resolution })
                .sorted { (Ticks.seconds(ofResolution: $0) ?? 0) < (Ticks.seconds(ofResolution: $1) ?? 0) }
            var c = Chart(title: "\(s.name): coefficient of variation of IT power vs servers aggregated", xLabel: "servers aggregated (log scale)",
                          yLabel: "coefficient of variation (σ / mean)", xAxis: .log)
            c.yAxis = .log
            let perRack = details.rackServers[s.name] ?? []
            let perRow = details.rowServers[s.name] ?? []
            let avgRack = Double(s.servers) / Double(max(s.racks, 1))
            let avgRow = Double(s.servers) / Double(max(s.rows, 1))
            var table: [[String]] = []
            var first: (x: Double, y: Double)?
            for (k, res) in resolutions.enumerated() {
                guard let seconds = Ticks.seconds(ofResolution: res) else { continue }
                let color = Palette.color(k)
                var xs: [Double] = []
                var ys: [Double] = []
                if let w = details.serverITW[s.name], !w.isEmpty {
                    let cov = LoadMetrics(powerW: SeriesMath.blockMeans(w, factor: max(Int((seconds / 0.25).rounded()), 1)), intervalS: seconds)
                        .coefficientOfVariation
                    xs.append(1)
                    ys.append(cov)
                    table.append([res, "one server (re-simulated)", "1", "1", Markup.number(cov, 4)])
                }
                for (what, levels, per, avg) in [
                    ("rack", s.rackLevels.first { $0.first?.resolution == res } ?? [], perRack, avgRack),
                    ("row", s.rowLevels.first { $0.first?.resolution == res } ?? [], perRow, avgRow),
                ] where !levels.isEmpty {
                    let x = levels.indices.map { $0 < per.count ? Double(per[$0]) : avg }
                    let y = levels.map(\.coefficientOfVariation)
                    c.add(.init("\(res): each \(what)", x: x, y: y, color: color, style: .points))
                    let mx = Descriptive.median(x)
                    let my = Descriptive.median(y.filter(\.isFinite))
                    xs.append(mx)
                    ys.append(my)
                    table.append([res, "\(what) (median of \(levels.count))", Markup.number(mx, 1), "\(levels.count)", Markup.number(my, 4)])
                }
                if let site = s.it.first(where: { $0.resolution == res }) {
                    xs.append(Double(s.servers))
                    ys.append(site.coefficientOfVariation)
                    table.append([res, "site", "\(s.servers)", "1", Markup.number(site.coefficientOfVariation, 4)])
                }
                guard xs.count > 1 else { continue }
                c.add(.init("\(res): levels (medians)", x: xs, y: ys, color: color, style: .linePoints))
                if first == nil, xs[0] == 1, ys[0].isFinite, ys[0] > 0 { first = (1, ys[0]) }
            }
            if let (x0, y0) = first, s.servers > 1 {
                let xs = (0...40).map { x0 * pow(Double(s.servers) / x0, Double($0) / 40) }
                c.add(.init("independent servers (server CoV / √N, finest resolution)", x: xs, y: xs.map { y0 * (x0 / $0).squareRoot() }, color: "#777777", dashed: true))
            }
            page.chart(c, caption: "\(s.name): each point is one rack or row; lines join one server, the median rack, the median row and the site at each resolution the outputs hold. The dashed line is what independent servers would give.")
            page.table(["resolution", "level", "servers", "members", "CoV of IT power"], table, numeric: [2, 3, 4])
        }
        var div: [[String]] = []
        for s in metrics.sites {
            for d in s.diversity {
                div.append([s.name, d.level, d.resolution, Markup.number(d.sumOfMemberPeaksKW), Markup.number(d.sitePeakKW), Markup.number(d.factor, 3)])
            }
        }
        if !div.isEmpty {
            page.paragraph("Diversity factor = the sum of the members' own peaks / the peak of their sum (≥ 1): how much sizing each row or rack for its own peak over-provisions the site.")
            page.table(["site", "members", "resolution", "Σ member peaks kW", "site IT peak kW", "diversity factor"], div, numeric: [3, 4, 5])
        }
    }

    /// Racks admitted under a row limit by the P95 rule against nameplate sizing.
    static func oversubscription(_ page: inout ReportPage, _ analyses: [StudyMetrics.Oversubscription]) {
        guard !analyses.isEmpty else { return }
        page.section("Oversubscription")
        page.paragraph(
            "For a row power limit, racks are drawn at random (200 draws) and their 1 s IT traces summed; n racks are admitted while the P95 of the draws' coincident peaks stays within the limit. Nameplate sizing admits ⌊limit / rack nameplate⌋.")
        for a in analyses {
            let steps = SeriesMath.admittedByLimit(curve: a.curve)
            let maxLimit = max(steps.limitKW.last ?? a.limitKW, a.limitKW * 1.2)
            var c = Chart(title: "\(a.site): racks admitted vs row limit", xLabel: "row power limit (kW)", yLabel: "racks admitted")
            c.add(.init("Loadshape (P95 of coincident peaks)", x: [0] + steps.limitKW, y: [0] + steps.racks, color: Palette.color(0), style: .step))
            if a.rackNameplateKW > 0 {
                let k = Int((maxLimit / a.rackNameplateKW).rounded(.down))
                let xs = (0...k).map { Double($0) * a.rackNameplateKW } + [maxLimit]
                let ys = (0...k).map(Double.init) + [Double(k)]
                c.add(.init("nameplate sizing (\(Markup.number(a.rackNameplateKW, 1)) kW per rack)", x: xs, y: ys, color: Palette.color(1), style: .step, dashed: true))
            }
            c.markers.append(.init(.vertical, a.limitKW, label: "\(a.row) limit \(Markup.number(a.limitKW, 0)) kW: \(a.racksAdmitted) racks vs \(a.racksByNameplate) by nameplate"))
            c.xRange = 0...maxLimit
            c.yIncludesZero = true
            page.chart(c, caption: "The racks a row limit admits under Loadshape's P95 rule and under nameplate sizing, for every limit up to what \(a.curve.count) racks need (the curve is known up to \(a.curve.count) racks).")

            var d = Chart(title: "\(a.site): coincident peak of n racks", xLabel: "racks", yLabel: "IT power (kW)")
            d.add(.init("P95 of the coincident 1 s peak of n random racks", x: a.curve.map { Double($0.racks) }, y: a.curve.map(\.p95PeakKW), color: Palette.color(0)))
            d.add(.init("n × rack nameplate", x: a.curve.map { Double($0.racks) }, y: a.curve.map { Double($0.racks) * a.rackNameplateKW }, color: Palette.color(1), dashed: true))
            d.markers.append(.init(.horizontal, a.limitKW, label: "limit \(Markup.number(a.limitKW, 0)) kW"))
            d.markers.append(.init(.vertical, Double(a.racksAdmitted), label: "\(a.racksAdmitted) racks (P95 rule)", color: Palette.color(0)))
            d.markers.append(.init(.vertical, Double(a.racksByNameplate), label: "\(a.racksByNameplate) racks (nameplate)", color: Palette.color(1)))
            d.yIncludesZero = true
            page.chart(d, caption: "What the analysis computed: the P95 coincident peak grows more slowly than nameplate because racks do not peak together.")
        }
    }

    /// The same site and traffic under Loadshape's model and the three baselines.
    static func baselines(_ page: inout ReportPage, _ sites: [StudyMetrics.Site]) {
        guard sites.contains(where: { !$0.baselines.isEmpty }) else { return }
        page.section("Baselines")
        page.paragraph(
            "The same site and traffic as facility power under Loadshape's model, nameplate (every server at its GPUs' TDP and maximum non-GPU power, × PUE), a constant at Loadshape's mean (same energy, no shape), and SplitwiseSim's flat per-state watts on the same serving-model bins.")
        for s in sites where !s.baselines.isEmpty {
            let methods = s.baselines.reduce(into: [String]()) { if !$0.contains($1.method) { $0.append($1.method) } }
            var b = BarChart(title: "\(s.name): peaks and mean by method", valueLabel: "facility power (kW)", groups: ["15-min peak", "1 s peak", "mean"])
            for (i, m) in methods.enumerated() {
                func v(_ res: String, _ f: (StudyMetrics.Baseline) -> Double) -> Double {
                    s.baselines.first { $0.method == m && $0.resolution == res }.map(f) ?? .nan
                }
                b.series.append(.init(m, color: Palette.color(i), values: [v("15min", \.peakKW), v("1s", \.peakKW), v("15min", \.meanKW)]))
            }
            page.chart(b, caption: "\(s.name): the peak a utility would plan for, at 15 minutes and 1 s, and the mean, under each method.")
            page.table(
                ["method", "resolution", "peak kW", "P95 kW", "mean kW", "energy MWh", "load factor", "max ramp up kW"],
                s.baselines.map {
                    [$0.method, $0.resolution, Markup.number($0.peakKW), Markup.number($0.p95KW), Markup.number($0.meanKW),
                     Markup.number($0.energyKWh / 1000, 2), Markup.number($0.loadFactor, 3), Markup.number($0.rampMaxUpKW)]
                }, numeric: Set(2...7))
        }
    }

    static func capping(_ page: inout ReportPage, _ sites: [StudyMetrics.Site]) {
        guard sites.contains(where: { !$0.capping.isEmpty }) else { return }
        page.section("Power capping")
        page.table(
            ["site", "cap W/GPU", "IT peak kW (250 ms)", "capped", "IT peak kW (15 min)", "capped", "energy clipped kWh", "tokens delayed"],
            sites.flatMap { s in
                s.capping.map {
                    [s.name, Markup.number($0.capWPerGPU, 0), Markup.number($0.itPeakKW), Markup.number($0.itPeakCappedKW),
                     Markup.number($0.itPeak15minKW), Markup.number($0.itPeak15minCappedKW), Markup.number($0.clippedKWh, 2),
                     Markup.percent($0.tokensDelayedFraction, 2)]
                }
            }, numeric: Set(1...7))
        page.paragraph("Per-GPU power above the cap is clipped in every 250 ms bin; the tokens of a clipped bin are delayed in proportion to the dynamic power removed (a first-order estimate).")
    }
}
