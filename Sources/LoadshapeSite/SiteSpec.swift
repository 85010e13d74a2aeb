import Foundation
import LoadshapeCore
import LoadshapeIO
import LoadshapeWorkload

/// A study: a region of sites, each of rows of racks of servers, with traffic per site (YAML, `docs/site-spec.md`).
public struct StudySpec: Sendable {
    public var name: String
    public var startEpochMillis: Int64
    public var durationS: Double
    public var seed: UInt64
    /// Output resolutions per level, s (0.25 = native).
    public var siteResolutions: [Double]
    public var rowResolutions: [Double]
    public var rackResolutions: [Double]
    public var sites: [SiteSpec]
    public var file: String
    /// Per-GPU power caps to analyse, W.
    public var powerCapsW: [Double] = []
    /// Steps per hour of the single-column utility export (1 → 8760 rows for a year).
    public var utilityStepsPerHour = 1
}

public struct SiteSpec: Sendable {
    public var name: String
    public var timeZone: String
    /// PUE: one value, or 24 hourly values in local time.
    public var pue: [Double]
    public var limitKW: Double?
    public var traffic: TrafficSpec
    public var rows: [RowSpec]
}

public struct TrafficSpec: Sendable {
    public enum Source: Sendable {
        /// A derived workload profile (`Configs/workloads/<name>.json`): rate shape + joint token histogram.
        case profile(String)
        /// Replay a request trace file (Azure CSV, vLLM benchmark JSON, Mooncake JSONL), looped to the study.
        case trace(path: String, format: String)
        /// Arrivals at a rate series from a CSV file (one `rate_per_s` value per interval), token lengths from a
        /// profile's joint histogram.
        case rateSeries(path: String, intervalS: Double, tokens: String)
    }
    public var source: Source
    public var meanRatePerS: Double?
    /// 24 local-hour multipliers (normalised to mean 1), or empty for flat.
    public var diurnal: [Double]
    public var burstiness: Double
    public var routing: String
}

public struct RowSpec: Sendable {
    public var name: String
    public var limitKW: Double?
    public var racks: [RackSpec]
}

public struct RackSpec: Sendable {
    public var name: String
    public var servers: Int
    public var model: String
    public var gpu: String
    public var tp: Int
    public var gpusPerServer: Int
    public var powerModel: String?
    /// Non-GPU server power: idle + per-utilisation × busy fraction, W.
    public var nonGpuIdleW: Double
    public var nonGpuPerUtilW: Double
    public var limitKW: Double?
    /// Where the rack is written (`file:line`), for errors about its records.
    public var location: String = ""
}

extension StudySpec {
    static func resolution(_ text: String, file: String, key: String) throws(IOError) -> Double {
        let t = text.lowercased()
        let map: [String: Double] = ["250ms": 0.25, "1s": 1, "1min": 60, "5min": 300, "15min": 900, "1h": 3600]
        if let v = map[t] { return v }
        guard let d = parseDuration(t), d >= 0.25, (d / 0.25).rounded() == d / 0.25 else {
            throw IOError("\(file): '\(key)': '\(text)' is not a resolution (250ms, 1s, 1min, 15min, 1h, or a multiple of 250 ms)")
        }
        return d
    }

    /// Loads and validates a study spec.
    public static func load(path: String) throws(IOError) -> StudySpec {
        try decode(try YAMLFields.load(path))
    }

    public static func parse(_ text: String, file: String) throws(IOError) -> StudySpec {
        try decode(try YAMLFields.parse(text, file: file))
    }

    static func decode(_ f: YAMLFields) throws(IOError) -> StudySpec {
        var f = f
        let schema = try f.string("schema")
        guard schema == "loadshape-study-v1" else { throw f.fail("schema", "must be loadshape-study-v1") }
        let name = try f.string("name")
        let start = try f.string("start")
        guard let startMs = UTCTimestamp.parse(start) else { throw f.fail("start", "not an ISO-8601 UTC time") }
        let durText = try f.string("duration")
        guard let dur = parseDuration(durText), dur >= 1 else { throw f.fail("duration", "not a duration (e.g. 24h)") }
        let seed = try f.int("seed", default: 42, min: 0)
        var outputs = try f.object("outputs")
        func res(_ key: String, _ d: [String]) throws(IOError) -> [Double] {
            let list = try outputs?.strings(key, default: d) ?? d
            var out: [Double] = []
            for s in list { out.append(try resolution(s, file: f.file, key: "outputs.\(key)")) }
            return out.sorted()
        }
        let siteRes = try res("site", ["1s", "1min", "15min", "1h"])
        let rowRes = try res("rows", ["1min", "15min"])
        let rackRes = try res("racks", ["15min"])
        let sph = try outputs?.int("utility_steps_per_hour", default: 1, min: 1, max: 14_400) ?? 1
        guard 14_400 % sph == 0 else { throw IOError("\(f.file): 'outputs.utility_steps_per_hour' must divide 14400 (1, 2, 4, 12, 60, ...)") }
        try outputs?.finish()
        var sites: [SiteSpec] = []
        for var s in try f.list("sites") {
            sites.append(try decodeSite(&s))
            try s.finish()
        }
        var caps: [Double] = []
        if var a = try f.object("analyses") {
            if a.has("power_caps_w_per_gpu") { caps = try a.doubles("power_caps_w_per_gpu") }
            guard caps.allSatisfy({ $0 > 0 }) else { throw a.fail("power_caps_w_per_gpu", "caps must be > 0 W") }
            try a.finish()
        }
        let names = sites.map(\.name)
        if Set(names).count != names.count { throw f.fail("sites", "site names must be unique") }
        try f.finish()
        return StudySpec(
            name: name, startEpochMillis: startMs, durationS: dur, seed: UInt64(seed), siteResolutions: siteRes,
            rowResolutions: rowRes, rackResolutions: rackRes, sites: sites, file: f.file, powerCapsW: caps,
            utilityStepsPerHour: sph)
    }

    static func decodeSite(_ s: inout YAMLFields) throws(IOError) -> SiteSpec {
        let name = try s.string("name")
        let tz = try s.string("timezone", default: "UTC")
        guard TimeZone(identifier: tz) != nil else { throw s.fail("timezone", "unknown time zone '\(tz)' (use an IANA name like America/Chicago)") }
        var pue: [Double]
        if s.isList("pue") {
            pue = try s.doubles("pue")
            guard pue.count == 24 else { throw s.fail("pue", "an hourly PUE profile needs 24 values, got \(pue.count)") }
        } else {
            pue = [try s.double("pue", default: 1.0)]
        }
        guard pue.allSatisfy({ $0 >= 1 && $0 <= 5 }) else { throw s.fail("pue", "PUE values must be in [1, 5]") }
        let limit = try s.optionalDouble("limit_kw", above: 0)
        guard var t = try s.object("traffic") else { throw s.fail("traffic", "is missing") }
        let traffic = try decodeTraffic(&t)
        try t.finish()
        var rows: [RowSpec] = []
        for var r in try s.list("rows") {
            let count = try r.int("count", default: 1, min: 1, max: 10_000)
            let rowName = try r.string("name", default: "row")
            let rowLimit = try r.optionalDouble("limit_kw", above: 0)
            var racks: [RackSpec] = []
            for var k in try r.list("racks") {
                let location = "\(k.file):\(YAMLFields.line(k.node))"
                let rc = try k.int("count", default: 1, min: 1, max: 10_000)
                let rackName = try k.string("name", default: "rack")
                let servers = try k.int("servers", min: 1, max: 1000)
                let model = try k.string("model")
                let gpu = try k.string("gpu")
                let tp = try k.int("tp", min: 1, max: 64)
                let gps = try k.int("gpus_per_server", default: tp, min: tp, max: 64)
                let pm = k.has("power_model") ? try k.string("power_model") : nil
                var idle = 0.0
                var perUtil = 0.0
                if k.isMapping("non_gpu_w") {
                    var m = try k.object("non_gpu_w")!
                    idle = try m.double("idle_w", min: 0)
                    perUtil = try m.double("per_util_w", default: 0, min: 0)
                    try m.finish()
                } else {
                    idle = try k.double("non_gpu_w", default: 0, min: 0)
                }
                let rackLimit = try k.optionalDouble("limit_kw", above: 0)
                try k.finish()
                for i in 0..<rc {
                    racks.append(
                        RackSpec(
                            name: rc > 1 ? "\(rackName)-\(pad(i + 1))" : rackName, servers: servers, model: model, gpu: gpu,
                            tp: tp, gpusPerServer: gps, powerModel: pm, nonGpuIdleW: idle, nonGpuPerUtilW: perUtil,
                            limitKW: rackLimit, location: location))
                }
            }
            try r.finish()
            for i in 0..<count {
                rows.append(RowSpec(name: count > 1 ? "\(rowName)-\(pad(i + 1))" : rowName, limitKW: rowLimit, racks: racks))
            }
        }
        // Unique rack names within a row, unique row names within the site.
        if Set(rows.map(\.name)).count != rows.count { throw s.fail("rows", "row names must be unique within a site") }
        for r in rows where Set(r.racks.map(\.name)).count != r.racks.count {
            throw s.fail("rows", "rack names must be unique within row '\(r.name)'")
        }
        return SiteSpec(name: name, timeZone: tz, pue: pue, limitKW: limit, traffic: traffic, rows: rows)
    }

    static func decodeTraffic(_ t: inout YAMLFields) throws(IOError) -> TrafficSpec {
        let source: TrafficSpec.Source
        if t.has("profile") {
            source = .profile(try t.string("profile"))
        } else if t.has("rate_series") {
            let path = try t.string("rate_series")
            let interval = try t.double("rate_interval_s", default: 60, above: 0)
            let tokens = try t.string("tokens", default: "azure-conv-2023")
            source = .rateSeries(path: path, intervalS: interval, tokens: tokens)
        } else if t.has("trace") {
            let path = try t.string("trace")
            let format = try t.string("format", default: "azure")
            guard ["azure", "vllm", "mooncake"].contains(format) else {
                throw t.fail("format", "must be azure, vllm or mooncake")
            }
            source = .trace(path: path, format: format)
        } else {
            throw IOError(
                "\(t.file): '\(t.path)': needs 'profile' (a Configs/workloads name), 'rate_series' (a CSV of rates) or 'trace' (a request trace file)")
        }
        let mean = try t.optionalDouble("mean_rate_per_s", above: 0)
        var diurnal: [Double] = []
        if t.has("diurnal") {
            diurnal = try t.doubles("diurnal")
            guard diurnal.count == 24, diurnal.allSatisfy({ $0 >= 0 }), diurnal.contains(where: { $0 > 0 }) else {
                throw t.fail("diurnal", "needs 24 non-negative local-hour multipliers, not all zero")
            }
        }
        let b = try t.double("burstiness", default: 1, above: 0)
        let routing = try t.string("routing", default: "uniform")
        guard ["uniform", "round-robin", "join-shortest-queue"].contains(routing) else {
            throw t.fail("routing", "must be uniform, round-robin or join-shortest-queue")
        }
        return TrafficSpec(source: source, meanRatePerS: mean, diurnal: diurnal, burstiness: b, routing: routing)
    }
}

func pad(_ i: Int) -> String {
    let s = String(i)
    return s.count >= 2 ? s : "0" + s
}
