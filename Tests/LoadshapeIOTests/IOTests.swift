import Foundation
import LoadshapeCore
import LoadshapeIO
import LoadshapeTesting
import Testing

@Suite struct CatalogTests {
    @Test func everyShippedRecordLoads() throws {
        let c = try Catalog.load(root: TestPaths.configs)
        let models = Set(c.models.map(\.record.name))
        for m in [
            "llama-3-8b", "llama-3-70b", "llama-3-405b", "deepseek-r1-distill-8b", "deepseek-r1-distill-70b", "qwen3-8b",
            "gpt-oss-20b", "gpt-oss-120b",
        ] {
            #expect(models.contains(m), "missing model record \(m)")
        }
        #expect(Set(c.hardware.map(\.record.name)) == ["A100-80GB", "H100-80GB"])
        #expect(c.powerModels.count >= 4)
        #expect(try c.hardware(named: "h100").record.tdpW == 700)
    }

    @Test func resolvesSupportAndRefusesUnsupportedCombinations() throws {
        let c = try Catalog.load(root: TestPaths.configs)
        let ok = try c.resolve(model: "llama-3-70b", gpu: "A100", tp: 8, allowUnsupported: false)
        #expect(ok.supportStatus == "supported")
        #expect(ok.powerModel.record.name == "reference-dense-a100")
        let moe = try c.resolve(model: "gpt-oss-20b", gpu: "A100", tp: 1, allowUnsupported: false)
        #expect(moe.powerModel.record.name == "reference-moe-gpt-oss-20b")
        #expect {
            _ = try c.resolve(model: "gpt-oss-20b", gpu: "H100", tp: 1, allowUnsupported: false)
        } throws: { e in
            (e as? IOError)?.message.contains("--allow-unsupported") == true
        }
        let x = try c.resolve(model: "gpt-oss-20b", gpu: "H100", tp: 1, allowUnsupported: true)
        #expect(x.supportStatus == "unsupported_extrapolation")
        #expect(!x.violations.isEmpty)
        #expect(throws: IOError.self) { _ = try c.resolve(model: "llama-3-70b", gpu: "A100", tp: 16, allowUnsupported: true) }
        #expect(throws: IOError.self) { _ = try c.resolve(model: "no-such-model", gpu: "A100", tp: 1, allowUnsupported: true) }
        #expect(throws: IOError.self) { _ = try c.resolve(model: "llama-3-8b", gpu: "TPU", tp: 1, allowUnsupported: true) }
    }

    /// Copies Configs/ to a temporary folder, applies `edit` to one file's JSON text, and loads it.
    func loadEdited(_ file: String, _ edit: (String) -> String) throws -> Catalog {
        let dir = TestPaths.temporaryDirectory()
        try FileManager.default.copyItem(atPath: TestPaths.configs, toPath: dir + "/Configs")
        let path = dir + "/Configs/" + file
        let text = try String(contentsOfFile: path, encoding: .utf8)
        try edit(text).write(toFile: path, atomically: true, encoding: .utf8)
        return try Catalog.load(root: dir + "/Configs")
    }

    @Test(arguments: [
        ("models/llama-3-8b.json", "\"d_model\": 4096", "\"d_model\": -4", "d_model"),
        ("models/llama-3-8b.json", "\"n_layers\": 32", "\"n_layers\": \"many\"", "n_layers"),
        ("models/llama-3-8b.json", "\"kind\": \"dense\"", "\"kind\": \"sparse\"", "kind"),
        ("models/llama-3-8b.json", "\"head_dim\": 128,", "\"head_dim\": 128, \"colour\": 1,", "colour"),
        ("hardware/A100-80GB.json", "\"tdp_w\": 400", "\"tdp_w\": 0", "tdp_w"),
        ("hardware/A100-80GB.json", "\"idle\": 63", "\"idle\": -63", "flat_state_w.idle"),
        ("power/reference-dense-a100.json", "\"eff_flops\": 0.72", "\"eff_flops\": 1.72", "timing.eff_flops"),
        ("power/reference-dense-a100.json", "\"delay_bins\": 0", "\"delay_bins\": 1.5", "surface.meter.delay_bins"),
        ("power/reference-dense-a100.json", "\"hardware\": \"A100-80GB\"", "\"hardware\": \"B200\"", "hardware"),
        ("power/reference-dense-a100.json", "{", "{{", "not valid JSON"),
    ])
    func malformedRecordsNameTheFileAndField(file: String, find: String, replace: String, field: String) {
        #expect {
            _ = try loadEdited(file) { $0.replacingOccurrences(of: find, with: replace) }
        } throws: { e in
            guard let m = (e as? IOError)?.message else { return false }
            return m.contains(file.split(separator: "/").last!) && m.contains(field)
        }
    }
}

@Suite struct TimestampTests {
    @Test func formatsAndParsesLikeFoundation() {
        let f = ISO8601DateFormatter()
        f.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        f.timeZone = TimeZone(identifier: "UTC")
        for ms: Int64 in [0, 250, 1_715_817_600_000, 1_735_689_599_750, 951_782_400_000, -86_400_000, 4_102_444_800_000] {
            let ours = UTCTimestamp.format(epochMillis: ms)
            let theirs = f.string(from: Date(timeIntervalSince1970: Double(ms) / 1000))
            #expect(ours == theirs)
            #expect(UTCTimestamp.parse(ours) == ms)
        }
        #expect(UTCTimestamp.parse("2025-01-01T00:00:00Z") == 1_735_689_600_000)
        #expect(UTCTimestamp.parse("2025-01-01") == 1_735_689_600_000)
        #expect(UTCTimestamp.parse("2025-13-01T00:00:00Z") == nil)
        #expect(UTCTimestamp.parse("tomorrow") == nil)
    }
}

@Suite struct OutputDirectoryTests {
    @Test func nothingAppearsUntilCommit() throws {
        let base = TestPaths.temporaryDirectory()
        let out = base + "/run"
        do {
            let d = try OutputDirectory(path: out)
            try "x".write(toFile: d.file("a.csv"), atomically: true, encoding: .utf8)
            #expect(!FileManager.default.fileExists(atPath: out))
            d.discard()
        }
        #expect(!FileManager.default.fileExists(atPath: out))
        #expect(try FileManager.default.contentsOfDirectory(atPath: base).isEmpty)
        let d = try OutputDirectory(path: out)
        try "y".write(toFile: d.file("a.csv"), atomically: true, encoding: .utf8)
        try d.commit()
        #expect(try String(contentsOfFile: out + "/a.csv", encoding: .utf8) == "y")
        #expect(try FileManager.default.contentsOfDirectory(atPath: base) == ["run"])
    }
}
