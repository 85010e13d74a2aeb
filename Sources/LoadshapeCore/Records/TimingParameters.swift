/// Calibrated constants of the roofline iteration-time model for one GPU type.
public struct TimingParameters: Sendable, Equatable, Codable {
    /// Achieved fraction of peak FLOP/s.
    public var effFlops: Double
    /// Achieved fraction of HBM bandwidth.
    public var effBandwidth: Double
    /// Fixed per-iteration overhead, s.
    public var baseOverheadS: Double
    /// Per-message (per collective, two per layer) latency by TP degree, s.
    public var perMessageS: [String: Double]
    /// Sampling cost per decoded sequence, s.
    public var perTokenSampleS: Double
    /// Added to reported TTFT and end-to-end latency only (client/server overhead); does not affect power.
    public var firstTokenOverheadS: Double
    /// Bandwidth scale for streaming FP8 transformer weights (H100).
    public var fp8StreamScale: Double?

    public init(
        effFlops: Double, effBandwidth: Double, baseOverheadS: Double, perMessageS: [String: Double],
        perTokenSampleS: Double, firstTokenOverheadS: Double, fp8StreamScale: Double? = nil
    ) {
        self.effFlops = effFlops
        self.effBandwidth = effBandwidth
        self.baseOverheadS = baseOverheadS
        self.perMessageS = perMessageS
        self.perTokenSampleS = perTokenSampleS
        self.firstTokenOverheadS = firstTokenOverheadS
        self.fp8StreamScale = fp8StreamScale
    }

    /// The per-message latency for `tp`, or nil if it was never calibrated.
    public func perMessage(tp: Int) -> Double? { perMessageS[String(tp)] }
}

/// Serving-engine limits (vLLM's `max_num_seqs`, `max_num_batched_tokens`, `gpu_memory_utilization`).
public struct EngineLimits: Sendable, Equatable, Codable {
    public var maxNumSeqs: Int
    public var maxNumBatchedTokens: Int
    public var gpuMemoryUtilization: Double

    public init(maxNumSeqs: Int = 256, maxNumBatchedTokens: Int = 2048, gpuMemoryUtilization: Double = 0.9) {
        self.maxNumSeqs = maxNumSeqs
        self.maxNumBatchedTokens = maxNumBatchedTokens
        self.gpuMemoryUtilization = gpuMemoryUtilization
    }

    public static let vllmDefault = EngineLimits()
}
