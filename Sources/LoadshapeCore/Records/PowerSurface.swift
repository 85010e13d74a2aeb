/// The mean power surface: per-GPU watts as an idle floor plus non-negative coefficients over work features.
public enum PowerSurface: Sendable, Equatable {
    case dense(DenseSurface)
    case moe(MoESurface)

    /// Per-GPU idle power, W.
    public var idleW: Double {
        switch self {
        case .dense(let s): return s.idleW
        case .moe(let s): return s.idleW
        }
    }

    /// Names of the per-feature contributions, in output order (the idle floor first).
    public var featureNames: [String] {
        switch self {
        case .dense: return DenseSurface.featureNames
        case .moe: return MoESurface.featureNames
        }
    }
}

/// The dense surface of the reference release: features active-weight fraction, compute utilisation and
/// √(duty × memory utilisation), after the meter response.
public struct DenseSurface: Sendable, Equatable, Codable {
    public static let featureNames = [
        "idle_floor", "active_weight_fraction", "compute_util", "duty_sqrt_memory_util", "prefill_compute_util",
        "attention_memory_util",
    ]

    public var idleW: Double
    public var activeWeightFraction: Double
    public var computeUtil: Double
    public var dutySqrtMemoryUtil: Double
    /// Extra coefficient on the prefill chunks' compute utilisation, on top of `computeUtil` (a Loadshape
    /// extension; 0 in the reference's surfaces). Compute-bound prefill heats the GPU far more per FLOP than
    /// small-batch decode GEMMs, which are memory-bound; one shared coefficient over-predicts decode when it is
    /// fitted to prefill bursts.
    public var prefillComputeUtil: Double
    /// Coefficient on the attention (KV-cache) share of memory utilisation, a Loadshape extension (0 in the
    /// reference's surfaces): long-context decode streams the KV cache, which draws more than its share under the
    /// square root of the combined utilisation.
    public var attentionMemoryUtil: Double
    /// The meter's response: delay, then a trailing mean.
    public var meter: MeterResponse

    public init(
        idleW: Double, activeWeightFraction: Double, computeUtil: Double, dutySqrtMemoryUtil: Double,
        prefillComputeUtil: Double = 0, attentionMemoryUtil: Double = 0, meter: MeterResponse
    ) {
        self.attentionMemoryUtil = attentionMemoryUtil
        self.prefillComputeUtil = prefillComputeUtil
        self.idleW = idleW
        self.activeWeightFraction = activeWeightFraction
        self.computeUtil = computeUtil
        self.dutySqrtMemoryUtil = dutySqrtMemoryUtil
        self.meter = meter
    }
}

/// The per-model MoE surface of the reference release.
public struct MoESurface: Sendable, Equatable, Codable {
    public static let featureNames = [
        "idle", "multi_gpu_floor", "logical_memory_util_lag_250ms", "duty_sqrt_exact_compute_util",
        "engine_iterations_rate", "log_decode_batch",
    ]

    public var idleW: Double
    /// Extra per-GPU floor when TP > 1 (0 when the fit set had no TP 1 runs).
    public var multiGpuFloor: Double
    public var logicalMemoryUtilLag: Double
    public var dutySqrtExactComputeUtil: Double
    /// Coefficient on iterations per second / 1000.
    public var engineIterationsRate: Double
    /// Coefficient on ln(1 + time-weighted decode batch).
    public var logDecodeBatch: Double

    public init(
        idleW: Double, multiGpuFloor: Double, logicalMemoryUtilLag: Double, dutySqrtExactComputeUtil: Double,
        engineIterationsRate: Double, logDecodeBatch: Double
    ) {
        self.idleW = idleW
        self.multiGpuFloor = multiGpuFloor
        self.logicalMemoryUtilLag = logicalMemoryUtilLag
        self.dutySqrtExactComputeUtil = dutySqrtExactComputeUtil
        self.engineIterationsRate = engineIterationsRate
        self.logDecodeBatch = logDecodeBatch
    }
}

/// How the power meter smears the true signal: a delay of whole bins, then a trailing mean over whole bins
/// (an expanding mean while fewer bins exist). H100 nvidia-smi: 1 bin and 4 bins; A100: none.
public struct MeterResponse: Sendable, Equatable, Codable {
    public var delayBins: Int
    public var averageBins: Int

    public init(delayBins: Int, averageBins: Int) {
        self.delayBins = delayBins
        self.averageBins = averageBins
    }

    public static let none = MeterResponse(delayBins: 0, averageBins: 0)
}
