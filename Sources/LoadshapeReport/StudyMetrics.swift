import Foundation
import LoadshapeIO

/// What a site or cluster run's `metrics.json` holds, as far as the report draws it. Every field read is checked
/// (file and field path named in errors); fields the report does not use are ignored.
public struct StudyMetrics: Sendable {
    /// One level's metrics at one resolution.
    public struct Level: Sendable {
        public var name: String?
        public var resolution: String
        public var energyKWh: Double
        public var meanKW: Double
        public var peakKW: Double
        public var p95KW: Double
        public var p99KW: Double
        public var loadFactor: Double
        public var coefficientOfVariation: Double
        public var rampMaxUpKW: Double
        public var rampMaxDownKW: Double
    }

    public struct Diversity: Sendable {
        public var level: String
        public var resolution: String
        public var sumOfMemberPeaksKW: Double
        public var sitePeakKW: Double
        public var factor: Double
    }

    public struct Baseline: Sendable {
        public var method: String
        public var resolution: String
        public var peakKW: Double
        public var meanKW: Double
        public var p95KW: Double
        public var energyKWh: Double
        public var loadFactor: Double
        public var rampMaxUpKW: Double
    }

    public struct Cap: Sendable {
        public var capWPerGPU: Double
        public var itPeakKW: Double
        public var itPeakCappedKW: Double
        public var itPeak15minKW: Double
        public var itPeak15minCappedKW: Double
        public var clippedKWh: Double
        public var tokensDelayedFraction: Double
    }

    public struct Site: Sendable {
        public var name: String
        public var servers: Int
        public var racks: Int
        public var rows: Int
        public var requests: Int
        public var inputTokens: Int
        public var outputTokens: Int
        public var nameplateITKW: Double
        public var demandFactorIT: Double
        public var gpu: [Level]
        public var it: [Level]
        public var facility: [Level]
        /// Per row resolution, one entry per row.
        public var rowLevels: [[Level]]
        /// Per rack resolution, one entry per rack.
        public var rackLevels: [[Level]]
        public var diversity: [Diversity]
        public var baselines: [Baseline]
        public var capping: [Cap]
    }

    public struct Oversubscription: Sendable {
        public var site: String
        public var row: String
        public var limitKW: Double
        public var rackNameplateKW: Double
        public var racksAdmitted: Int
        public var racksByNameplate: Int
        /// (racks, P95 of the coincident peak of random rack subsets, kW).
        public var curve: [(racks: Int, p95PeakKW: Double)]
    }

    public struct Coincidence: Sendable {
        public var resolution: String
        public var coincidentPeakKW: Double
        public var sumOfSitePeaksKW: Double
        public var factor: Double
    }

    public var study: String
    public var sites: [Site]
    public var oversubscription: [Oversubscription]
    public var regionFacility: [Level]
    public var coincidence: [Coincidence]

    public static func load(_ path: String) throws(IOError) -> StudyMetrics {
        var f = try JSONFields.load(path)
        let study = try f.string("study")
        var sites: [Site] = []
        for var s in try f.objects("sites") { sites.append(try site(&s)) }
        var over: [Oversubscription] = []
        if f.has("analyses") {
            for var a in try f.objects("analyses") {
                guard try a.string("analysis") == "oversubscription" else { continue }
                var curve: [(Int, Double)] = []
                for var c in try a.objects("curve") { curve.append((try c.int("racks", min: 1), try c.double("p95_subset_peak_kw"))) }
                over.append(
                    Oversubscription(
                        site: try a.string("site"), row: try a.string("row"), limitKW: try a.double("limit_kw", above: 0),
                        rackNameplateKW: try a.double("rack_nameplate_kw", min: 0), racksAdmitted: try a.int("racks_admitted", min: 0),
                        racksByNameplate: try a.int("racks_by_nameplate", min: 0), curve: curve))
            }
        }
        var region: [Level] = []
        var coincidence: [Coincidence] = []
        if var r = try f.optionalObject("region") {
            for var l in try r.objects("facility") { region.append(try level(&l)) }
            for var c in try r.objects("coincident_peak") {
                coincidence.append(
                    Coincidence(
                        resolution: try c.string("resolution"), coincidentPeakKW: try c.double("coincident_peak_kw"),
                        sumOfSitePeaksKW: try c.double("sum_of_site_peaks_kw"), factor: try c.double("diversity_factor")))
            }
        }
        return StudyMetrics(study: study, sites: sites, oversubscription: over, regionFacility: region, coincidence: coincidence)
    }

    static func level(_ l: inout JSONFields, name: String? = nil) throws(IOError) -> Level {
        Level(
            name: name == nil ? nil : try l.string(name ?? ""), resolution: try l.string("resolution"),
            energyKWh: try l.double("energy_kwh"), meanKW: try l.double("mean_kw"), peakKW: try l.double("peak_kw"),
            p95KW: try l.double("p95_kw"), p99KW: try l.double("p99_kw"), loadFactor: try number(&l, "load_factor"),
            coefficientOfVariation: try number(&l, "coefficient_of_variation"),
            rampMaxUpKW: try number(&l, "ramp_max_up_kw"), rampMaxDownKW: try number(&l, "ramp_max_down_kw"))
    }

    /// A number that may be null (NaN when a series is constant or too short).
    static func number(_ l: inout JSONFields, _ key: String) throws(IOError) -> Double {
        try l.optionalDouble(key) ?? .nan
    }

    static func site(_ s: inout JSONFields) throws(IOError) -> Site {
        var levels = try s.object("levels")
        func list(_ key: String) throws(IOError) -> [Level] {
            var out: [Level] = []
            for var l in try levels.objects(key) { out.append(try level(&l)) }
            return out
        }
        func nested(_ key: String, name: String) throws(IOError) -> [[Level]] {
            guard let outer = levels.raw(key) as? [Any] else { throw levels.fail(key, "expected a list (one per resolution)") }
            var out: [[Level]] = []
            for (i, inner) in outer.enumerated() {
                guard let members = inner as? [Any] else { throw levels.fail("\(key)[\(i)]", "expected a list (one per \(name))") }
                var res: [Level] = []
                for (j, m) in members.enumerated() {
                    guard let o = m as? [String: Any] else { throw levels.fail("\(key)[\(i)][\(j)]", "expected an object") }
                    var f = JSONFields(file: levels.file, path: "\(levels.path).\(key)[\(i)][\(j)]", object: o)
                    res.append(try level(&f, name: name))
                }
                out.append(res)
            }
            return out
        }
        let gpu = try list("gpu")
        let it = try list("it")
        let facility = try list("facility")
        let rowLevels = try nested("rows", name: "row")
        let rackLevels = try nested("racks", name: "rack")
        var diversity: [Diversity] = []
        for var d in try s.objects("diversity") {
            let level = try d.string("level")
            diversity.append(
                Diversity(
                    level: level, resolution: try d.string("resolution"),
                    sumOfMemberPeaksKW: try d.double(level == "racks" ? "sum_of_rack_peaks_kw" : "sum_of_row_peaks_kw"),
                    sitePeakKW: try d.double("site_it_peak_kw"), factor: try number(&d, "diversity_factor")))
        }
        var baselines: [Baseline] = []
        for var b in try s.objects("baselines") {
            baselines.append(
                Baseline(
                    method: try b.string("method"), resolution: try b.string("resolution"), peakKW: try b.double("peak_kw"),
                    meanKW: try b.double("mean_kw"), p95KW: try b.double("p95_kw"), energyKWh: try b.double("energy_kwh"),
                    loadFactor: try number(&b, "load_factor"), rampMaxUpKW: try number(&b, "ramp_max_up_kw")))
        }
        var caps: [Cap] = []
        for var c in try s.objects("power_capping") {
            caps.append(
                Cap(
                    capWPerGPU: try c.double("cap_w_per_gpu"), itPeakKW: try c.double("it_peak_kw_uncapped"),
                    itPeakCappedKW: try c.double("it_peak_kw_capped"), itPeak15minKW: try c.double("it_peak_15min_kw_uncapped"),
                    itPeak15minCappedKW: try c.double("it_peak_15min_kw_capped"), clippedKWh: try c.double("energy_clipped_kwh"),
                    tokensDelayedFraction: try c.double("tokens_delayed_fraction")))
        }
        return Site(
            name: try s.string("site"), servers: try s.int("servers", min: 0), racks: try s.int("racks", min: 0),
            rows: try s.int("rows", min: 0), requests: try s.int("requests", min: 0), inputTokens: try s.int("input_tokens", min: 0),
            outputTokens: try s.int("output_tokens", min: 0), nameplateITKW: try s.double("nameplate_it_kw"),
            demandFactorIT: try number(&s, "demand_factor_it"), gpu: gpu, it: it, facility: facility, rowLevels: rowLevels,
            rackLevels: rackLevels, diversity: diversity, baselines: baselines, capping: caps)
    }
}
