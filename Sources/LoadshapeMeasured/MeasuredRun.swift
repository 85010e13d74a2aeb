import Foundation
import LoadshapeCore
import LoadshapeIO

/// One measured run folder: manifest, the TP group's power, the client's request log, engine counters.
///
/// Files: `manifest.json` (required), `power.csv` (required, nvidia-smi), `requests.json` or else
/// `requests-summary.json` (required), `engine.csv` (optional). Times are Unix epoch s throughout.
///
/// **Origin.** Run-relative times (``powerBins(binS:originEpoch:)``, ``schedule(originEpoch:)``) count from
/// ``originEpochS``, the power trace start: the earliest sample of the TP group's GPUs. Power is what is
/// scored, so its first bin starts exactly there; the request log is placed on the same clock (both are
/// epoch-aligned through the manifest's UTC offset).
public struct MeasuredRun: Sendable {
    public var directory: String
    public var manifest: MeasuredManifest
    /// Power of the TP group's GPUs, in the order of `manifest.server.activeGPUUUIDs`.
    public var power: [GPUPowerSeries]
    /// Other GPUs the nvidia-smi log covered (not part of the run's TP group).
    public var otherGPUs: [GPUPowerSeries]
    public var requests: [MeasuredRequest]
    /// The request log's file name (`requests.json` or `requests-summary.json`).
    public var requestsFile: String
    /// `engine.csv` scrapes, when the run has them.
    public var engine: [EngineSample]?
    /// SHA-256 (hex) of every file read, by file name.
    public var checksums: [String: String]

    public init(
        directory: String, manifest: MeasuredManifest, power: [GPUPowerSeries], otherGPUs: [GPUPowerSeries] = [],
        requests: [MeasuredRequest], requestsFile: String, engine: [EngineSample]? = nil, checksums: [String: String] = [:]
    ) {
        self.directory = directory
        self.manifest = manifest
        self.power = power
        self.otherGPUs = otherGPUs
        self.requests = requests
        self.requestsFile = requestsFile
        self.engine = engine
        self.checksums = checksums
    }

    /// Loads a run folder. Every TP GPU of the manifest must appear in `power.csv` with at least 2 samples.
    public static func load(directory: String) throws(IOError) -> MeasuredRun {
        let fm = FileManager.default
        func path(_ name: String) -> String { (directory as NSString).appendingPathComponent(name) }
        func exists(_ name: String) -> Bool { fm.fileExists(atPath: path(name)) }
        var checksums: [String: String] = [:]

        guard exists("manifest.json") else { throw IOError(
                "\(directory): no manifest.json in the run folder (a measured run is a folder with manifest.json, power.csv from nvidia-smi and requests.json from the vLLM benchmark; see docs/user-guide.md)"
            )
        }
        let manifest = try MeasuredManifest.read(file: path("manifest.json"))
        checksums["manifest.json"] = try Checksum.sha256(file: path("manifest.json"))

        guard exists("power.csv") else { throw IOError("\(directory): no power.csv in the run folder (nvidia-smi --query-gpu=timestamp,index,uuid,power.draw --format=csv -lms 250 writes one)") }
        let trace = try NvidiaSmiReader.read(file: path("power.csv"), localUTCOffsetS: manifest.localUTCOffsetS)
        checksums["power.csv"] = try Checksum.sha256(file: path("power.csv"))
        var group: [GPUPowerSeries] = []
        for uuid in manifest.server.activeGPUUUIDs {
            guard let s = trace.series(uuid: uuid) else {
                throw IOError(
                    "\(path("power.csv")): no rows for GPU \(uuid) of the manifest's server.active_gpu_uuids "
                        + "(found: \(trace.gpus.map(\.uuid).joined(separator: ", ")))")
            }
            guard s.count >= 2 else {
                throw IOError("\(path("power.csv")): GPU \(uuid) has \(s.count) power sample(s); at least 2 are needed")
            }
            group.append(s)
        }
        let others = trace.gpus.filter { !manifest.server.activeGPUUUIDs.contains($0.uuid) }

        let requestsFile: String
        if exists("requests.json") {
            requestsFile = "requests.json"
        } else if exists("requests-summary.json") {
            requestsFile = "requests-summary.json"
        } else {
            throw IOError("\(directory): no requests.json or requests-summary.json in the run folder")
        }
        let requests = try VLLMRequestLogReader.read(file: path(requestsFile))
        checksums[requestsFile] = try Checksum.sha256(file: path(requestsFile))

        var engine: [EngineSample]?
        if exists("engine.csv") {
            engine = try EngineCSVReader.read(file: path("engine.csv"))
            checksums["engine.csv"] = try Checksum.sha256(file: path("engine.csv"))
        }
        return MeasuredRun(
            directory: directory, manifest: manifest, power: group, otherGPUs: others, requests: requests,
            requestsFile: requestsFile, engine: engine, checksums: checksums)
    }

    /// The origin of run-relative times: the first power sample of the TP group (epoch s).
    public var originEpochS: Double { power.compactMap(\.startEpochS).min() ?? .nan }

    /// The last power sample of the TP group (epoch s).
    public var powerEndEpochS: Double { power.compactMap(\.endEpochS).max() ?? .nan }

    /// The earliest request arrival (epoch s); nil without requests.
    public var firstArrivalEpochS: Double? { requests.map(\.arrivalEpochS).min() }

    /// Mean per-GPU power of the TP group in consecutive bins of `binS` seconds from `originEpoch` (default
    /// ``originEpochS``), W.
    ///
    /// Resampled by time, not by row: each GPU's samples are joined linearly (so gaps are interpolated) and
    /// held flat before its first and after its last sample; a bin's value is the time average of that
    /// curve over the bin (its exact integral divided by `binS`), so energy is preserved and irregular
    /// spacing does not bias the mean. Bins cover `originEpoch` to the TP group's last sample; a trailing
    /// partial bin is dropped. Empty if `binS` ≤ 0 or the origin is after the last sample.
    public func powerBins(binS: Double = 0.25, originEpoch: Double? = nil) -> [Double] {
        let origin = originEpoch ?? originEpochS
        guard binS > 0, origin.isFinite, !power.isEmpty else { return [] }
        let span = powerEndEpochS - origin
        guard span >= binS else { return [] }
        // Tolerate rounding of the epoch arithmetic when the span is a whole number of bins.
        let n = Int((span / binS + 1e-9).rounded(.down))
        var total = [Double](repeating: 0, count: n)
        for gpu in power {
            var integral = PiecewiseLinearIntegral(times: gpu.epochS, values: gpu.watts)
            var left = integral.value(at: origin)
            for k in 0..<n {
                let right = integral.value(at: origin + Double(k + 1) * binS)
                total[k] += (right - left) / binS
                left = right
            }
        }
        let g = Double(power.count)
        return total.map { $0 / g }
    }

    /// The run's requests as a schedule relative to `originEpoch` (default ``originEpochS``), in arrival
    /// order (ties keep log order).
    ///
    /// - Arrivals before the origin are moved to 0 (the trace-replay runs send their first request ~50 ms
    ///   before the first power sample).
    /// - `cachedPrefixTokens` is the logged `cached_prompt_tokens` when known (else 0), capped at
    ///   `inputTokens − 1` so at least one prompt token is prefilled.
    /// - Requests that generated no tokens (failed in the benchmark) are left out.
    public func schedule(originEpoch: Double? = nil) -> [Request] {
        let origin = originEpoch ?? originEpochS
        return orderedRequests().map { r in
            Request(
                id: r.id, arrivalS: Swift.max(0, r.arrivalEpochS - origin), inputTokens: r.inputTokens,
                outputTokens: r.outputTokens,
                cachedPrefixTokens: Swift.min(r.cachedPromptTokens ?? 0, r.inputTokens - 1))
        }
    }

    /// The logged requests that generated tokens, in arrival order (ties keep log order): the order of
    /// ``schedule(originEpoch:)``, for pairing its requests with their measured latencies.
    public func orderedRequests() -> [MeasuredRequest] {
        requests.enumerated()
            .filter { $0.element.outputTokens >= 1 }
            .sorted { ($0.element.arrivalEpochS, $0.offset) < ($1.element.arrivalEpochS, $1.offset) }
            .map(\.element)
    }

}

/// The running integral ∫ f dt of the piecewise-linear curve through (times, values), held flat outside
/// the samples, evaluated at non-decreasing query times in amortised O(1).
struct PiecewiseLinearIntegral {
    let times: [Double]
    let values: [Double]
    /// Integral from times[0] to times[i].
    private var cumulative: [Double]
    private var segment = 0

    init(times: [Double], values: [Double]) {
        precondition(times.count == values.count && !times.isEmpty)
        self.times = times
        self.values = values
        var c = [Double](repeating: 0, count: times.count)
        var s = CompensatedSum()
        for i in 1..<Swift.max(1, times.count) {
            s.add((times[i] - times[i - 1]) * (values[i] + values[i - 1]) / 2)
            c[i] = s.value
        }
        cumulative = c
    }

    /// ∫ from times[0] to t (negative before times[0]). Query times must not decrease between calls.
    mutating func value(at t: Double) -> Double {
        let n = times.count
        if t <= times[0] { return (t - times[0]) * values[0] }
        if t >= times[n - 1] { return cumulative[n - 1] + (t - times[n - 1]) * values[n - 1] }
        while segment + 1 < n && times[segment + 1] <= t { segment += 1 }
        let t0 = times[segment]
        let dt = times[segment + 1] - t0
        let u = t - t0
        let slope = dt > 0 ? (values[segment + 1] - values[segment]) / dt : 0
        return cumulative[segment] + u * (values[segment] + 0.5 * slope * u)
    }
}
