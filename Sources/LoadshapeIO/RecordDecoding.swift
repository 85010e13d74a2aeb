import Foundation
import LoadshapeCore

/// Decoders from the JSON files under `Configs/` into the core's records, validating every field.
public enum RecordDecoding {
    public static func hardware(_ f: JSONFields) throws(IOError) -> HardwareRecord {
        var f = f
        _ = try f.string("schema", allowed: ["loadshape-hardware-v1"])
        let name = try f.string("name")
        let aliases = try f.strings("aliases", default: [])
        let flops = try f.double("peak_dense_bf16_flops_per_s", above: 0)
        let bw = try f.double("hbm_bandwidth_bytes_per_s", above: 0)
        let cap = try f.double("hbm_capacity_bytes", above: 0)
        let tdp = try f.double("tdp_w", above: 0)
        var flat = try f.object("flat_state_w")
        let fs = HardwareRecord.FlatStateWatts(
            idle: try flat.double("idle", min: 0), prefill: try flat.double("prefill", min: 0),
            decode: try flat.double("decode", min: 0))
        try flat.finish()
        _ = try f.string("provenance")
        try f.finish()
        return HardwareRecord(
            name: name, aliases: aliases, peakDenseBF16FlopsPerS: flops, hbmBandwidthBytesPerS: bw,
            hbmCapacityBytes: cap, tdpW: tdp, flatStateW: fs)
    }

    public static func architecture(_ f: JSONFields) throws(IOError) -> ArchitectureRecord {
        var f = f
        _ = try f.string("schema", allowed: ["loadshape-architecture-v1"])
        let name = try f.string("name")
        let aliases = try f.strings("aliases", default: [])
        let kindS = try f.string("kind", allowed: ["dense", "moe"])
        let kind: ArchitectureRecord.Kind = kindS == "moe" ? .moe : .dense
        let family = try f.string("family")
        let d = try f.int("d_model", min: 1)
        let layers = try f.int("n_layers", min: 1)
        let kv = try f.int("n_kv_heads", min: 1)
        let hd = try f.int("head_dim", min: 1)
        let active = try f.double("active_params", above: 0)
        let wb = try f.double("weight_bytes", above: 0)
        let trP = try f.optionalDouble("transformer_active_params", min: 0)
        let trB = try f.optionalDouble("transformer_weight_bytes", min: 0)
        let hP = try f.optionalDouble("output_head_params", min: 0)
        let hB = try f.optionalDouble("output_head_weight_bytes", min: 0)
        let eP = try f.optionalDouble("input_embedding_params", min: 0)
        let eB = try f.optionalDouble("input_embedding_weight_bytes", min: 0)
        let fp8 = try f.bool("fp8", default: false)
        let fp8f = try f.optionalDouble("fp8_flop_fraction", min: 0, max: 1)
        let experts = try f.optionalInt("n_experts", min: 1, default: 1)
        let topK = try f.optionalInt("top_k", min: 1, default: 1)
        let moeF = try f.optionalDouble("moe_fraction", min: 0, max: 1) ?? 0
        let swa = try f.optionalInt("swa_window", min: 0, default: 0)
        _ = try f.string("provenance")
        try f.finish()
        if topK > experts { throw f.fail("top_k", "exceeds n_experts (\(experts))") }
        if kind == .moe && experts < 2 { throw f.fail("n_experts", "a moe record needs at least 2 experts") }
        let comps = [trP, trB, hP, hB, eP, eB]
        if kind == .dense && comps.contains(where: { $0 == nil }) && comps.contains(where: { $0 != nil }) {
            throw f.fail(
                "transformer_active_params",
                "dense component figures come as a set: transformer_active_params, transformer_weight_bytes, "
                    + "output_head_params, output_head_weight_bytes, input_embedding_params, input_embedding_weight_bytes")
        }
        return ArchitectureRecord(
            name: name, aliases: aliases, kind: kind, family: family, dModel: d, nLayers: layers, nKvHeads: kv,
            headDim: hd, activeParams: active, weightBytes: wb, transformerActiveParams: trP,
            transformerWeightBytes: trB, outputHeadParams: hP, outputHeadWeightBytes: hB, inputEmbeddingParams: eP,
            inputEmbeddingWeightBytes: eB, fp8: fp8, fp8FlopFraction: fp8f, nExperts: experts, topK: topK,
            moeFraction: moeF, swaWindow: swa)
    }

    public static func timing(_ f: JSONFields) throws(IOError) -> TimingParameters {
        var f = f
        let ef = try f.double("eff_flops", above: 0)
        let eb = try f.double("eff_bandwidth", above: 0)
        if ef > 1 { throw f.fail("eff_flops", "must be ≤ 1, got \(ef)") }
        if eb > 1 + 1e-9 { throw f.fail("eff_bandwidth", "must be ≤ 1, got \(eb)") }
        let base = try f.double("base_overhead_s", min: 0, max: 1)
        var pm = try f.object("per_message_s")
        var per: [String: Double] = [:]
        for k in pm.keys {
            guard let tp = Int(k), tp >= 1 else { throw pm.fail(k, "keys must be TP degrees (1, 2, 4, 8, ...)") }
            per[String(tp)] = try pm.double(k, min: 0, max: 0.1)
        }
        try pm.finish()
        if per.isEmpty { throw f.fail("per_message_s", "needs at least one TP degree") }
        let sample = try f.double("per_token_sample_s", min: 0, max: 0.1)
        let ftok = try f.double("first_token_overhead_s", min: 0, max: 10)
        let fp8 = try f.optionalDouble("fp8_stream_scale", min: 0.01, max: 10)
        try f.finish()
        return TimingParameters(
            effFlops: ef, effBandwidth: eb, baseOverheadS: base, perMessageS: per, perTokenSampleS: sample,
            firstTokenOverheadS: ftok, fp8StreamScale: fp8)
    }

    public static func surface(_ f: JSONFields) throws(IOError) -> PowerSurface {
        var f = f
        let kind = try f.string("kind", allowed: ["dense", "moe"])
        let idle = try f.double("idle_w", min: 0, max: 2000)
        if kind == "dense" {
            let a = try f.double("active_weight_fraction", min: 0)
            let c = try f.double("compute_util", min: 0)
            let m = try f.double("duty_sqrt_memory_util", min: 0)
            let pc = try f.optionalDouble("prefill_compute_util", min: 0) ?? 0
            let am = try f.optionalDouble("attention_memory_util", min: 0) ?? 0
            var meter = try f.object("meter")
            let r = MeterResponse(
                delayBins: try meter.int("delay_bins", min: 0, max: 40),
                averageBins: try meter.int("average_bins", min: 0, max: 400))
            try meter.finish()
            try f.finish()
            return .dense(
                DenseSurface(
                    idleW: idle, activeWeightFraction: a, computeUtil: c, dutySqrtMemoryUtil: m, prefillComputeUtil: pc, attentionMemoryUtil: am,
                    meter: r))
        }
        let s = MoESurface(
            idleW: idle, multiGpuFloor: try f.double("multi_gpu_floor", min: 0),
            logicalMemoryUtilLag: try f.double("logical_memory_util_lag", min: 0),
            dutySqrtExactComputeUtil: try f.double("duty_sqrt_exact_compute_util", min: 0),
            engineIterationsRate: try f.double("engine_iterations_rate", min: 0),
            logDecodeBatch: try f.double("log_decode_batch", min: 0))
        try f.finish()
        return .moe(s)
    }

    public static func noise(_ f: JSONFields) throws(IOError) -> StateNoiseModel {
        var f = f
        func state(_ key: String) throws(IOError) -> StateResidual {
            var s = try f.object(key)
            let r = StateResidual(
                phi: try s.double("phi", min: 0, max: 0.999999), sigmaW: try s.double("sigma_w", min: 0),
                quantiles: try s.doubles("quantiles"))
            if let p = r.problem() { throw s.fail("quantiles", p) }
            _ = s.raw("samples")
            try s.finish()
            return r
        }
        let m = StateNoiseModel(idle: try state("idle"), decode: try state("decode"), prefill: try state("prefill"))
        _ = f.raw("native_dt_s")
        try f.finish()
        return m
    }
}
