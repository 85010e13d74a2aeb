import Foundation
import LoadshapeCore
import LoadshapeIO
import LoadshapeMeasured
import Testing

/// The readers against the real measured runs in ../shared/data/measured (read in place, never copied).
@Suite(.enabled(if: SharedData.available, "SKIPPED: ../shared/data not found: readers NOT checked on real runs"))
struct MeasuredRunTests {
    static func load(_ relative: String) throws -> MeasuredRun {
        try MeasuredRun.load(directory: SharedData.folder(relative))
    }

    /// Mean of a TP group's per-GPU power over its idle lead: from the origin to 1 s before the first arrival
    /// (the ShareGPT runs show a burst ~0.15 s before the first logged arrival).
    static func idleMean(_ run: MeasuredRun) -> Double? {
        guard let first = run.firstArrivalEpochS else { return nil }
        let lead = first - 1 - run.originEpochS
        guard lead >= 5 else { return nil }
        let bins = run.powerBins(binS: 1.0)
        return Descriptive.mean(Array(bins.prefix(Int(lead))))
    }

    @Test func everyRunWithAManifestLoads() throws {
        let folders = SharedData.runFolders()
        #expect(folders.count == 8, "run folders with a manifest: \(folders)")
        for dir in folders {
            let run = try MeasuredRun.load(directory: dir)
            let m = run.manifest
            let name = (dir as NSString).lastPathComponent
            #expect(m.runID == name, "\(dir): run_id")
            #expect(m.localUTCOffsetS == -25200, "\(name)")
            #expect(run.power.count == m.tp, "\(name): one series per TP GPU")
            #expect(run.power.map(\.uuid) == m.server.activeGPUUUIDs, "\(name)")
            #expect(run.otherGPUs.isEmpty, "\(name)")
            for g in run.power {
                // The harness's own count of samples per GPU.
                if let n = m.powerSamples { #expect(g.count == n, "\(name) \(g.uuid): \(g.count) samples vs manifest \(n)") }
                #expect(g.unavailableSamples == 0)
                let gaps = zip(g.epochS.dropFirst(), g.epochS).map { $0 - $1 }
                let sorted = gaps.sorted()
                #expect(abs(Descriptive.percentile(sorted: sorted, 50) - 0.25) < 0.01, "\(name): median spacing")
                #expect(sorted.first! >= 0.2 && sorted.last! < 2.5, "\(name): spacing \(sorted.first!)…\(sorted.last!)")
                #expect(g.watts.allSatisfy { $0 > 50 && $0 < 750 }, "\(name): watts in a plausible range")
            }
            // The power trace starts with the probe window (clocks aligned through the UTC offset).
            if let w = m.probeWindow {
                #expect(abs(run.originEpochS - w.startEpochS) < 1.0, "\(name): origin vs probe.window.start_epoch")
                #expect(abs(run.powerEndEpochS - w.endEpochS) < 1.5, "\(name): end vs probe.window.end_epoch")
            }
            #expect(!run.requests.isEmpty, "\(name)")
            let arrivals = run.requests.map(\.arrivalEpochS)
            #expect(arrivals.min()! > run.originEpochS - 1 && arrivals.max()! < run.powerEndEpochS, "\(name): arrivals inside the trace")
            #expect(run.checksums.keys.contains("manifest.json") && run.checksums.keys.contains("power.csv"))
            #expect(run.checksums[run.requestsFile] != nil)
            #expect(run.checksums.values.allSatisfy { $0.count == 64 && $0.allSatisfy(\.isHexDigit) })
            let bins = run.powerBins()
            let expected = Int(((run.powerEndEpochS - run.originEpochS) / 0.25).rounded(.down))
            #expect(abs(bins.count - expected) <= 1, "\(name): \(bins.count) bins")
            let schedule = run.schedule()
            #expect(schedule.count == run.requests.count)
            #expect(zip(schedule, schedule.dropFirst()).allSatisfy { $0.arrivalS <= $1.arrivalS }, "\(name): sorted")
            #expect(schedule.allSatisfy { $0.arrivalS >= 0 && $0.executedInputTokens >= 1 })
        }
    }

    @Test func shareGPTSummariesHaveTheirTotals() throws {
        for rel in [
            "arrival_rate_qwen3-8b_a100_r2p5/a100_validate_tp1_r2p5_b1p0_s20260712_1784415659",
            "arrival_pattern_qwen3-8b_a100_bursty/a100_validate_tp1_r2p5_b0p25_s20260712_1784415659",
            "validate_qwen3-8b/h100_validate_tp1_r4p0_b1p0_s20260712_1784422665",
        ] {
            let run = try Self.load(rel)
            #expect(run.requestsFile == "requests-summary.json")
            #expect(run.requests.count == 200)
            #expect(run.requests.reduce(0) { $0 + $1.inputTokens } == 66356)
            #expect(run.requests.reduce(0) { $0 + $1.outputTokens } == 42672)
            #expect(run.requests.allSatisfy { $0.meanITLS == nil && $0.cachedPromptTokens == nil })
            #expect(run.manifest.server.maxNumSeqs == 256 && run.manifest.server.maxNumBatchedTokens == 8192)
        }
    }

    @Test func idlePowerMatchesTheREADME() throws {
        var seen = 0
        for dir in SharedData.runFolders() {
            let run = try MeasuredRun.load(directory: dir)
            guard let idle = Self.idleMean(run) else { continue }
            seen += 1
            let name = (dir as NSString).lastPathComponent
            switch run.manifest.hardware {
            case "A100" where run.manifest.tp == 1:
                #expect((82.0...86.0).contains(idle), "\(name): idle \(idle) W per GPU")
            case "A100":
                // gemma TP2: one of its GPUs (…9ec165) idles at ~87.4 W, the other at ~84.9 W.
                #expect((82.0...88.0).contains(idle), "\(name): idle \(idle) W per GPU")
            case "H100":
                #expect(abs(idle - 122.7) < 1.0, "\(name): idle \(idle) W")
            default:
                Issue.record("\(name): unexpected hardware \(run.manifest.hardware)")
            }
        }
        #expect(seen == 6, "runs with an idle lead of ≥ 5 s")
    }

    @Test func busyPowerReachesPrefillLevels() throws {
        let run = try Self.load("sealed_openhands_qwen3-8b_a100/a100_agentic_tp1_1784657284")
        let bins = run.powerBins()
        #expect(bins.max()! > 450 && bins.max()! < 560)
        #expect(run.manifest.requestedIdleS == 60)
        // The 60 s idle lead.
        let first = try #require(run.firstArrivalEpochS)
        #expect(abs(first - run.originEpochS - 60) < 1)
    }

    @Test func prefixCacheHitsMatchTheManifest() throws {
        // instrumentation.prefix_cache.hit_token_increase = 1280816 for the cache-on OpenHands run.
        let on = try Self.load("sealed_openhands_qwen3-8b_a100/a100_agentic_tp1_1784657707")
        #expect(on.manifest.server.enablePrefixCaching)
        #expect(on.requests.reduce(0) { $0 + ($1.cachedPromptTokens ?? 0) } == 1_280_816)
        #expect(on.schedule().reduce(0) { $0 + $1.cachedPrefixTokens } == 1_280_816)
        #expect(on.requests.allSatisfy { $0.meanITLS != nil && $0.sessionID != nil && $0.turnIndex != nil })
        let off = try Self.load("sealed_openhands_qwen3-8b_a100/a100_agentic_tp1_1784657284")
        #expect(!off.manifest.server.enablePrefixCaching)
        #expect(off.requests.allSatisfy { $0.cachedPromptTokens == 0 })
        // The OpenHands log is in session order, not arrival order; the schedule sorts it.
        let arrivals = off.requests.map(\.arrivalEpochS)
        #expect(arrivals != arrivals.sorted())
        let traceOn = try Self.load("trace_replay_qwen3-8b_a100_cache_on/a100_trace_replay_tp1_1784416599")
        #expect(traceOn.requests.reduce(0) { $0 + ($1.cachedPromptTokens ?? 0) } == 1_467_232)
        // The replay's first request is sent ~50 ms before the first power sample: clamped to 0.
        #expect(traceOn.firstArrivalEpochS! < traceOn.originEpochS)
        #expect(traceOn.schedule().first!.arrivalS == 0)
    }

    @Test func smokeRunHasEngineCounters() throws {
        let run = try Self.load("trace_replay_smoke_qwen3-8b_a100/a100_trace_replay_tp1_1784415083")
        let engine = try #require(run.engine)
        #expect(engine.count == 26)
        #expect(engine.first!.epochS == 1784415085.5619874)  // clock.engine_first_epoch_s
        #expect(engine.first!.prefixCacheHitsTotal == 0)
        #expect(engine.allSatisfy { $0.gpuCacheUsage >= 0 && $0.gpuCacheUsage <= 1 })
        #expect(zip(engine, engine.dropFirst()).allSatisfy { $0.promptTokensTotal <= $1.promptTokensTotal })
        #expect(run.checksums["engine.csv"] != nil)
        // clock.power_first_timestamp 2026/07/18 15:51:25.606 local, UTC−7.
        #expect(abs(run.originEpochS - 1_784_415_085.606) < 1e-6)
        #expect(run.requests.count == 4)
        #expect(run.requests.allSatisfy { $0.decodeTimeS! > 0 })
    }

    @Test func tensorParallelRunAveragesItsTwoGPUs() throws {
        let run = try Self.load(
            "validate_gemma-4-26b-a4b_moe_transfer_a100/a100_validate_tp2_r4p0_b1p0_s20260712_1784415591")
        #expect(run.manifest.tp == 2 && run.power.count == 2)
        #expect(Set(run.power.map(\.index)) == [0, 1])
        let a = run.power[0]
        let b = run.power[1]
        #expect(a.count == b.count && a.epochS == b.epochS)
        // On a common sample grid the binned group mean is the mean of the per-GPU bins.
        let bins = run.powerBins(binS: 1)
        let single = MeasuredRun(
            directory: run.directory, manifest: run.manifest, power: [a], requests: [], requestsFile: "")
        let other = MeasuredRun(
            directory: run.directory, manifest: run.manifest, power: [b], requests: [], requestsFile: "")
        let ba = single.powerBins(binS: 1, originEpoch: run.originEpochS)
        let bb = other.powerBins(binS: 1, originEpoch: run.originEpochS)
        for k in bins.indices { #expect(abs(bins[k] - (ba[k] + bb[k]) / 2) < 1e-9) }
    }

    @Test func powerBinsPreserveEnergy() throws {
        let run = try Self.load("sealed_openhands_qwen3-8b_a100/a100_agentic_tp1_1784657284")
        let g = run.power[0]
        let quarter = run.powerBins(binS: 0.25)
        let second = run.powerBins(binS: 1.0)
        // 1 s bins are the means of four 0.25 s bins.
        let blocks = Descriptive.blockMeans(quarter, factor: 4)
        #expect(blocks.count == second.count)
        for k in second.indices { #expect(abs(blocks[k] - second[k]) < 1e-6) }
        // The binned energy equals the trapezoid integral of the samples over the covered span.
        var trapezoid = 0.0
        let end = g.epochS[0] + Double(quarter.count) * 0.25
        for i in 1..<g.count where g.epochS[i] <= end {
            trapezoid += (g.epochS[i] - g.epochS[i - 1]) * (g.watts[i] + g.watts[i - 1]) / 2
        }
        let last = g.epochS.lastIndex { $0 <= end }!
        if last + 1 < g.count {
            let u = (end - g.epochS[last]) / (g.epochS[last + 1] - g.epochS[last])
            let w = g.watts[last] + u * (g.watts[last + 1] - g.watts[last])
            trapezoid += (end - g.epochS[last]) * (g.watts[last] + w) / 2
        }
        let binned = quarter.reduce(0, +) * 0.25
        #expect(abs(binned - trapezoid) / trapezoid < 1e-9, "binned \(binned) J vs trapezoid \(trapezoid) J")
    }

    @Test func disaggregatedRunPowerReads() throws {
        let dir = SharedData.folder("disagg/gpt-oss-20b-a100-pd-transfer-35765103")
        var meta = try JSONFields.load(dir + "/run_metadata.json")
        var clock = try meta.object("clock")
        let offset = try clock.double("local_utc_offset_s")
        let trace = try NvidiaSmiReader.read(file: dir + "/stage-probe/power.csv", localUTCOffsetS: offset)
        #expect(trace.rows == 1446)
        #expect(trace.gpus.count == 2)
        // roles.prefill / roles.decode GPUs.
        let prefill = try #require(trace.series(uuid: "GPU-c5d32af0-0857-3b36-6541-1a688a9ec165"))
        let decode = try #require(trace.series(uuid: "GPU-713d5b24-2a1e-fd4a-7685-c3d195ff9230"))
        #expect(prefill.index == 0 && decode.index == 1)
        #expect(trace.series(index: 1)?.uuid == decode.uuid)
        #expect(prefill.count == 723 && decode.count == 723)
        #expect(abs(prefill.endEpochS! - prefill.startEpochS! - 180.5) < 0.1)
        // Traffic starts after the 30 s idle window (workload.idle_window_s).
        let start = try #require(
            Double(try String(contentsOfFile: dir + "/stage-probe/traffic_start_epoch_s", encoding: .utf8)
                .trimmingCharacters(in: .whitespacesAndNewlines)))
        #expect(abs(start - prefill.startEpochS! - 30) < 1.5)
        #expect(prefill.watts.max()! > decode.watts.max()!)
        // Its request log (lists of per-token gaps) reads too.
        let requests = try VLLMRequestLogReader.read(file: dir + "/stage-probe/requests.json")
        #expect(requests.count == 24)
        #expect(requests.allSatisfy { $0.itlCount != nil && $0.decodeTimeS! > 0 && $0.id.count == 32 })
    }

    @Test func powerOnlyRunReads() throws {
        let trace = try NvidiaSmiReader.read(
            file: SharedData.folder("burstgpt_qwen3-8b_a100/a100_trace_replay_tp1_1784416185/power.csv"),
            localUTCOffsetS: -25200)
        #expect(trace.gpus.count == 1 && trace.gpus[0].count == 452)
    }
}
