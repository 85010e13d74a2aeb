/// The serving model's work projected onto one native bin [kΔ, (k+1)Δ).
///
/// Interval channels are overlap-weighted: a rate channel adds (work / iteration wall time) × overlap / Δ, so it is
/// the bin's mean rate. Event channels (decode tokens, KV reads, iteration count) go to the bin that contains the
/// iteration's end (bins are right-open).
public struct LedgerBin: Sendable, Equatable {
    public var index: Int
    /// Fraction of the bin with an executing iteration.
    public var busy = 0.0
    /// Fraction of the bin executing iterations that carry prefill chunks.
    public var prefillDuty = 0.0
    /// Fraction of the bin executing iterations that decode.
    public var decodeDuty = 0.0
    /// Time-weighted mean decode batch.
    public var decodeBatch = 0.0
    /// Prefill tokens per second (interval channel).
    public var prefillTokensPerS = 0.0
    /// Decoded tokens per second (event channel).
    public var decodeTokensPerS = 0.0
    public var weightReadBytesPerS = 0.0
    public var gemmFlopsPerS = 0.0
    public var attentionFlopsPerS = 0.0
    /// The prefill chunks' FLOP/s (a part of GEMM + attention FLOP/s).
    public var prefillFlopsPerS = 0.0
    public var attentionBytesPerS = 0.0
    /// Decode KV reads, bytes/s (event channel).
    public var kvReadBytesPerS = 0.0
    /// Iterations ending in the bin, per second (event channel).
    public var iterationsPerS = 0.0

    public init(index: Int) { self.index = index }

    /// The bin's operating state: idle (nothing executing), prefill (prefill chunks executing, with or without
    /// decodes) or decode.
    public var state: OperatingState {
        if busy <= 0 { return .idle }
        return prefillDuty > 0 ? .prefill : .decode
    }
}

/// The operating state of a native bin.
public enum OperatingState: Int, Sendable, CaseIterable, Codable {
    case idle = 0
    case decode = 1
    case prefill = 2

    public var name: String {
        switch self {
        case .idle: return "idle"
        case .decode: return "decode"
        case .prefill: return "prefill"
        }
    }
}

/// Receives native bins in index order, every bin exactly once.
public protocol BinSink {
    mutating func consume(_ bin: LedgerBin)
}

/// Projects iterations onto native bins as they stream in and emits each bin once no later iteration can touch it.
/// Memory is bounded by the longest iteration, not by the simulated duration.
public struct Ledger<Sink: BinSink>: IterationSink {
    public static var binSeconds: Double { 0.25 }
    public var sink: Sink
    private var pending: [LedgerBin] = []
    private var base = 0
    /// Bins emitted so far (the next bin to emit has this index).
    public private(set) var emitted = 0
    /// Bins at or past this index are dropped (nil = unbounded).
    public let horizonBins: Int?

    public init(sink: Sink, horizonBins: Int? = nil) {
        self.sink = sink
        self.horizonBins = horizonBins
    }

    private mutating func emitThrough(_ end: Int) {
        // Emit every bin with index < end.
        let limit = horizonBins.map { Swift.min($0, end) } ?? end
        while emitted < limit {
            if let first = pending.first, first.index == emitted {
                sink.consume(first)
                pending.removeFirst()
                base = emitted + 1
            } else {
                sink.consume(LedgerBin(index: emitted))
            }
            emitted += 1
        }
        if let h = horizonBins, end >= h {
            pending.removeAll(keepingCapacity: true)
        }
    }

    @inline(__always)
    private mutating func slot(_ k: Int) -> Int {
        if pending.isEmpty { base = k }
        while base + pending.count <= k { pending.append(LedgerBin(index: base + pending.count)) }
        return k - base
    }

    /// ⌊t / Δ⌋. Engine times are never negative, so truncation is the floor (and, unlike `rounded(.down)` on the
    /// baseline x86-64 target, it is one instruction instead of a call into libm).
    @inline(__always)
    static func binIndex(_ t: Double) -> Int {
        let x = t / binSeconds
        return x >= 0 ? Int(x) : Int(x.rounded(.down))
    }

    public mutating func consume(_ it: IterationRecord) {
        let dt = Self.binSeconds
        let first = Self.binIndex(it.t0)
        let last = Self.binIndex(it.t1)
        emitThrough(first)
        if pending.isEmpty { base = Swift.max(first, emitted) }
        let wall = it.t1 - it.t0
        let invWall = wall > 0 ? 1 / wall : 0
        let hasPrefill = it.prefillTokens > 0
        let hasDecode = it.decodeBatch > 0
        let b = Double(it.decodeBatch)
        let preRate = Double(it.prefillTokens) * invWall
        let wRate = it.weightBytes * invWall
        let gRate = it.gemmFlops * invWall
        let aFRate = it.attentionFlops * invWall
        let pFRate = it.prefillFlops * invWall
        let aBRate = it.attentionBytes * invWall
        var k = first
        while k <= last {
            let lo = Swift.max(it.t0, Double(k) * dt)
            let hi = Swift.min(it.t1, Double(k + 1) * dt)
            let ov = hi - lo
            if ov > 0 && k >= emitted {
                let w = ov / dt
                let i = slot(k)
                // One uniqueness and bounds check per bin, not one per channel (this loop runs per iteration).
                pending.withUnsafeMutableBufferPointer { p in
                    p[i].busy += w
                    if hasPrefill { p[i].prefillDuty += w }
                    if hasDecode { p[i].decodeDuty += w }
                    p[i].decodeBatch += b * w
                    p[i].prefillTokensPerS += preRate * w
                    p[i].weightReadBytesPerS += wRate * w
                    p[i].gemmFlopsPerS += gRate * w
                    p[i].attentionFlopsPerS += aFRate * w
                    p[i].prefillFlopsPerS += pFRate * w
                    p[i].attentionBytesPerS += aBRate * w
                }
            }
            k += 1
        }
        if last >= emitted {
            let i = slot(last)
            pending.withUnsafeMutableBufferPointer { p in
                p[i].decodeTokensPerS += b / dt
                p[i].kvReadBytesPerS += it.decodeKvReadBytes / dt
                p[i].iterationsPerS += 1 / dt
            }
        }
    }

    /// Emits every remaining bin up to `bins` (exclusive).
    public mutating func finish(bins: Int) {
        emitThrough(bins)
        pending.removeAll()
    }

    /// The reference horizon: ⌊t_max/Δ⌋ + 1 bins, t_max the later of the last iteration end and the last arrival.
    public static func horizon(lastTimeS: Double) -> Int { Int((lastTimeS / binSeconds).rounded(.down)) + 1 }
}
