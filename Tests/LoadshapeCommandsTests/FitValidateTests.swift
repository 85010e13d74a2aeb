import ArgumentParser
import Foundation
import LoadshapeCore
import LoadshapeIO
import LoadshapeTesting
import Testing

@testable import LoadshapeCommands

enum MeasuredRuns {
    static let root = TestPaths.shared + "/data/measured"
    static let train = [
        "arrival_rate_qwen3-8b_a100_r2p5/a100_validate_tp1_r2p5_b1p0_s20260712_1784415659",
        "sealed_openhands_qwen3-8b_a100/a100_agentic_tp1_1784657284",
        "trace_replay_qwen3-8b_a100_cache_on/a100_trace_replay_tp1_1784416599",
        "trace_replay_smoke_qwen3-8b_a100/a100_trace_replay_tp1_1784415083",
    ].map { root + "/" + $0 }
    static let validate = [
        "arrival_pattern_qwen3-8b_a100_bursty/a100_validate_tp1_r2p5_b0p25_s20260712_1784415659",
        "sealed_openhands_qwen3-8b_a100/a100_agentic_tp1_1784657707",
    ].map { root + "/" + $0 }
}

func medians(_ dir: String) throws -> [String: [String: Double]] {
    let j = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: dir + "/validation.json")))
    return (j as! [String: Any])["medians"] as! [String: [String: Double]]
}

/// Fidelity on real measured runs (issue: step 2).
@Suite(.enabled(if: TestPaths.sharedAvailable, "../shared/data not found: fidelity on measured runs NOT checked"))
struct FitValidateTests {
    @Test func theShippedModelIsReproducedByFit() throws {
        let out = TestPaths.temporaryDirectory() + "/model.json"
        try runLoadshape(
            ["fit", "--configs", TestPaths.configs] + MeasuredRuns.train + [
                "--name", "qwen3-8b-a100-tp1", "--date", "2026-12-02", "--out", out,
            ])
        let fitted = try PowerModelRecord.decode(try JSONFields.load(out))
        let shipped = try PowerModelRecord.decode(try JSONFields.load(TestPaths.configs + "/power/qwen3-8b-a100-tp1.json"))
        guard case .dense(let a) = fitted.surface, case .dense(let b) = shipped.surface else {
            Issue.record("both must be dense surfaces")
            return
        }
        let pairs: [(Double, Double)] = [
            (a.idleW, b.idleW), (a.activeWeightFraction, b.activeWeightFraction), (a.computeUtil, b.computeUtil),
            (a.dutySqrtMemoryUtil, b.dutySqrtMemoryUtil), (a.prefillComputeUtil, b.prefillComputeUtil),
            (a.attentionMemoryUtil, b.attentionMemoryUtil),
            (fitted.timing.effFlops, shipped.timing.effFlops), (fitted.timing.effBandwidth, shipped.timing.effBandwidth),
        ]
        for (x, y) in pairs {
            #expect(abs(x - y) <= 1e-6 * Swift.max(1, abs(y)), "fitted \(x) vs shipped \(y): re-run scripts/validation")
        }
        #expect(a.meter == b.meter)
        #expect(a.idleW > 80 && a.idleW < 86, "these A100s idle at ~83 W")
        #expect(fitted.noise != nil)
    }

    @Test func heldOutRunsMeetTheBarsAndBeatEveryBaseline() throws {
        let out = TestPaths.temporaryDirectory() + "/val"
        try runLoadshape(["validate", "--configs", TestPaths.configs] + MeasuredRuns.validate + ["--out", out, "--quiet"])
        let m = try medians(out)
        let ours = try #require(m["loadshape"])
        #expect(ours["energy_error"]! <= 0.03)
        #expect(ours["acf_r2"]! >= 0.95)
        #expect(ours["one_minus_ks"]! >= 0.85)
        for baseline in ["nameplate", "mean", "flat-state"] {
            let b = try #require(m[baseline], "\(baseline) scored")
            #expect(ours["energy_error"]! < b["energy_error"]!, "\(baseline) energy")
            #expect(ours["acf_r2"]! > b["acf_r2"]!, "\(baseline) ACF R²")
            #expect(ours["one_minus_ks"]! > b["one_minus_ks"]!, "\(baseline) 1 − KS")
            #expect(ours["nrmse"]! < b["nrmse"]!, "\(baseline) NRMSE")
            #expect(ours["p95_error"]! < b["p95_error"]!, "\(baseline) P95")
        }
        for f in ["validation.csv", "validation.json"] {
            #expect(FileManager.default.fileExists(atPath: out + "/" + f))
        }
    }

    @Test func leaveOneRunOutBeatsEveryBaseline() throws {
        let out = TestPaths.temporaryDirectory() + "/loo"
        try runLoadshape(
            ["validate", "--configs", TestPaths.configs] + MeasuredRuns.train + MeasuredRuns.validate + [
                "--leave-one-out", "--timing-evaluations", "120", "--out", out, "--quiet",
            ])
        let m = try medians(out)
        let ours = try #require(m["loadshape"])
        #expect(ours["energy_error"]! <= 0.03)
        #expect(ours["acf_r2"]! >= 0.95)
        for baseline in ["nameplate", "mean", "flat-state"] {
            let b = try #require(m[baseline])
            for metric in ["energy_error", "nrmse", "p95_error"] { #expect(ours[metric]! < b[metric]!, "\(baseline) \(metric)") }
            for metric in ["acf_r2", "one_minus_ks"] { #expect(ours[metric]! > b[metric]!, "\(baseline) \(metric)") }
        }
    }

    @Test func runsOfDifferentConfigurationsCannotBeFittedTogether() {
        let h100 = MeasuredRuns.root + "/validate_qwen3-8b/h100_validate_tp1_r4p0_b1p0_s20260712_1784422665"
        #expect {
            try runLoadshape(["fit", "--configs", TestPaths.configs, MeasuredRuns.train[0], h100, "--out", "/tmp/never.json"])
        } throws: { e in "\(e)".contains("one configuration at a time") }
    }
}

@Suite struct FitInputErrorTests {
    @Test func aFolderThatIsNotARunIsNamed() throws {
        let dir = TestPaths.temporaryDirectory()
        #expect {
            try runLoadshape(["fit", "--configs", TestPaths.configs, dir, "--out", dir + "/m.json"])
        } throws: { e in "\(e)".contains("manifest.json") }
        #expect(!FileManager.default.fileExists(atPath: dir + "/m.json"))
    }
}
