import Foundation
import LoadshapeCore
import LoadshapeIO

/// What the study's outputs do not hold but the command that writes the report can add from the spec.
public struct StudyDetails: Sendable {
    /// Per site: one server's IT power (W) at the native 250 ms, for the server level of the smoothing figure.
    public var serverITW: [String: [Double]] = [:]
    /// Per site: the servers in each rack and each row, in output order.
    public var rackServers: [String: [Int]] = [:]
    public var rowServers: [String: [Int]] = [:]
    /// Remarks shown in the report (e.g. why the server level is missing).
    public var notes: [String] = []

    public init() {}
}

/// The report of a `loadshape site` or `loadshape cluster` output folder.
public enum SiteReport {
    public static func build(dir: String, details: StudyDetails = StudyDetails()) throws(IOError) -> ReportPage {
        var mf = try JSONFields.load(dir + "/manifest.json")
        let manifest = try RunManifest.parse(&mf)
        let study = try mf.string("study")
        let metrics = try StudyMetrics.load(dir + "/metrics.json")

        // Per site, the site-level tables at every resolution (finest first).
        var siteTables: [String: [(String, OutputTable)]] = [:]
        for s in metrics.sites {
            var tables: [(String, OutputTable)] = []
            for l in sortedByResolution(s.it) {
                tables.append((l.resolution, try OutputTable.read(dir + "/site-\(s.name)-\(l.resolution).csv")))
            }
            siteTables[s.name] = tables
        }
        let first = metrics.sites.first.flatMap { siteTables[$0.name]?.first?.1 }
        var subtitle = "\(metrics.sites.count) site\(metrics.sites.count == 1 ? "" : "s")"
        // The study's end: the finest site table's intervals (a trailing partial interval of a coarser one ends here).
        var studyEnd: Double?
        if let f = first, let t0 = f.timesMs?.first, let res = metrics.sites.first.flatMap({ sortedByResolution($0.it).first }),
            let step = Ticks.seconds(ofResolution: res.resolution)
        {
            let end = t0 + Double(f.rows) * step * 1000
            studyEnd = end
            subtitle += ", \(UTCTimestamp.format(epochMillis: Int64(t0))) to \(UTCTimestamp.format(epochMillis: Int64(end))) (UTC)"
        }
        var page = ReportPage(title: "Loadshape site report: \(study)", subtitle: subtitle)

        page.section("Run")
        var facts = manifest.facts(kind: "site study (loadshape site or cluster)")
        facts.insert(("study", study), at: 0)
        page.facts(facts)
        page.table(["input", "path", "SHA-256"], manifest.inputRows)
        let changed = manifest.changedOutputs(in: dir)
        if changed.isEmpty {
            page.paragraph("All \(manifest.outputs.count) output files match the SHA-256 the manifest recorded.")
        } else {
            page.note("These outputs differ from what the run recorded: \(changed.joined(separator: ", ")).")
        }
        for n in details.notes { page.note(n) }

        page.section("Summary")
        page.table(
            ["site", "servers", "racks", "rows", "requests", "energy MWh", "mean kW", "peak kW (finest)", "peak kW (15 min)",
             "load factor (15 min)", "nameplate IT kW", "IT demand factor"],
            metrics.sites.map { s in
                let fine = sortedByResolution(s.facility).first
                let q = s.facility.first { $0.resolution == "15min" }
                return [
                    s.name, Markup.count(s.servers), Markup.count(s.racks), Markup.count(s.rows), Markup.count(s.requests),
                    Markup.number((fine?.energyKWh ?? .nan) / 1000, 2), Markup.number(fine?.meanKW ?? .nan),
                    Markup.number(fine?.peakKW ?? .nan) + (fine.map { " (\($0.resolution))" } ?? ""),
                    Markup.number(q?.peakKW ?? .nan), Markup.number(q?.loadFactor ?? .nan, 3),
                    Markup.number(s.nameplateITKW), Markup.number(s.demandFactorIT, 3),
                ]
            }, numeric: Set(1...11))
        page.paragraph(
            "Facility power is IT power (GPUs plus the rest of each server) times the PUE of the local hour. Energy and mean are over the study; load factor = mean / peak; IT demand factor = IT peak / IT nameplate.")

        // The headline: each site's power at its finest resolution and at 15 minutes (what utilities plan on).
        page.section("Site power")
        for s in metrics.sites {
            let tables = siteTables[s.name] ?? []
            let headline = tables.enumerated().filter { $0.offset == 0 || $0.element.0 == "15min" }.map(\.element)
            for (res, t) in headline { page.chart(try sitePower(s.name, res: res, table: t, until: studyEnd), caption: sitePowerCaption(s.name, res: res, table: t)) }
        }

        page.section("Load-duration curve")
        for s in metrics.sites {
            var c = Chart(title: "\(s.name): facility load-duration curve", xLabel: "share of time the power is reached or exceeded (%)", yLabel: "facility power (kW)")
            for (i, (res, t)) in (siteTables[s.name] ?? []).enumerated() {
                let ldc = SeriesMath.loadDuration(try t.column("facility_kw"))
                c.add(.intervals(res, starts: ldc.percent, values: ldc.value, width: ldc.width, color: Palette.color(i)))
            }
            if let plate = s.baselines.first(where: { $0.method == "nameplate" && $0.resolution == "15min" }) {
                c.markers.append(.init(.horizontal, plate.peakKW, label: "nameplate × PUE \(Markup.number(plate.peakKW, 0)) kW", color: "#D55E00"))
            }
            c.xRange = 0...100
            page.chart(c, caption: "Facility power sorted from highest to lowest at each resolution: the coarser the resolution, the lower and flatter the curve. The dashed line is nameplate sizing.")
        }

        baselines(&page, metrics.sites)
        try smoothing(&page, metrics: metrics, details: details)
        oversubscription(&page, metrics.oversubscription)
        capping(&page, metrics.sites)

        page.section("Every level and resolution")
        for s in metrics.sites {
            page.subsection("\(s.name): site")
            let tables = siteTables[s.name] ?? []
            for (i, (res, t)) in tables.enumerated() where i > 0 && res != "15min" {
                page.chart(try sitePower(s.name, res: res, table: t, until: studyEnd), caption: sitePowerCaption(s.name, res: res, table: t))
            }
            page.subsection("\(s.name): rows and racks")
            for levels in s.rowLevels {
                guard let res = levels.first?.resolution else { continue }
                let t = try OutputTable.read(dir + "/rows-\(s.name)-\(res).csv")
                page.chart(try members(t, what: "row", res: res, until: studyEnd, title: "\(s.name): rows (IT) at \(res)"), caption: membersCaption(t, what: "row", res: res))
            }
            for levels in s.rackLevels {
                guard let res = levels.first?.resolution else { continue }
                let t = try OutputTable.read(dir + "/racks-\(s.name)-\(res).csv")
                page.chart(try members(t, what: "rack", res: res, until: studyEnd, title: "\(s.name): racks (IT) at \(res)"), caption: membersCaption(t, what: "rack", res: res))
            }
        }
        if metrics.sites.count > 1 {
            page.subsection("Region")
            for l in sortedByResolution(metrics.regionFacility) {
                let t = try OutputTable.read(dir + "/region-\(l.resolution).csv")
                var c = Chart(title: "Region: facility power at \(l.resolution)", xLabel: "time (UTC), interval start", yLabel: "power (kW)", xAxis: .timeUTC)
                let x = try t.times()
                for (i, n) in t.names.enumerated() {
                    c.add(.intervals(n.replacingOccurrences(of: "_facility_kw", with: ""), starts: x, values: t.values[i], width: width(l.resolution), until: studyEnd, color: Palette.color(i)))
                }
                page.chart(c, caption: "Each site's facility power and the region's (their sum) at \(l.resolution).")
            }
            page.table(
                ["resolution", "coincident peak kW", "sum of site peaks kW", "diversity factor"],
                metrics.coincidence.map { [$0.resolution, Markup.number($0.coincidentPeakKW), Markup.number($0.sumOfSitePeaksKW), Markup.number($0.factor, 3)] },
                numeric: [1, 2, 3])
        }

        page.section("Files")
        page.table(["file", "SHA-256"], manifest.outputs.map { [$0.name, String($0.sha256.prefix(16)) + "…"] })
        return page
    }

    static func sitePower(_ site: String, res: String, table t: OutputTable, until: Double?) throws(IOError) -> Chart {
        var c = Chart(title: "\(site): power at \(res)", xLabel: "time (UTC), interval start", yLabel: "power (kW)", xAxis: .timeUTC)
        let x = try t.times()
        for (i, (name, col)) in [("facility", "facility_kw"), ("IT", "it_kw"), ("GPU", "gpu_kw")].enumerated() {
            c.add(.intervals(name, starts: x, values: try t.column(col), width: width(res), until: until, color: Palette.color(i)))
        }
        return c
    }

    static func sitePowerCaption(_ site: String, res: String, table t: OutputTable) -> String {
        "\(site) at \(res): facility, IT and GPU power, \(Markup.count(t.rows)) intervals (\(t.file.split(separator: "/").last ?? ""))."
    }

    /// An interval's length in ms.
    static func width(_ res: String) -> Double { (Ticks.seconds(ofResolution: res) ?? 1) * 1000 }

    static func sortedByResolution(_ levels: [StudyMetrics.Level]) -> [StudyMetrics.Level] {
        levels.sorted { (Ticks.seconds(ofResolution: $0.resolution) ?? 0) < (Ticks.seconds(ofResolution: $1.resolution) ?? 0) }
    }

    /// Rows or racks: a line each when there are few; otherwise the band from the lowest to the highest member,
    /// the mean member and the member with the highest peak.
    static func members(_ t: OutputTable, what: String, res: String, until: Double?, title: String) throws(IOError) -> Chart {
        let w = width(res)
        var c = Chart(title: title, xLabel: "time (UTC), interval start", yLabel: "IT power (kW)", xAxis: .timeUTC)
        let x = try t.times()
        func label(_ n: String) -> String { String(n.dropLast("_it_kw".count)) }
        if t.names.count <= 8 {
            for (i, n) in t.names.enumerated() { c.add(.intervals(label(n), starts: x, values: t.values[i], width: w, until: until, color: Palette.color(i))) }
            return c
        }
        let m = SeriesMath.acrossMembers(t.values)
        c.add(.intervals("mean of the \(t.names.count) \(what)s", starts: x, values: m.mean, width: w, until: until, color: Palette.color(0),
                         band: .init(lower: m.lower, upper: m.upper, name: "lowest to highest \(what) at each interval")))
        if let top = t.values.indices.max(by: { (t.values[$0].max() ?? 0) < (t.values[$1].max() ?? 0) }) {
            c.add(.intervals("\(what) with the highest peak (\(label(t.names[top])))", starts: x, values: t.values[top], width: w, until: until, color: Palette.color(1)))
        }
        return c
    }

    static func membersCaption(_ t: OutputTable, what: String, res: String) -> String {
        "IT power of each \(what) at \(res) (\(t.names.count) \(what)s, \(Markup.count(t.rows)) intervals, \(t.file.split(separator: "/").last ?? ""))."
    }
}
