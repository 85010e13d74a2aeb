import LoadshapeCore

/// Collects a node power series' summary as bins stream past (energy by compensated sum; values kept for
/// percentiles).
public struct PowerSummary: Sendable {
    public private(set) var values: [Double] = []
    private var energy = CompensatedSum()
    public private(set) var stateBins = [0, 0, 0]
    public init() {}

    public mutating func add(_ w: Double, state: OperatingState) {
        values.append(w)
        energy.add(w)
        stateBins[state.rawValue] += 1
    }

    /// Energy, Wh.
    public var energyWh: Double { energy.value * Ledger<NullBinSink>.binSeconds / 3600 }
    public var meanW: Double { values.isEmpty ? .nan : energy.value / Double(values.count) }
    public var durationS: Double { Double(values.count) * Ledger<NullBinSink>.binSeconds }

    public func report() -> [String: Any] {
        let s = values.sorted()
        let oneSecond = Descriptive.blockMeans(values, factor: 4)
        return [
            "bins": values.count, "duration_s": durationS, "energy_wh": energyWh, "mean_w": meanW,
            "peak_w": s.last ?? .nan, "p95_w": Descriptive.percentile(sorted: s, 95),
            "p99_w": Descriptive.percentile(sorted: s, 99), "min_w": s.first ?? .nan,
            "peak_1s_w": oneSecond.max() ?? .nan,
            "state_bins": ["idle": stateBins[0], "decode": stateBins[1], "prefill": stateBins[2]],
        ]
    }
}

/// A bin sink that does nothing (for type-level constants).
public struct NullBinSink: BinSink {
    public init() {}
    public mutating func consume(_ bin: LedgerBin) {}
}

/// Streams power bins to `power.csv` with interval-start UTC timestamps and units in the header.
public struct PowerCSVSink: PowerSink {
    public let writer: TextFileWriter
    public let startEpochMillis: Int64
    public let featureNames: [String]
    public var summary = PowerSummary()
    public var progress: ((Int) -> Void)?

    public init(path: String, startEpochMillis: Int64, featureNames: [String]) throws(IOError) {
        writer = try TextFileWriter(path: path)
        self.startEpochMillis = startEpochMillis
        self.featureNames = featureNames
        let comps = featureNames.map { "component_\($0)_node_w" }.joined(separator: ",")
        writer.write(
            "interval_start_utc,t_start_s,node_gpu_power_w,gpu_power_w,busy_fraction,prefill_duty,decode_duty,"
                + "decode_batch,prefill_tokens_per_s,decode_tokens_per_s,state,\(comps),noise_node_w\n")
    }

    public mutating func consume(_ b: PowerBin) {
        let ms = startEpochMillis + Int64(b.index) * 250
        var line = UTCTimestamp.format(epochMillis: ms)
        line += ","
        line += "\(Double(b.index) * 0.25),\(b.nodeGpuW),\(b.gpuW),\(b.busy),\(b.prefillDuty),\(b.decodeDuty),"
        line += "\(b.decodeBatch),\(b.prefillTokensPerS),\(b.decodeTokensPerS),\(b.state.name)"
        for i in 0..<featureNames.count { line += ",\(b.components[i])" }
        line += ",\(b.noiseNodeW)\n"
        writer.write(line)
        summary.add(b.nodeGpuW, state: b.state)
        if let p = progress, b.index % 14_400 == 0 { p(b.index) }
    }
}

/// Writes `requests.csv`: engine outcomes with reported latencies (which include the first-token overhead).
public enum RequestsCSV {
    public static func write(
        path: String, requests: [Request], outcomes: [RequestOutcome], firstTokenOverheadS: Double
    ) throws(IOError) -> (ttft: [Double], e2e: [Double]) {
        let w = try TextFileWriter(path: path)
        w.write(
            "request_id,arrival_s,input_tokens,cached_prefix_tokens,executed_input_tokens,output_tokens,admitted_s,"
                + "queue_s,ttft_s,decode_duration_s,e2e_s,preemptions\n")
        var ttft: [Double] = []
        var e2e: [Double] = []
        ttft.reserveCapacity(requests.count)
        e2e.reserveCapacity(requests.count)
        for (r, o) in zip(requests, outcomes) {
            let t = o.firstTokenS - r.arrivalS + firstTokenOverheadS
            let e = o.lastTokenS - r.arrivalS + firstTokenOverheadS
            ttft.append(t)
            e2e.append(e)
            w.write(
                "\(r.id),\(r.arrivalS),\(r.inputTokens),\(r.cachedPrefixTokens),\(r.executedInputTokens),"
                    + "\(r.outputTokens),\(o.admittedS),\(o.admittedS - r.arrivalS),\(t),\(o.lastTokenS - o.firstTokenS),"
                    + "\(e),\(o.preemptions)\n")
        }
        w.close()
        return (ttft, e2e)
    }
}
