/// How node GPU power is produced from the serving model's bins.
public enum PowerMethod: Sendable, Equatable {
    /// The mean power surface (with the meter response), plus within-state fluctuation when a noise model is set.
    case surface
    /// Nameplate: every GPU of the node at TDP, always.
    case nameplate
    /// A constant node GPU power (the "mean" baseline), W.
    case constant(nodeW: Double)
    /// SplitwiseSim-style flat watts per state, weighted by the bin's prefill, decode-only and idle time.
    case flatState(HardwareRecord.FlatStateWatts)

    public var name: String {
        switch self {
        case .surface: return "surface"
        case .nameplate: return "nameplate"
        case .constant: return "mean"
        case .flatState: return "flat-state"
        }
    }
}

/// Turns native ledger bins into power bins: features → meter response → surface → node power.
public struct PowerSynthesizer<Sink: PowerSink>: BinSink {
    public var sink: Sink
    public let surface: PowerSurface
    public let method: PowerMethod
    public let tp: Int
    public let gpusPerNode: Int
    let hardware: HardwareRecord
    let weightFraction: Double
    let kvTok: Double
    var noise: StateNoiseProcess?

    private var meter = MeterFilter()
    private var previousMemory: Double?

    public init(
        sink: Sink, surface: PowerSurface, method: PowerMethod = .surface, architecture: ArchitectureRecord,
        hardware: HardwareRecord, tp: Int, gpusPerNode: Int, noise: StateNoiseProcess? = nil
    ) {
        self.sink = sink
        self.surface = surface
        self.method = method
        self.tp = tp
        self.gpusPerNode = Swift.max(gpusPerNode, tp)
        self.hardware = hardware
        self.weightFraction = DenseFeatures.weightFraction(architecture, tp: tp, hardware: hardware)
        self.kvTok = architecture.kvBytesPerToken
        self.noise = noise
    }

    /// Node GPU power of a node with no work, W.
    public var idleNodeW: Double {
        switch method {
        case .nameplate: return Double(gpusPerNode) * hardware.tdpW
        case .constant(let w): return w
        case .flatState(let f): return Double(gpusPerNode) * f.idle
        case .surface:
            switch surface {
            case .dense(let s): return Double(gpusPerNode) * s.idleW
            case .moe(let s):
                return Double(tp) * (s.idleW + (tp > 1 ? s.multiGpuFloor : 0))
                    + Double(gpusPerNode - tp) * s.idleW
            }
        }
    }

    public mutating func consume(_ b: LedgerBin) {
        var out = PowerBin(index: b.index)
        out.busy = b.busy
        out.prefillDuty = b.prefillDuty
        out.decodeDuty = b.decodeDuty
        out.decodeBatch = b.decodeBatch
        out.prefillTokensPerS = b.prefillTokensPerS
        out.decodeTokensPerS = b.decodeTokensPerS
        out.state = b.state
        let tpD = Double(tp)
        let unused = Double(gpusPerNode - tp)
        switch method {
        case .nameplate:
            out.gpuW = hardware.tdpW
            out.nodeGpuW = Double(gpusPerNode) * hardware.tdpW
            out.components.v0 = out.nodeGpuW
        case .constant(let w):
            out.nodeGpuW = w
            out.gpuW = w / Double(gpusPerNode)
            out.components.v0 = w
        case .flatState(let f):
            let prefill = b.prefillDuty
            let decode = Swift.max(0, b.busy - b.prefillDuty)
            let idle = Swift.max(0, 1 - b.busy)
            out.gpuW = f.idle * idle + f.prefill * prefill + f.decode * decode
            out.nodeGpuW = tpD * out.gpuW + unused * f.idle
            out.components.v0 = out.nodeGpuW
        case .surface:
            switch surface {
            case .dense(let s):
                let x = DenseFeatures.raw(b, weightFraction: weightFraction, tp: tp, hardware: hardware)
                let f = meter.apply(x, response: s.meter)
                let c1 = s.activeWeightFraction * f.v1
                let c2 = s.computeUtil * f.v2
                let c3 = s.dutySqrtMemoryUtil * f.v3
                let c4 = s.prefillComputeUtil * f.v4
                let c5 = s.attentionMemoryUtil * f.v5
                out.gpuW = s.idleW + c1 + c2 + c3 + c4 + c5
                out.components.v0 = tpD * s.idleW + unused * s.idleW
                out.components.v1 = tpD * c1
                out.components.v2 = tpD * c2
                out.components.v3 = tpD * c3
                out.components.v4 = tpD * c4
                out.components.v5 = tpD * c5
                out.nodeGpuW = tpD * out.gpuW + unused * s.idleW
            case .moe(let s):
                let memNow =
                    (b.weightReadBytesPerS + b.kvReadBytesPerS + (b.prefillTokensPerS + b.decodeTokensPerS) * kvTok)
                    / hardware.hbmBandwidthBytesPerS
                let mem = previousMemory ?? memNow
                previousMemory = memNow
                let floor = tp > 1 ? s.multiGpuFloor : 0
                let c2 = s.logicalMemoryUtilLag * mem / tpD
                let comp = b.busy * (b.gemmFlopsPerS + b.attentionFlopsPerS) / (tpD * hardware.peakDenseBF16FlopsPerS)
                let c3 = s.dutySqrtExactComputeUtil * Swift.max(0, comp).squareRoot()
                let c4 = s.engineIterationsRate * b.iterationsPerS / 1000
                let c5 = s.logDecodeBatch * Double.log(onePlus: Swift.max(0, b.decodeBatch))
                out.gpuW = s.idleW + floor + c2 + c3 + c4 + c5
                out.components.v0 = tpD * s.idleW + unused * s.idleW
                out.components.v1 = tpD * floor
                out.components.v2 = tpD * c2
                out.components.v3 = tpD * c3
                out.components.v4 = tpD * c4
                out.components.v5 = tpD * c5
                out.nodeGpuW = tpD * out.gpuW + unused * s.idleW
            }
            if var n = noise {
                let r = n.next(state: b.state)
                noise = n
                // The fluctuation is per GPU of the TP group; power never drops below the idle floor's half.
                let g = Swift.max(out.gpuW + r, 0.5 * surface.idleW)
                let delta = g - out.gpuW
                out.gpuW = g
                out.noiseNodeW = tpD * delta
                out.nodeGpuW += tpD * delta
            }
        }
        sink.consume(out)
    }
}

import RealModule

/// The dense surface's features of one bin, before the meter response: [1, busy · weight fraction, compute
/// utilisation, √(busy · memory utilisation), prefill compute utilisation].
public enum DenseFeatures {
    @inline(__always)
    public static func raw(_ b: LedgerBin, weightFraction: Double, tp: Int, hardware: HardwareRecord) -> FeatureVector {
        let tpD = Double(tp)
        var x = FeatureVector()
        x.v0 = 1
        x.v1 = b.busy * weightFraction
        x.v2 = Swift.max(0, (b.gemmFlopsPerS + b.attentionFlopsPerS) / (tpD * hardware.peakDenseBF16FlopsPerS))
        let mem = b.busy * (b.weightReadBytesPerS + b.attentionBytesPerS) / (tpD * hardware.hbmBandwidthBytesPerS)
        x.v3 = Swift.max(0, mem).squareRoot()
        x.v4 = Swift.max(0, b.prefillFlopsPerS / (tpD * hardware.peakDenseBF16FlopsPerS))
        x.v5 = Swift.max(0, b.busy * b.attentionBytesPerS / (tpD * hardware.hbmBandwidthBytesPerS))
        return x
    }

    /// The clipped active-weight fraction weight bytes / (TP · HBM capacity).
    public static func weightFraction(_ a: ArchitectureRecord, tp: Int, hardware: HardwareRecord) -> Double {
        Swift.min(Swift.max(a.weightBytes / (Double(tp) * hardware.hbmCapacityBytes), 0), 1)
    }
}

/// The meter response applied to feature columns 1–4 of a stream of bins: a delay of whole bins (the start padded
/// with the first row), then a trailing mean (an expanding mean during warm-up). One filter per run: reset by
/// making a new one.
public struct MeterFilter: Sendable {
    private var delayLine: [FeatureVector] = []
    private var window: [FeatureVector] = []
    public init() {}

    public mutating func apply(_ x: FeatureVector, response: MeterResponse) -> FeatureVector {
        var d = x
        if response.delayBins > 0 {
            if delayLine.isEmpty { delayLine = Array(repeating: x, count: response.delayBins) }
            delayLine.append(x)
            d = delayLine.removeFirst()
        }
        guard response.averageBins > 1 else { return d }
        window.append(d)
        if window.count > response.averageBins { window.removeFirst() }
        // Summed afresh each bin (the window is a few bins), so no running-sum drift.
        var m = FeatureVector()
        for w in window {
            m.v1 += w.v1
            m.v2 += w.v2
            m.v3 += w.v3
            m.v4 += w.v4
            m.v5 += w.v5
        }
        let n = Double(window.count)
        m.v0 = d.v0
        m.v1 /= n
        m.v2 /= n
        m.v3 /= n
        m.v4 /= n
        m.v5 /= n
        return m
    }
}
