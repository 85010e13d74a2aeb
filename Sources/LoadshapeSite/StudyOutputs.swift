import Foundation
import LoadshapeCore
import LoadshapeIO

/// Writes a study's per-level CSVs, utility exports and metrics.
public enum StudyOutputs {
    public static func label(_ r: Double) -> String {
        switch r {
        case 0.25: return "250ms"
        case 1: return "1s"
        case 60: return "1min"
        case 300: return "5min"
        case 900: return "15min"
        case 3600: return "1h"
        default: return r < 60 ? "\(Int(r))s" : "\(Int(r / 60))min"
        }
    }

    static func kw(_ w: Double) -> String { "\((w / 1000 * 1e6).rounded() / 1e6)" }

    static func writeWide(_ path: String, start: Int64, resolution: Double, names: [String], columns: [[Double]])
        throws(IOError)
    {
        let w = try TextFileWriter(path: path)
        w.write("interval_start_utc," + names.map { "\($0)_kw" }.joined(separator: ",") + "\n")
        let n = columns.map(\.count).min() ?? 0
        let stepMs = Int64((resolution * 1000).rounded())
        for k in 0..<n {
            var line = UTCTimestamp.format(epochMillis: start + Int64(k) * stepMs)
            for c in columns { line += "," + kw(c[k]) }
            w.write(line + "\n")
        }
        w.close()
    }

    static func metrics(_ s: Series) -> [String: Any] {
        let m = LoadMetrics(powerW: s.watts, intervalS: s.resolutionS)
        let diffs = zip(s.watts.dropFirst(), s.watts).map { $0 - $1 }
        let ups = diffs.filter { $0 > 0 }
        let downs = diffs.filter { $0 < 0 }.map { -$0 }
        var ldc: [String: Double] = [:]
        for (f, v) in zip(m.exceedanceFractions, m.loadDurationW) { ldc[String(f)] = v / 1000 }
        return [
            "resolution": label(s.resolutionS), "energy_kwh": m.energyKWh, "mean_kw": m.meanW / 1000,
            "peak_kw": m.peakW / 1000, "p95_kw": m.p95W / 1000, "p99_kw": m.p99W / 1000,
            "peak_to_average": m.peakToAverage, "load_factor": m.loadFactor,
            "coefficient_of_variation": m.coefficientOfVariation, "ramp_max_up_kw": m.maxUpW / 1000,
            "ramp_max_down_kw": m.maxDownW / 1000, "ramp_p95_abs_kw": m.p95AbsRampW / 1000,
            "ramp_p95_up_kw": ups.isEmpty ? 0 : Descriptive.percentile(ups, 95) / 1000,
            "ramp_p95_down_kw": downs.isEmpty ? 0 : Descriptive.percentile(downs, 95) / 1000,
            "load_duration_kw_at_exceedance": ldc,
        ]
    }

    /// Writes every output file into `dir` (a staging folder) and returns the metrics document.
    @discardableResult
    public static func write(_ r: StudyResult, to dir: OutputDirectory) throws(IOError) -> [String: Any] {
        let start = r.spec.startEpochMillis
        var sitesDoc: [[String: Any]] = []
        for s in r.sites {
            for (j, res) in r.spec.siteResolutions.enumerated() {
                try writeWide(
                    dir.file("site-\(s.name)-\(label(res)).csv"), start: start, resolution: res,
                    names: ["gpu", "it", "facility"], columns: [s.gpu[j].watts, s.it[j].watts, s.facility[j].watts])
            }
            for (j, res) in r.spec.rowResolutions.enumerated() {
                try writeWide(
                    dir.file("rows-\(s.name)-\(label(res)).csv"), start: start, resolution: res,
                    names: s.rowNames.map { "\($0)_it" }, columns: s.rows[j].map(\.watts))
            }
            for (j, res) in r.spec.rackResolutions.enumerated() {
                try writeWide(
                    dir.file("racks-\(s.name)-\(label(res)).csv"), start: start, resolution: res,
                    names: s.rackNames.map { "\($0.replacingOccurrences(of: "/", with: ":"))_it" },
                    columns: s.racks[j].map(\.watts))
            }
            try utility(s.facilityNative, name: s.name, start: start, sph: r.spec.utilityStepsPerHour, dir: dir)
            // Metrics per level and resolution.
            var levels: [String: Any] = [:]
            levels["gpu"] = s.gpu.map(metrics)
            levels["it"] = s.it.map(metrics)
            levels["facility"] = s.facility.map(metrics)
            levels["rows"] = s.rows.map { perRes in zip(s.rowNames, perRes).map { ["row": $0] .merging(metrics($1)) { a, _ in a } } }
            levels["racks"] = s.racks.map { perRes in zip(s.rackNames, perRes).map { ["rack": $0] .merging(metrics($1)) { a, _ in a } } }
            var diversity: [[String: Any]] = []
            for (j, res) in r.spec.rowResolutions.enumerated() {
                let peaks = s.rows[j].map { $0.watts.max() ?? 0 }
                let itAtRes = s.rows[j].reduce(into: [Double](repeating: 0, count: s.rows[j].first?.watts.count ?? 0)) { acc, row in
                    for k in 0..<acc.count { acc[k] += row.watts[k] }
                }
                diversity.append([
                    "resolution": label(res), "level": "rows",
                    "sum_of_row_peaks_kw": peaks.reduce(0, +) / 1000, "site_it_peak_kw": (itAtRes.max() ?? 0) / 1000,
                    "diversity_factor": LoadMetrics.diversityFactor(memberPeaksW: peaks, aggregatePeakW: itAtRes.max() ?? 0),
                ])
            }
            let rackPeaks1s = s.rackPeaks1sW
            let siteIt1s = s.it1sFromRacks
            diversity.append([
                "resolution": "1s", "level": "racks", "sum_of_rack_peaks_kw": rackPeaks1s.reduce(0, +) / 1000,
                "site_it_peak_kw": (siteIt1s.max() ?? 0) / 1000,
                "diversity_factor": LoadMetrics.diversityFactor(memberPeaksW: rackPeaks1s, aggregatePeakW: siteIt1s.max() ?? 0),
            ])
            let itPeak = s.it.first.map { $0.watts.max() ?? 0 } ?? 0
            // Baselines on the same site and traffic, as facility power.
            let pue = zip(s.facilityNative, s.itNative).map { $1 > 0 ? $0 / $1 : 1 }
            let meanFacility = s.facilityNative.reduce(0, +) / Double(max(s.facilityNative.count, 1))
            let candidates: [(String, [Double])] = [
                ("loadshape", s.facilityNative),
                ("nameplate", pue.map { $0 * s.nameplateITW }),
                ("mean", [Double](repeating: meanFacility, count: s.facilityNative.count)),
                ("flat-state", zip(s.flatStateITNative, pue).map { $0 * $1 }),
            ]
            var baselines: [[String: Any]] = []
            for (method, series) in candidates {
                for res in [1.0, 900] {
                    let m = LoadMetrics(powerW: StudyRunner.downsample(series, res), intervalS: res)
                    baselines.append([
                        "method": method, "resolution": label(res), "peak_kw": m.peakW / 1000, "mean_kw": m.meanW / 1000,
                        "energy_kwh": m.energyKWh, "load_factor": m.loadFactor, "ramp_max_up_kw": m.maxUpW / 1000,
                        "p95_kw": m.p95W / 1000,
                    ])
                }
            }
            var capping: [[String: Any]] = []
            let tokens = Double(s.inputTokens + s.outputTokens)
            for (c, cap) in r.spec.powerCapsW.enumerated() {
                let capped = s.cappedITNative[c]
                capping.append([
                    "cap_w_per_gpu": cap, "it_peak_kw_uncapped": (s.itNative.max() ?? 0) / 1000,
                    "it_peak_kw_capped": (capped.max() ?? 0) / 1000,
                    "it_peak_15min_kw_uncapped": (StudyRunner.downsample(s.itNative, 900).max() ?? 0) / 1000,
                    "it_peak_15min_kw_capped": (StudyRunner.downsample(capped, 900).max() ?? 0) / 1000,
                    "energy_clipped_kwh": s.capClippedEnergyWh[c] / 1000,
                    "tokens_delayed": s.capTokensDelayed[c],
                    "tokens_delayed_fraction": tokens > 0 ? s.capTokensDelayed[c] / tokens : 0,
                ])
            }
            sitesDoc.append([
                "site": s.name, "servers": s.servers, "racks": s.rackNames.count, "rows": s.rowNames.count,
                "requests": s.requests, "requests_completed_in_study": s.servedRequests,
                "input_tokens": s.inputTokens, "output_tokens": s.outputTokens,
                "nameplate_it_kw": s.nameplateITW / 1000,
                "demand_factor_it": LoadMetrics.demandFactor(peakW: itPeak, nameplateW: s.nameplateITW),
                "levels": levels, "diversity": diversity, "support_violations": s.supportViolations,
                "baselines": baselines, "power_capping": capping,
            ])
        }
        var doc: [String: Any] = ["study": r.spec.name, "sites": sitesDoc]
        if r.sites.count > 1 {
            for (j, res) in r.spec.siteResolutions.enumerated() {
                try writeWide(
                    dir.file("region-\(label(res)).csv"), start: start, resolution: res,
                    names: r.sites.map { "\($0.name)_facility" } + ["region_facility"],
                    columns: r.sites.map { $0.facility[j].watts } + [r.regionFacility[j].watts])
            }
            var native = [Double](repeating: 0, count: r.sites[0].facilityNative.count)
            for s in r.sites { for k in 0..<native.count { native[k] += s.facilityNative[k] } }
            try utility(native, name: "region", start: start, sph: r.spec.utilityStepsPerHour, dir: dir)
            var coincident: [[String: Any]] = []
            for (j, res) in r.spec.siteResolutions.enumerated() {
                let sitePeaks = r.sites.map { $0.facility[j].watts.max() ?? 0 }
                let peak = r.regionFacility[j].watts.max() ?? 0
                coincident.append([
                    "resolution": label(res), "coincident_peak_kw": peak / 1000,
                    "sum_of_site_peaks_kw": sitePeaks.reduce(0, +) / 1000,
                    "diversity_factor": LoadMetrics.diversityFactor(memberPeaksW: sitePeaks, aggregatePeakW: peak),
                ])
            }
            doc["region"] = ["facility": r.regionFacility.map(metrics), "coincident_peak": coincident]
        }
        try writeJSON(doc, to: dir.file("metrics.json"))
        return doc
    }

    /// The utility exports: 15-minute kW, and a single-column kW series at `sph` steps per hour (8760 × sph rows
    /// for a year-long study).
    static func utility(_ facilityNative: [Double], name: String, start: Int64, sph: Int, dir: OutputDirectory)
        throws(IOError)
    {
        let q = StudyRunner.downsample(facilityNative, 900)
        try writeWide(dir.file("utility-15min-\(name).csv"), start: start, resolution: 900, names: ["facility"], columns: [q])
        let h = StudyRunner.downsample(facilityNative, 3600 / Double(sph))
        let w = try TextFileWriter(path: dir.file("utility-8760-\(name).csv"))
        w.write("kw\n")
        for v in h { w.write(kw(v) + "\n") }
        w.close()
    }
}
