import LoadshapeCore
import LoadshapeIO
import LoadshapeTesting
import Numerics
import Testing

/// Builds servers from the shipped records.
enum Fixtures {
    static let catalog: Catalog = {
        do { return try Catalog.load(root: TestPaths.configs) } catch { fatalError("Configs/ must load: \(error)") }
    }()

    static func server(
        _ model: String, _ gpu: String, tp: Int, engine: EngineLimits = .vllmDefault, gpusPerNode: Int? = nil
    ) throws -> ServerModel {
        let r = try catalog.resolve(model: model, gpu: gpu, tp: tp, gpusPerNode: gpusPerNode, allowUnsupported: false)
        return try ServerModel(
            architecture: r.model.record, hardware: r.hardware.record, tp: tp, gpusPerNode: r.gpusPerNode,
            timing: r.powerModel.record.timing, engine: engine, surface: r.powerModel.record.surface)
    }

    /// A deterministic pseudo-random schedule.
    static func schedule(count: Int, rate: Double, seed: UInt64, maxInput: Int = 3000, maxOutput: Int = 600) -> [Request] {
        var g = Xoshiro256StarStar(seed: seed)
        var t = 0.0
        return (0..<count).map { i in
            t += Sampling.exponential(mean: 1 / rate, using: &g)
            return Request(
                id: "q\(i)", arrivalS: t, inputTokens: 1 + Int(g.nextBounded(UInt64(maxInput))),
                outputTokens: 1 + Int(g.nextBounded(UInt64(maxOutput))))
        }
    }
}

/// Records every iteration and checks invariants as they stream.
struct RecordingSink: IterationSink {
    var iterations: [IterationRecord] = []
    mutating func consume(_ it: IterationRecord) { iterations.append(it) }
}

struct CollectPower: PowerSink {
    var bins: [PowerBin] = []
    mutating func consume(_ b: PowerBin) { bins.append(b) }
}

@Suite struct SchedulerInvariantTests {
    @Test(arguments: [0.5, 4.0, 20.0])
    func tokensAreConservedAndOrderIsFCFS(rate: Double) throws {
        let server = try Fixtures.server("llama-3-8b", "A100", tp: 1)
        let reqs = Fixtures.schedule(count: 300, rate: rate, seed: 11)
        var sink = RecordingSink()
        let r = try server.simulator.run(reqs, sink: &sink)
        #expect(r.statistics.preemptions == 0)
        // Every prompt token prefilled once, every output token generated once.
        #expect(r.statistics.prefilledTokens == reqs.reduce(0) { $0 + $1.executedInputTokens })
        #expect(r.statistics.generatedTokens == reqs.reduce(0) { $0 + $1.outputTokens })
        #expect(sink.iterations.reduce(0) { $0 + $1.prefillTokens } == r.statistics.prefilledTokens)
        // FCFS: admission order follows arrival order; nothing admitted before it arrives; times are ordered.
        let order = reqs.indices.sorted { reqs[$0].arrivalS < reqs[$1].arrivalS }
        var last = -1.0
        for i in order {
            let o = r.outcomes[i]
            #expect(o.admittedS >= reqs[i].arrivalS)
            #expect(o.admittedS >= last)
            last = o.admittedS
            #expect(o.firstTokenS > o.admittedS)
            #expect(o.lastTokenS >= o.firstTokenS)
            if reqs[i].outputTokens == 1 { #expect(o.lastTokenS == o.firstTokenS) }
        }
        // Iterations never overlap and the token budget holds.
        for (a, b) in zip(sink.iterations, sink.iterations.dropFirst()) { #expect(b.t0 >= a.t1) }
        for it in sink.iterations {
            #expect(it.prefillTokens + it.decodeBatch <= 2048)
            #expect(it.decodeBatch <= 256)
        }
        #expect(r.statistics.maxKvUsedTokens <= r.kvCapacityTokens)
    }

    @Test func kvCapacityIsNeverExceededUnderPressure() throws {
        // A tiny KV cache: 8B on one A100 with 21% of HBM leaves ~0.8 GB (~6,000 tokens) for KV.
        let engine = EngineLimits(maxNumSeqs: 256, maxNumBatchedTokens: 2048, gpuMemoryUtilization: 0.21)
        let server = try Fixtures.server("llama-3-8b", "A100", tp: 1, engine: engine)
        let cap = server.simulator.kvCapacityTokens
        #expect(cap > 3000 && cap < 10_000)
        let reqs = Fixtures.schedule(count: 120, rate: 50, seed: 5, maxInput: 1500, maxOutput: 1200)
        var sink = RecordingSink()
        let r = try server.simulator.run(reqs, sink: &sink)
        #expect(r.statistics.maxKvUsedTokens <= cap)
        #expect(r.statistics.preemptions > 0, "the cache must bind in this case")
        #expect(r.statistics.generatedTokens == reqs.reduce(0) { $0 + $1.outputTokens })
        for (q, o) in zip(reqs, r.outcomes) { #expect(o.lastTokenS.isFinite, "request \(q.id) finished") }
    }

    @Test func aPromptLargerThanTheCacheIsAnErrorNamingTheRequest() throws {
        let engine = EngineLimits(maxNumSeqs: 256, maxNumBatchedTokens: 2048, gpuMemoryUtilization: 0.21)
        let server = try Fixtures.server("llama-3-8b", "A100", tp: 1, engine: engine)
        let reqs = [
            Request(id: "ok", arrivalS: 0, inputTokens: 100, outputTokens: 10),
            Request(id: "huge-prompt", arrivalS: 1, inputTokens: 50_000, outputTokens: 10),
        ]
        var sink = RecordingSink()
        #expect {
            _ = try server.simulator.run(reqs, sink: &sink)
        } throws: { e in
            (e as? ModelError)?.message.contains("huge-prompt") == true
        }
    }

    @Test func invalidRequestsAreRejected() throws {
        let server = try Fixtures.server("llama-3-8b", "A100", tp: 1)
        var sink = RecordingSink()
        for bad in [
            Request(id: "neg", arrivalS: -1, inputTokens: 1, outputTokens: 1),
            Request(id: "zero-out", arrivalS: 0, inputTokens: 1, outputTokens: 0),
            Request(id: "cache", arrivalS: 0, inputTokens: 10, outputTokens: 1, cachedPrefixTokens: 10),
        ] {
            #expect(throws: ModelError.self) { _ = try server.simulator.run([bad], sink: &sink) }
        }
    }

    @Test func modelsThatDoNotFitAreRejected() {
        #expect(throws: ModelError.self) { _ = try Fixtures.server("llama-3-70b", "A100", tp: 1) }
    }
}

/// Spot values of the roofline and the dense surface (reference-method.md §3.3, steady state, busy = 1).
@Suite struct RooflineSpotTests {
    /// Per-GPU power of a bin filled with back-to-back copies of `it`.
    static func steadyPower(_ server: ServerModel, _ it: IterationRecord) -> Double {
        var bin = LedgerBin(index: 0)
        let d = it.duration
        bin.busy = 1
        bin.decodeDuty = it.decodeBatch > 0 ? 1 : 0
        bin.prefillDuty = it.prefillTokens > 0 ? 1 : 0
        bin.decodeBatch = Double(it.decodeBatch)
        bin.weightReadBytesPerS = it.weightBytes / d
        bin.gemmFlopsPerS = it.gemmFlops / d
        bin.attentionFlopsPerS = it.attentionFlops / d
        bin.attentionBytesPerS = it.attentionBytes / d
        var p = PowerSynthesizer(
            sink: CollectPower(), surface: server.surface, architecture: server.architecture,
            hardware: server.hardware, tp: server.tp, gpusPerNode: server.tp)
        for _ in 0..<8 { p.consume(bin) }  // past any meter delay and averaging
        return p.sink.bins.last!.gpuW
    }

    @Test(arguments: [
        // model, gpu, tp, batch, expected ms, expected W/GPU
        ("llama-3-70b", "A100", 8, 1, 20.4, 255.0), ("llama-3-70b", "A100", 8, 128, 37.9, 285.0),
        ("llama-3-70b", "A100", 4, 1, 30.1, 303.0), ("llama-3-70b", "A100", 4, 32, 35.1, 325.0),
        ("llama-3-70b", "H100", 4, 1, 17.8, 445.0), ("llama-3-70b", "H100", 8, 128, 18.8, 466.0),
        ("llama-3-8b", "A100", 1, 1, 12.1, 288.0), ("llama-3-8b", "H100", 1, 1, 7.45, 435.0),
        ("llama-3-8b", "H100", 2, 128, 12.4, 432.0),
    ])
    func decode(model: String, gpu: String, tp: Int, batch: Int, ms: Double, watts: Double) throws {
        let s = try Fixtures.server(model, gpu, tp: tp)
        let it = s.simulator.cost.decodeIterationTime(batch: batch, context: 1000)
        #expect((it.duration * 1000).isApproximatelyEqual(to: ms, relativeTolerance: 0.02), "\(it.duration * 1000) ms")
        let w = Self.steadyPower(s, it)
        #expect(w.isApproximatelyEqual(to: watts, relativeTolerance: 0.01), "\(w) W")
    }

    @Test(arguments: [
        ("llama-3-70b", "A100", 8, 169.0, 350.0), ("llama-3-70b", "H100", 4, 132.0, 713.0),
        ("llama-3-8b", "A100", 1, 136.0, 357.0),
    ])
    func prefillChunk(model: String, gpu: String, tp: Int, ms: Double, watts: Double) throws {
        let s = try Fixtures.server(model, gpu, tp: tp)
        let it = s.simulator.cost.prefillIterationTime(tokens: 2048)
        #expect((it.duration * 1000).isApproximatelyEqual(to: ms, relativeTolerance: 0.02), "\(it.duration * 1000) ms")
        let w = Self.steadyPower(s, it)
        #expect(w.isApproximatelyEqual(to: watts, relativeTolerance: 0.02), "\(w) W")
    }

    @Test func idleGPUsOutsideTheTPGroupDrawIdlePower() throws {
        let s = try Fixtures.server("llama-3-8b", "A100", tp: 1, gpusPerNode: 8)
        let reqs = Fixtures.schedule(count: 20, rate: 1, seed: 2)
        let run = try s.run(reqs, noiseSeed: nil, sink: CollectPower())
        let idle = s.surface.idleW
        for b in run.sink.bins {
            #expect((b.nodeGpuW - b.gpuW).isApproximatelyEqual(to: 7 * idle, absoluteTolerance: 1e-9))
        }
    }
}

@Suite struct LedgerTests {
    @Test func busyTimeIsConservedAndTheHorizonIsTheReferences() throws {
        let s = try Fixtures.server("llama-3-70b", "A100", tp: 8)
        let reqs = Fixtures.schedule(count: 150, rate: 2, seed: 3)
        var rec = RecordingSink()
        _ = try s.simulator.run(reqs, sink: &rec)
        let run = try s.run(reqs, noiseSeed: nil, sink: CollectPower())
        let busyS = run.sink.bins.reduce(0.0) { $0 + $1.busy } * 0.25
        let iterS = rec.iterations.reduce(0.0) { $0 + $1.duration }
        #expect(busyS.isApproximatelyEqual(to: iterS, relativeTolerance: 1e-9))
        let tMax = max(rec.iterations.last!.t1, reqs.map(\.arrivalS).max()!)
        #expect(run.bins == Int((tMax / 0.25).rounded(.down)) + 1)
        #expect(run.sink.bins.map(\.index) == Array(0..<run.bins))
        for b in run.sink.bins {
            #expect(b.busy >= 0 && b.busy <= 1 + 1e-9)
            #expect(b.prefillDuty <= b.busy + 1e-9)
        }
    }

    @Test func anExplicitHorizonPadsWithIdleAndTruncates() throws {
        let s = try Fixtures.server("llama-3-8b", "H100", tp: 1)
        let reqs = Fixtures.schedule(count: 10, rate: 1, seed: 4)
        let long = try s.run(reqs, noiseSeed: nil, horizonBins: 2000, sink: CollectPower())
        #expect(long.sink.bins.count == 2000)
        #expect(long.sink.bins.last!.state == .idle)
        let short = try s.run(reqs, noiseSeed: nil, horizonBins: 12, sink: CollectPower())
        #expect(short.sink.bins.count == 12)
        #expect(short.sink.bins == Array(long.sink.bins.prefix(12)))
    }
}

@Suite struct NoiseTests {
    static let model = StateNoiseModel(
        idle: StateResidual(phi: 0.5, sigmaW: 2, quantiles: [-2, -1, 0, 1, 2]),
        decode: StateResidual(phi: 0.9, sigmaW: 10, quantiles: [-1.5, -0.5, 0, 0.5, 3]),
        prefill: StateResidual(phi: 0.3, sigmaW: 40, quantiles: [-1, -0.5, 0, 1, 4]))

    @Test func fluctuationIsSeededZeroMeanAndAutocorrelated() {
        var a = StateNoiseProcess(model: Self.model, seed: 1)
        var b = StateNoiseProcess(model: Self.model, seed: 1)
        var xs: [Double] = []
        for _ in 0..<100_000 {
            let x = a.next(state: .decode)
            #expect(x == b.next(state: .decode))
            xs.append(x)
        }
        let m = xs.reduce(0, +) / Double(xs.count)
        let v = xs.map { ($0 - m) * ($0 - m) }.reduce(0, +) / Double(xs.count)
        var c1 = 0.0
        for i in 1..<xs.count { c1 += (xs[i] - m) * (xs[i - 1] - m) }
        #expect(abs(m) < 0.3)
        #expect(v.squareRoot().isApproximatelyEqual(to: 10, relativeTolerance: 0.05))
        #expect((c1 / Double(xs.count) / v).isApproximatelyEqual(to: 0.9, relativeTolerance: 0.02))
    }
}
