import Foundation
import LoadshapeTesting
import Testing

@testable import LoadshapeCommands

#if canImport(FoundationXML)
    import FoundationXML
#endif

/// A small study: 2 rows, each a 1-server rack and a 2-server rack of llama-3-8b on A100, 20 minutes.
enum TinyStudy {
    static let yaml = spec(duration: "20m")

    /// The spec for `duration`, with `extra` lines under `outputs:`.
    static func spec(duration: String, outputs extra: String = "") -> String {
        """
        schema: loadshape-study-v1
        name: tiny
        start: 2024-05-16T00:00:00Z
        duration: \(duration)
        seed: 7
        analyses:
          power_caps_w_per_gpu: [300]
        outputs:
          site: [1s, 1min, 15min]
          rows: [1min]
          racks: [1min]
        \(extra)
        sites:
          - name: tiny
            timezone: UTC
            pue: 1.3
            traffic:
              profile: azure-conv-2023
              mean_rate_per_s: 3
            rows:
              - name: row
                count: 2
                limit_kw: 12
                racks:
                  - name: solo
                    servers: 1
                    model: llama-3-8b
                    gpu: A100
                    tp: 1
                    non_gpu_w: 500
                  - name: pair
                    servers: 2
                    model: llama-3-8b
                    gpu: A100
                    tp: 1
                    non_gpu_w: 500

        """
    }

    /// Writes the spec (default: ``yaml``) into a fresh folder and returns (folder, spec path).
    static func write(_ text: String = yaml) -> (String, String) {
        let dir = TestPaths.temporaryDirectory("loadshape-tiny")
        let spec = dir + "/tiny.yaml"
        FileManager.default.createFile(atPath: spec, contents: Data(text.utf8))
        return (dir, spec)
    }
}

/// Every inline SVG of an HTML page.
func svgs(_ html: String) -> [String] {
    var out: [String] = []
    var rest = html[...]
    while let a = rest.range(of: "<svg "), let b = rest.range(of: "</svg>", range: a.upperBound..<rest.endIndex) {
        out.append(String(rest[a.lowerBound..<b.upperBound]))
        rest = rest[b.upperBound...]
    }
    return out
}

@Suite struct ReportCommandTests {
    @Test func siteWithReportDrawsEveryAnalysis() throws {
        let (dir, spec) = TinyStudy.write()
        let out = dir + "/out"
        try runLoadshape(["site", "--configs", TestPaths.configs, spec, "--out", out, "--quiet", "--report"])
        let html = try read(out + "/report.html")
        for part in [
            "Loadshape site report: tiny", "Site power", "Every level and resolution", "tiny: power at 1s", "tiny: power at 1min", "tiny: rows (IT) at 1min",
            "tiny: racks (IT) at 1min", "Load-duration curve", "Smoothing across levels", "one server (re-simulated)",
            "racks admitted vs row limit", "coincident peak of n racks", "peaks and mean by method", "Power capping",
            "output files match the SHA-256 the manifest recorded", "time (UTC), interval start", "power (kW)", "2024-05-16",
        ] {
            #expect(html.contains(part), "report lacks '\(part)'")
        }
        #expect(!html.contains("class=\"note\""), "no remark expected: the spec is where the study ran")
        let figures = svgs(html)
        #expect(figures.count >= 10)
        for f in figures { #expect(XMLParser(data: Data(f.utf8)).parse(), "an SVG is not well-formed") }
        #expect(!html.contains("<script"))
    }

    @Test func theReSimulatedServerIsTheServerOfTheStudy() throws {
        let (dir, spec) = TinyStudy.write()
        let out = dir + "/out"
        try runLoadshape(["site", "--configs", TestPaths.configs, spec, "--out", out, "--quiet"])
        let details = try StudyDetailsFromSpec.plain(specPath: spec, configs: TestPaths.configs)
        #expect(details.rackServers["tiny"] == [1, 2, 1, 2] && details.rowServers["tiny"] == [3, 3])
        let server = try #require(details.serverITW["tiny"])
        #expect(server.count == 20 * 60 * 4)
        // The solo rack of row 1 holds exactly server 0: its 1-minute IT power is the server's.
        let rack = csvColumn(try read(out + "/racks-tiny-1min.csv"), "row-01:solo_it_kw").compactMap(Double.init)
        var mine: [Double] = []
        for i in stride(from: 0, to: server.count, by: 240) {
            let block = server[i..<Swift.min(i + 240, server.count)]
            mine.append(block.reduce(0.0, +) / Double(block.count) / 1000)
        }
        #expect(rack.count == mine.count && rack.count == 20)
        for (a, b) in zip(rack, mine) { #expect(Swift.abs(a - b) < 2e-6, "rack \(a) kW vs re-simulated server \(b) kW") }
    }

    @Test func aReportAwayFromTheSpecSaysWhyTheServerLevelIsMissing() throws {
        let (dir, spec) = TinyStudy.write()
        let out = dir + "/out"
        try runLoadshape(["site", "--configs", TestPaths.configs, spec, "--out", out, "--quiet"])
        try (TinyStudy.yaml + "# edited\n").write(toFile: spec, atomically: true, encoding: .utf8)
        try runLoadshape(["report", "--configs", TestPaths.configs, out, "--out", dir + "/r.html", "--quiet"])
        let html = try read(dir + "/r.html")
        #expect(html.contains("has changed since the run"))
        #expect(!html.contains("one server (re-simulated)"))
        #expect(html.contains("Smoothing across levels"))
    }

    @Test func aChangedOutputIsFlagged() throws {
        let (dir, spec) = TinyStudy.write()
        let out = dir + "/out"
        try runLoadshape(["site", "--configs", TestPaths.configs, spec, "--out", out, "--quiet"])
        let f = out + "/utility-8760-tiny.csv"
        try (try read(f) + "1.0\n").write(toFile: f, atomically: true, encoding: .utf8)
        try runLoadshape(["report", "--configs", TestPaths.configs, out, "--quiet"])
        #expect(try read(out + "/report.html").contains("utility-8760-tiny.csv (changed since the run)"))
    }

    @Test func aMalformedOutputFailsWithFileAndLine() throws {
        let (dir, spec) = TinyStudy.write()
        let out = dir + "/out"
        try runLoadshape(["site", "--configs", TestPaths.configs, spec, "--out", out, "--quiet"])
        let f = out + "/rows-tiny-1min.csv"
        var lines = try read(f).split(separator: "\n").map(String.init)
        lines[3] = lines[3].replacingOccurrences(of: ",", with: ",x", options: [], range: lines[3].range(of: ","))
        try (lines.joined(separator: "\n") + "\n").write(toFile: f, atomically: true, encoding: .utf8)
        #expect { try runLoadshape(["report", out, "--quiet"]) } throws: { e in
            "\(e)".contains("rows-tiny-1min.csv:4: field 'row-01_it_kw'") && "\(e)".contains("is not a number")
        }
    }

    @Test func generateWithReport() throws {
        let out = TestPaths.temporaryDirectory() + "/run"
        try runLoadshape(["generate", "--configs", TestPaths.configs, "--duration", "3m", "--out", out, "--quiet", "--report"])
        let html = try read(out + "/report.html")
        for part in ["Loadshape server report: qwen3-8b", "Node GPU power at 250 ms", "Load-duration curve", "Latency distributions", "operating state", "seed"] {
            #expect(html.contains(part), "report lacks '\(part)'")
        }
        for f in svgs(html) { #expect(XMLParser(data: Data(f.utf8)).parse()) }
    }

    @Test func reportOfSomethingElseSuggestsTheFix() {
        let dir = TestPaths.temporaryDirectory()
        #expect { try runLoadshape(["report", dir]) } throws: { e in
            "\(e)".contains("neither manifest.json") && "\(e)".contains("--out folders")
        }
    }
}

@Suite(.enabled(if: TestPaths.sharedAvailable, "../shared/data not found: the validate report is NOT checked"))
struct ValidateReportTests {
    @Test func validateWithReportDrawsEveryRun() throws {
        let out = TestPaths.temporaryDirectory() + "/val"
        try runLoadshape(["validate", "--configs", TestPaths.configs] + MeasuredRuns.validate + ["--out", out, "--quiet", "--report"])
        let html = try read(out + "/report.html")
        #expect(html.contains("Loadshape validation report: qwen3-8b-a100-tp1"))
        for run in MeasuredRuns.validate.map({ ($0 as NSString).lastPathComponent }) {
            #expect(html.contains("Run \(run)"))
        }
        for caption in ["the measured trace and the replay", "Empirical CDFs; 1 − KS", "Autocorrelation of the 1 s series"] {
            #expect(html.components(separatedBy: caption).count - 1 == 2, "one '\(caption)' figure per run")
        }
        for f in svgs(html) { #expect(XMLParser(data: Data(f.utf8)).parse()) }
    }
}
