/// One inference server, composed: serving model (workload → operating states) and power model (configuration →
/// power within states).
public struct ServerModel: Sendable {
    public let architecture: ArchitectureRecord
    public let hardware: HardwareRecord
    public let tp: Int
    public let gpusPerNode: Int
    public let surface: PowerSurface
    public let noise: StateNoiseModel?
    public let simulator: ServingSimulator

    public init(
        architecture: ArchitectureRecord, hardware: HardwareRecord, tp: Int, gpusPerNode: Int,
        timing: TimingParameters, engine: EngineLimits, surface: PowerSurface, noise: StateNoiseModel? = nil
    ) throws(ModelError) {
        guard gpusPerNode >= tp else {
            throw .invalidParameter("gpus per node (\(gpusPerNode)) must be at least TP (\(tp))")
        }
        self.architecture = architecture
        self.hardware = hardware
        self.tp = tp
        self.gpusPerNode = gpusPerNode
        self.surface = surface
        self.noise = noise
        let cost = try IterationCostModel(architecture: architecture, hardware: hardware, timing: timing, tp: tp)
        simulator = try ServingSimulator(cost: cost, limits: engine)
    }

    /// Reported latency overhead added to TTFT and end-to-end times.
    public var firstTokenOverheadS: Double { simulator.cost.timing.firstTokenOverheadS }

    /// Serves `requests` and streams the node's power bins into `sink`.
    ///
    /// - Parameters:
    ///   - method: the surface, or a baseline.
    ///   - noiseSeed: seed of the within-state fluctuation; nil for the deterministic mean (also when the power
    ///     model has no fluctuation).
    ///   - horizonBins: bins to emit (idle after the last iteration, truncated before it); nil for the reference
    ///     horizon ⌊t_max/Δ⌋ + 1.
    public func run<S: PowerSink>(
        _ requests: [Request], method: PowerMethod = .surface, noiseSeed: UInt64?, horizonBins: Int? = nil,
        sink: S
    ) throws(ModelError) -> (result: ServingResult, sink: S, bins: Int) {
        let process = (noise != nil && noiseSeed != nil) ? StateNoiseProcess(model: noise!, seed: noiseSeed!) : nil
        let power = PowerSynthesizer(
            sink: sink, surface: surface, method: method, architecture: architecture, hardware: hardware, tp: tp,
            gpusPerNode: gpusPerNode, noise: process)
        var ledger = Ledger(sink: power, horizonBins: horizonBins)
        let result = try simulator.run(requests, sink: &ledger)
        var tMax = result.statistics.lastIterationEndS
        for r in requests { tMax = Swift.max(tMax, r.arrivalS) }
        let bins = horizonBins ?? Ledger<PowerSynthesizer<S>>.horizon(lastTimeS: tMax)
        ledger.finish(bins: bins)
        return (result, ledger.sink.sink, bins)
    }
}
