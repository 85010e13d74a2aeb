/// One engine iteration as the serving model executed it: its interval and the work it did.
public struct IterationRecord: Sendable, Equatable {
    public var t0: Double
    public var t1: Double
    /// Sequences that decoded one token.
    public var decodeBatch: Int
    /// Mean context of the decoding sequences, tokens.
    public var decodeContextMean: Double
    /// Prompt tokens prefilled in this iteration.
    public var prefillTokens: Int
    public var prefillChunks: Int
    /// Prefill chunks that completed their prompt (and so computed logits).
    public var prefillLogits: Int
    public var gemmFlops: Double
    public var attentionFlops: Double
    /// The prefill chunks' share of the FLOPs (GEMM for their tokens and logits, plus their attention).
    public var prefillFlops: Double
    public var attentionBytes: Double
    public var weightBytes: Double
    /// Decode KV reads, B · eff(ctx) · kv bytes per token.
    public var decodeKvReadBytes: Double

    public init() {
        t0 = 0
        t1 = 0
        decodeBatch = 0
        decodeContextMean = 0
        prefillTokens = 0
        prefillChunks = 0
        prefillLogits = 0
        gemmFlops = 0
        attentionFlops = 0
        prefillFlops = 0
        attentionBytes = 0
        weightBytes = 0
        decodeKvReadBytes = 0
    }

    public var duration: Double { t1 - t0 }
}

/// Per-iteration work from an architecture record and its roofline duration on a hardware record
/// (`reference-method.md` §2d): the sum of per-operator maxima plus launch, collective and sampling overheads.
public struct IterationCostModel: Sendable {
    public let architecture: ArchitectureRecord
    public let hardware: HardwareRecord
    public let timing: TimingParameters
    public let tp: Int

    let computeRate: Double
    let memoryRate: Double
    let fixedOverhead: Double
    let kvTok: Double
    let attnFlopUnit: Double
    let flopScale: Double
    let bwScale: Double
    let swa: Double
    let components: Bool
    let trParams: Double
    let trBytes: Double
    let headParams: Double
    let headBytes: Double
    let embedRowBytes: Double
    let activeParams: Double
    let weightBytesAll: Double
    let moeFrac: Double
    let missRatio: Double

    public init(architecture: ArchitectureRecord, hardware: HardwareRecord, timing: TimingParameters, tp: Int)
        throws(ModelError)
    {
        guard let perMessage = timing.perMessage(tp: tp) else {
            throw ModelError.uncalibrated("timing has no per-message latency for TP \(tp)")
        }
        self.architecture = architecture
        self.hardware = hardware
        self.timing = timing
        self.tp = tp
        computeRate = timing.effFlops * hardware.peakDenseBF16FlopsPerS * Double(tp)
        memoryRate = timing.effBandwidth * hardware.hbmBandwidthBytesPerS * Double(tp)
        fixedOverhead = timing.baseOverheadS + 2 * Double(architecture.nLayers) * perMessage
        kvTok = architecture.kvBytesPerToken
        attnFlopUnit = 4 * Double(architecture.dModel) * Double(architecture.nLayers)
        flopScale = architecture.flopScale
        bwScale = architecture.fp8 ? (timing.fp8StreamScale ?? 1) : 1
        swa = Double(architecture.swaWindow)
        components = architecture.kind == .dense && architecture.hasComponents
        trParams = architecture.transformerActiveParams ?? 0
        trBytes = architecture.transformerWeightBytes ?? 0
        headParams = architecture.outputHeadParams ?? 0
        headBytes = architecture.outputHeadWeightBytes ?? 0
        if let p = architecture.inputEmbeddingParams, let b = architecture.inputEmbeddingWeightBytes, p > 0 {
            embedRowBytes = b / p * Double(architecture.dModel)
        } else {
            embedRowBytes = 0
        }
        activeParams = architecture.activeParams
        weightBytesAll = architecture.weightBytes
        moeFrac = architecture.kind == .moe ? architecture.moeFraction : 0
        missRatio = architecture.nExperts > 0 ? 1 - Double(architecture.topK) / Double(architecture.nExperts) : 0
    }

    /// Effective attended context: with a sliding window w, half the layers see min(c, w).
    @inline(__always)
    public func effectiveContext(_ c: Double) -> Double {
        swa > 0 ? 0.5 * c + 0.5 * Swift.min(c, swa) : c
    }

    /// Attention FLOPs and bytes of a prefill chunk of `tokens` after `priorContext` tokens.
    @inline(__always)
    public func prefillChunkAttention(tokens: Int, priorContext: Int) -> (flops: Double, bytes: Double) {
        let t = Double(tokens)
        let m = effectiveContext(Double(priorContext) + 0.5 * t)
        return (attnFlopUnit * t * m, (m + t) * kvTok)
    }

    /// Fills the work fields and `t1` of `record` from its batch composition; `t0` must be set.
    @inline(__always)
    public func complete(
        _ record: inout IterationRecord, prefillAttentionFlops: Double, prefillAttentionBytes: Double
    ) {
        let b = Double(record.decodeBatch)
        let tokens = Double(record.prefillTokens + record.decodeBatch)
        var attnF = prefillAttentionFlops
        var attnB = prefillAttentionBytes
        var kvRead = 0.0
        if record.decodeBatch > 0 {
            let eff = effectiveContext(record.decodeContextMean)
            attnF += attnFlopUnit * b * eff
            attnB += b * (eff + 1) * kvTok
            kvRead = b * eff * kvTok
        }
        let tGemm: Double
        let gemmF: Double
        let prefillGemm: Double
        let wBytes: Double
        if components {
            let logits = Double(record.prefillLogits + record.decodeBatch)
            let trF = 2 * flopScale * trParams * tokens
            let hdF = 2 * headParams * logits
            let trB = tokens > 0 ? trBytes : 0
            let hdB = logits > 0 ? headBytes : 0
            let emB = embedRowBytes * tokens
            tGemm =
                Swift.max(trF / computeRate, trB / (memoryRate * bwScale)) + Swift.max(hdF / computeRate, hdB / memoryRate)
                + emB / memoryRate
            gemmF = trF + hdF
            wBytes = trB + hdB + emB
            prefillGemm =
                2 * flopScale * trParams * Double(record.prefillTokens) + 2 * headParams * Double(record.prefillLogits)
        } else {
            gemmF = 2 * flopScale * activeParams * tokens
            prefillGemm = 2 * flopScale * activeParams * Double(record.prefillTokens)
            if moeFrac > 0 {
                let touched = 1 - pow(missRatio, tokens)
                wBytes = tokens > 0 ? weightBytesAll * ((1 - moeFrac) + moeFrac * touched) : 0
            } else {
                wBytes = tokens > 0 ? weightBytesAll : 0
            }
            tGemm = Swift.max(gemmF / computeRate, wBytes / memoryRate)
        }
        let tAttn = Swift.max(attnF / computeRate, attnB / memoryRate)
        let duration = fixedOverhead + tGemm + tAttn + timing.perTokenSampleS * b
        record.gemmFlops = gemmF
        record.attentionFlops = attnF
        record.prefillFlops = prefillGemm + prefillAttentionFlops
        record.attentionBytes = attnB
        record.weightBytes = wBytes
        record.decodeKvReadBytes = kvRead
        record.t1 = record.t0 + duration
    }

    /// The duration of a pure-decode iteration at batch `b` and mean context `context` (for spot checks).
    public func decodeIterationTime(batch b: Int, context: Double) -> IterationRecord {
        var r = IterationRecord()
        r.decodeBatch = b
        r.decodeContextMean = context
        complete(&r, prefillAttentionFlops: 0, prefillAttentionBytes: 0)
        return r
    }

    /// The duration of one prefill chunk of `tokens` with `priorContext` and no decodes.
    public func prefillIterationTime(tokens: Int, priorContext: Int = 0, completesPrompt: Bool = true)
        -> IterationRecord
    {
        var r = IterationRecord()
        r.prefillTokens = tokens
        r.prefillChunks = 1
        r.prefillLogits = completesPrompt ? 1 : 0
        let a = prefillChunkAttention(tokens: tokens, priorContext: priorContext)
        complete(&r, prefillAttentionFlops: a.flops, prefillAttentionBytes: a.bytes)
        return r
    }
}

import RealModule

@inline(__always)
func pow(_ x: Double, _ y: Double) -> Double { Double.pow(x, y) }
