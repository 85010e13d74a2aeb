/// Node GPU power of one native bin, with the work summary it came from.
public struct PowerBin: Sendable, Equatable {
    public var index: Int
    /// Whole-node GPU power: the TP group plus idle GPUs outside it, W.
    public var nodeGpuW: Double
    /// Mean power of one GPU of the TP group, W.
    public var gpuW: Double
    public var busy: Double
    public var prefillDuty: Double
    public var decodeDuty: Double
    public var decodeBatch: Double
    public var prefillTokensPerS: Double
    public var decodeTokensPerS: Double
    public var state: OperatingState
    /// Per-feature contributions to node GPU power, W, in the surface's feature order (idle floor first; the
    /// idle GPUs outside the TP group and the within-state fluctuation are in the idle and noise entries).
    public var components: FeatureVector
    /// The within-state fluctuation added to node power, W (0 when deterministic).
    public var noiseNodeW: Double

    public init(index: Int) {
        self.index = index
        nodeGpuW = 0
        gpuW = 0
        busy = 0
        prefillDuty = 0
        decodeDuty = 0
        decodeBatch = 0
        prefillTokensPerS = 0
        decodeTokensPerS = 0
        state = .idle
        components = FeatureVector()
        noiseNodeW = 0
    }
}

/// Up to six feature values without heap allocation.
public struct FeatureVector: Sendable, Equatable {
    public var v0 = 0.0, v1 = 0.0, v2 = 0.0, v3 = 0.0, v4 = 0.0, v5 = 0.0
    public init() {}
    public subscript(i: Int) -> Double {
        get {
            switch i {
            case 0: return v0
            case 1: return v1
            case 2: return v2
            case 3: return v3
            case 4: return v4
            default: return v5
            }
        }
        set {
            switch i {
            case 0: v0 = newValue
            case 1: v1 = newValue
            case 2: v2 = newValue
            case 3: v3 = newValue
            case 4: v4 = newValue
            default: v5 = newValue
            }
        }
    }
}

/// Receives power bins in index order.
public protocol PowerSink {
    mutating func consume(_ bin: PowerBin)
}
