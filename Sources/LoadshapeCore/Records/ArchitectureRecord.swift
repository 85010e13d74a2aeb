/// A model architecture: what the per-iteration work model needs to count FLOPs and bytes.
///
/// Dense records carry separate transformer, output-head and input-embedding figures ("component records");
/// mixture-of-experts records carry active parameters and expert routing instead.
public struct ArchitectureRecord: Sendable, Equatable, Codable {
    public enum Kind: String, Sendable, Codable { case dense, moe }

    public var name: String
    public var aliases: [String]
    public var kind: Kind
    /// Family used for support rules, e.g. `dense-70b`.
    public var family: String
    public var dModel: Int
    public var nLayers: Int
    public var nKvHeads: Int
    public var headDim: Int
    /// Active parameters per token (all parameters for dense models).
    public var activeParams: Double
    /// All weight bytes resident on the TP group.
    public var weightBytes: Double
    public var transformerActiveParams: Double?
    public var transformerWeightBytes: Double?
    public var outputHeadParams: Double?
    public var outputHeadWeightBytes: Double?
    public var inputEmbeddingParams: Double?
    public var inputEmbeddingWeightBytes: Double?
    /// Weights stored in FP8.
    public var fp8: Bool
    /// Fraction of FLOPs executed in FP8 (gives the FLOP scale 1 − 0.5·f).
    public var fp8FlopFraction: Double?
    public var nExperts: Int
    public var topK: Int
    /// Fraction of weight bytes that live in experts.
    public var moeFraction: Double
    /// Sliding-window attention window in tokens (0 = none).
    public var swaWindow: Int

    public init(
        name: String, aliases: [String] = [], kind: Kind, family: String, dModel: Int, nLayers: Int, nKvHeads: Int,
        headDim: Int, activeParams: Double, weightBytes: Double, transformerActiveParams: Double? = nil,
        transformerWeightBytes: Double? = nil, outputHeadParams: Double? = nil, outputHeadWeightBytes: Double? = nil,
        inputEmbeddingParams: Double? = nil, inputEmbeddingWeightBytes: Double? = nil, fp8: Bool = false,
        fp8FlopFraction: Double? = nil, nExperts: Int = 1, topK: Int = 1, moeFraction: Double = 0, swaWindow: Int = 0
    ) {
        self.name = name
        self.aliases = aliases
        self.kind = kind
        self.family = family
        self.dModel = dModel
        self.nLayers = nLayers
        self.nKvHeads = nKvHeads
        self.headDim = headDim
        self.activeParams = activeParams
        self.weightBytes = weightBytes
        self.transformerActiveParams = transformerActiveParams
        self.transformerWeightBytes = transformerWeightBytes
        self.outputHeadParams = outputHeadParams
        self.outputHeadWeightBytes = outputHeadWeightBytes
        self.inputEmbeddingParams = inputEmbeddingParams
        self.inputEmbeddingWeightBytes = inputEmbeddingWeightBytes
        self.fp8 = fp8
        self.fp8FlopFraction = fp8FlopFraction
        self.nExperts = nExperts
        self.topK = topK
        self.moeFraction = moeFraction
        self.swaWindow = swaWindow
    }

    /// KV-cache bytes per token: K and V, BF16, every layer and KV head.
    public var kvBytesPerToken: Double { Double(2 * nLayers * nKvHeads * headDim * 2) }

    /// Whether the record has separate transformer / head / embedding figures.
    public var hasComponents: Bool {
        transformerActiveParams != nil && transformerWeightBytes != nil && outputHeadParams != nil
            && outputHeadWeightBytes != nil && inputEmbeddingParams != nil && inputEmbeddingWeightBytes != nil
    }

    /// The dtype FLOP scale of the reference work model.
    public var flopScale: Double {
        if let f = fp8FlopFraction { return 1 - 0.5 * f }
        return fp8 ? 0.5 : 1
    }

    public func matches(_ name: String) -> Bool {
        let n = name.lowercased()
        return self.name.lowercased() == n || aliases.contains { $0.lowercased() == n }
    }
}
