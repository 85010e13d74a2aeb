import Foundation
import LoadshapeCore
import LoadshapeIO
import LoadshapeWorkload
import Testing

@testable import LoadshapeMeasured

/// The readers on small inline inputs: formats they accept, and errors that name the file and line or field.
@Suite struct ReaderTests {
    /// Expects `body` to throw an IOError whose message contains every one of `parts`.
    func expectError(_ parts: [String], sourceLocation: SourceLocation = #_sourceLocation, _ body: () throws -> Void) {
        var m = ""
        do {
            try body()
        } catch let e as IOError {
            m = e.message
        } catch {
            Issue.record("not an IOError: \(error)", sourceLocation: sourceLocation)
            return
        }
        #expect(!m.isEmpty, "no error thrown", sourceLocation: sourceLocation)
        for p in parts { #expect(m.contains(p), "'\(p)' not in: \(m)", sourceLocation: sourceLocation) }
    }

    // MARK: nvidia-smi

    static let smi =
        "timestamp, index, uuid, power.draw [W], clocks.sm [MHz], utilization.gpu [%]\r\n"
        + "2026/07/18 15:51:25.606, 0, GPU-aaaa, 84.84 W, 1410 MHz, 0 %\r\n"
        + "2026/07/18 15:51:25.606, 1, GPU-bbbb, 90.00 W, 1410 MHz, 0 %\r\n"
        + "2026/07/18 15:51:25.856, 0, GPU-aaaa, [N/A], 1410 MHz, 68 %\r\n"
        + "2026/07/18 15:51:25.856, 1, GPU-bbbb, 496.09 W, [N/A], 68 %\r\n"
        + "\r\n"
        + "2026/07/18 15:51:26.106, 0, GPU-aaaa, 287.77 W, 1410 MHz, 64 %\r\n"

    @Test func nvidiaSmiWithUnitsSpacesCRLFAndNA() throws {
        let t = try NvidiaSmiReader.parse(Self.smi, file: "p.csv", localUTCOffsetS: -25200)
        #expect(t.rows == 5)
        #expect(t.gpus.map(\.uuid) == ["GPU-aaaa", "GPU-bbbb"])
        let a = try #require(t.series(uuid: "GPU-aaaa"))
        #expect(a.index == 0 && a.watts == [84.84, 287.77] && a.unavailableSamples == 1)
        // 2026-07-18 15:51:25.606 at UTC−7.
        #expect(abs(a.epochS[0] - 1_784_415_085.606) < 1e-6)
        #expect(abs(a.epochS[1] - a.epochS[0] - 0.5) < 1e-6)
        #expect(t.series(index: 1)?.watts == [90, 496.09])
    }

    @Test func nvidiaSmiNoUnitsLFAndColumnOrder() throws {
        let text = "uuid,power.draw [W],index,timestamp\nGPU-x,70.1,3,2024/02/29 00:00:00\nGPU-x,71,3,2024/02/29 00:00:00.5"
        let t = try NvidiaSmiReader.parse(text, file: "p.csv", localUTCOffsetS: 3600)
        let g = try #require(t.series(index: 3))
        // 2024-02-29 00:00 UTC is 1709164800; at UTC+1 the epoch is an hour earlier.
        #expect(g.epochS == [1_709_161_200, 1_709_161_200.5])
        #expect(g.watts == [70.1, 71])
    }

    @Test func nvidiaSmiErrorsNameFileLineAndColumn() {
        let head = "timestamp, index, uuid, power.draw [W]\n"
        expectError(["p.csv:3:", "expected 4 fields", "found 3"]) {
            _ = try NvidiaSmiReader.parse(
                head + "2026/07/18 15:51:25.606, 0, GPU-a, 84.8\n2026/07/18 15:51:25.856, 0, GPU-a\n", file: "p.csv",
                localUTCOffsetS: 0)
        }
        expectError(["p.csv:2:", "power.draw [W]", "'8x4.8'"]) {
            _ = try NvidiaSmiReader.parse(head + "2026/07/18 15:51:25.606, 0, GPU-a, 8x4.8\n", file: "p.csv", localUTCOffsetS: 0)
        }
        expectError(["p.csv:2:", "power.draw [W]", "'-3'"]) {
            _ = try NvidiaSmiReader.parse(head + "2026/07/18 15:51:25.606, 0, GPU-a, -3\n", file: "p.csv", localUTCOffsetS: 0)
        }
        expectError(["p.csv:1:", "no 'power.draw' column"]) {
            _ = try NvidiaSmiReader.parse(
                "timestamp, index, uuid, clocks.sm [MHz]\n2026/07/18 15:51:25.606, 0, GPU-a, 1410\n", file: "p.csv",
                localUTCOffsetS: 0)
        }
        expectError(["p.csv:2:", "timestamp", "'2026/13/18 15:51:25.606'"]) {
            _ = try NvidiaSmiReader.parse(head + "2026/13/18 15:51:25.606, 0, GPU-a, 80\n", file: "p.csv", localUTCOffsetS: 0)
        }
        expectError(["p.csv:2:", "index", "'zero'"]) {
            _ = try NvidiaSmiReader.parse(head + "2026/07/18 15:51:25.606, zero, GPU-a, 80\n", file: "p.csv", localUTCOffsetS: 0)
        }
        expectError(["p.csv:3:", "backwards", "GPU-a"]) {
            _ = try NvidiaSmiReader.parse(
                head + "2026/07/18 15:51:25.606, 0, GPU-a, 80\n2026/07/18 15:51:25.356, 0, GPU-a, 80\n", file: "p.csv",
                localUTCOffsetS: 0)
        }
        expectError(["p.csv", "empty file"]) { _ = try NvidiaSmiReader.parse("\r\n", file: "p.csv", localUTCOffsetS: 0) }
        expectError(["p.csv", "offset"]) { _ = try NvidiaSmiReader.parse(head, file: "p.csv", localUTCOffsetS: 1e6) }
        expectError(["/nonexistent/power.csv", "cannot read"]) {
            _ = try NvidiaSmiReader.read(file: "/nonexistent/power.csv", localUTCOffsetS: 0)
        }
    }

    @Test func numberParserIsExact() {
        // The fast path must give the correctly rounded double, exactly like Double(String).
        var rng = Xoshiro256StarStar(seed: 7)
        var texts = ["0", "0.1", "0.3", "85.12", "499.99", "1784415085.5619874", "3.986605007177957e-05", "1e3", "+2.5",
                     "-0.000001", "123456789012345", "1234567890123456789", "0.1234567890123456789012", "007.50"]
        for _ in 0..<20_000 {
            let digits = Int(rng.next() % 16) + 1
            let point = Int(rng.next() % UInt64(digits + 1))
            var s = ""
            for i in 0..<digits {
                if i == point && i > 0 { s += "." }
                s += String(rng.next() % 10)
            }
            texts.append(s)
        }
        for s in texts {
            let csv = CSVBytes(file: "-", bytes: Array(s.utf8))
            #expect(csv.number(0..<csv.bytes.count) == Double(s), "'\(s)'")
            let withUnit = CSVBytes(file: "-", bytes: Array((s + " W").utf8))
            #expect(withUnit.number(0..<withUnit.bytes.count) == Double(s), "'\(s) W'")
        }
        for bad in ["", "W", "-", ".", "1.2.3", "12 W 3", "1,5", "nan", "0x10", "1e", "--1"] {
            let csv = CSVBytes(file: "-", bytes: Array(bad.utf8))
            // "1e" reads as 1 with the unit "e", which is acceptable; everything else is rejected.
            if bad == "1e" { continue }
            #expect(csv.number(0..<csv.bytes.count) == nil, "'\(bad)'")
        }
    }

    // MARK: request logs

    func requests(_ json: String) throws(IOError) -> [MeasuredRequest] {
        try VLLMRequestLogReader.parse(Data(json.utf8), file: "r.json")
    }

    @Test func requestLogWithListsScalarsAndExtraKeys() throws {
        let withLists = try requests(
            """
            {"duration": 12.5, "request_goodput:": null, "input_lens": [10, 20], "output_lens": [3, 1],
             "ttfts": [0.05, 0.07], "itls": [[0.01, 0.03], []], "request_timestamps": [1784415085.5, 1784415086.0],
             "request_ids": ["a", "b"], "errors": ["", ""]}
            """)
        #expect(withLists.count == 2)
        #expect(withLists[0].id == "a" && withLists[0].itlCount == 2)
        #expect(abs(withLists[0].decodeTimeS! - 0.04) < 1e-15 && abs(withLists[0].meanITLS! - 0.02) < 1e-15)
        #expect(withLists[1].meanITLS == nil && withLists[1].decodeTimeS == 0)
        #expect(withLists[0].cachedPromptTokens == nil)

        let withMeans = try requests(
            """
            {"input_lens": [4129, 50], "output_lens": [31, 1], "ttfts": [0.37, 0.2], "itls": [0.0125, 0.0],
             "request_timestamps": [1784415085.56, 1784415087.0], "cached_prompt_tokens": [0, 48],
             "session_ids": ["s", "s"], "turn_idx": [0, 1], "prefix_tokens": [3200, 0]}
            """)
        #expect(withMeans[0].id == "r000000" && withMeans[1].id == "r000001")
        #expect(withMeans[0].meanITLS == 0.0125 && abs(withMeans[0].decodeTimeS! - 0.375) < 1e-12)
        #expect(withMeans[0].itlCount == nil)
        #expect(withMeans[1].meanITLS == nil && withMeans[1].decodeTimeS == 0)
        #expect(withMeans[1].cachedPromptTokens == 48 && withMeans[1].sessionID == "s" && withMeans[1].turnIndex == 1)

        let summary = try requests(
            """
            {"input_lens": [5], "output_lens": [2], "ttfts": [0.1], "request_timestamps": [1784415085.5],
             "mean_ttft_ms": 100}
            """)
        #expect(summary[0].meanITLS == nil && summary[0].decodeTimeS == nil)
    }

    @Test func requestLogErrorsNameFileFieldAndIndex() {
        let ok = #""input_lens": [10, 20], "output_lens": [3, 4], "request_timestamps": [1784415085.5, 1784415086.0]"#
        expectError(["r.json", "'ttfts'", "has 1 entries", "'input_lens' has 2"]) {
            _ = try requests("{\(ok), \"ttfts\": [0.1]}")
        }
        expectError(["r.json", "'itls'", "has 3 entries"]) {
            _ = try requests("{\(ok), \"ttfts\": [0.1, 0.2], \"itls\": [0.1, 0.1, 0.1]}")
        }
        expectError(["r.json", "'output_lens[1]'", "integer"]) {
            _ = try requests(
                #"{"input_lens": [10, 20], "output_lens": [3, "x"], "ttfts": [0.1, 0.2], "request_timestamps": [1, 2]}"#)
        }
        expectError(["r.json", "'ttfts[0]'", "≥ 0"]) {
            _ = try requests("{\(ok), \"ttfts\": [-0.1, 0.2]}")
        }
        expectError(["r.json", "'itls[1][1]'"]) {
            _ = try requests("{\(ok), \"ttfts\": [0.1, 0.2], \"itls\": [[0.01], [0.01, \"fast\"]]}")
        }
        expectError(["r.json", "'cached_prompt_tokens[1]'", "0...input_lens[1] = 20"]) {
            _ = try requests("{\(ok), \"ttfts\": [0.1, 0.2], \"cached_prompt_tokens\": [0, 21]}")
        }
        expectError(["r.json", "'request_timestamps'", "missing"]) {
            _ = try requests(#"{"input_lens": [1], "output_lens": [1], "ttfts": [0.1]}"#)
        }
        expectError(["r.json", "'input_lens[0]'", "≥ 1"]) {
            _ = try requests(#"{"input_lens": [0], "output_lens": [1], "ttfts": [0.1], "request_timestamps": [1]}"#)
        }
        expectError(["r.json", "not valid JSON"]) { _ = try requests("{\"input_lens\": [1,") }
    }

    // MARK: engine.csv

    static let engineHeader =
        "timestamp,num_requests_running,num_requests_waiting,gpu_cache_usage_perc,prompt_tokens_total,"
        + "generation_tokens_total,iteration_tokens_total_sum,iteration_tokens_total_count,prefix_cache_hits_total\r\n"

    @Test func engineCSVReadsRequiredAndOptionalColumns() throws {
        let s = try EngineCSVReader.parse(
            Self.engineHeader + "1784415085.5619874,0.0,0.0,3.98e-05,1.0,1.0,2.0,1.0,\r\n"
                + "1784415085.8210642,1.0,0.0,0.0104,4130.0,14.0,4144.0,14.0,16.0\r\n", file: "e.csv")
        #expect(s.count == 2)
        #expect(s[0].epochS == 1784415085.5619874 && s[0].gpuCacheUsage == 3.98e-05)
        #expect(s[0].prefixCacheHitsTotal == nil && s[1].prefixCacheHitsTotal == 16)
        #expect(s[1].requestPrefillTimeSumS == nil)
        #expect(s[1].promptTokensTotal == 4130 && s[1].numRequestsRunning == 1)
    }

    @Test func engineCSVErrorsNameFileLineAndColumn() {
        expectError(["e.csv:1:", "no 'num_requests_waiting' column"]) {
            _ = try EngineCSVReader.parse("timestamp,num_requests_running\n1,0\n", file: "e.csv")
        }
        expectError(["e.csv:3:", "'prompt_tokens_total'", "'abc'"]) {
            _ = try EngineCSVReader.parse(
                Self.engineHeader + "1,0,0,0,1,1,2,1,0\n2,0,0,0,abc,1,2,1,0\n", file: "e.csv")
        }
        expectError(["e.csv:2:", "expected 9 fields", "found 8"]) {
            _ = try EngineCSVReader.parse(Self.engineHeader + "1,0,0,0,1,1,2,1\n", file: "e.csv")
        }
        expectError(["e.csv:3:", "backwards"]) {
            _ = try EngineCSVReader.parse(Self.engineHeader + "2,0,0,0,1,1,2,1,0\n1,0,0,0,1,1,2,1,0\n", file: "e.csv")
        }
    }

    // MARK: manifest

    static func manifest(tp: Int = 1, uuids: String = #"["GPU-a"]"#, clock: String = #""local_utc_offset_s": -25200.0"#)
        -> String
    {
        """
        {"run_id": "run1", "model": "Qwen/Qwen3-8B", "hardware": "A100", "tp": \(tp), "gpus_per_node": 1,
         "arch": {"d_model": 4096}, "clock": {\(clock), "power_timestamp_basis": "local_wall_time"},
         "server": {"max_num_seqs": 8, "max_num_batched_tokens": 8192, "enable_prefix_caching": false,
                    "active_gpu_uuids": \(uuids), "kv_cache_dtype": "auto"},
         "probe": {"type": "trace_replay", "window": {"start_epoch": 1784415085.5, "end_epoch": 1784415092.3}},
         "versions": {"vllm": "0.10.1.1"}}
        """
    }

    @Test func manifestToleratesExtraKeys() throws {
        let m = try MeasuredManifest.parse(Data(Self.manifest().utf8), file: "m.json")
        #expect(m.runID == "run1" && m.tp == 1 && m.localUTCOffsetS == -25200)
        #expect(m.server.maxNumSeqs == 8 && !m.server.enablePrefixCaching && m.server.enableChunkedPrefill)
        #expect(m.server.activeGPUUUIDs == ["GPU-a"] && m.probeType == "trace_replay" && m.vllmVersion == "0.10.1.1")
        #expect(m.probeWindow?.startEpochS == 1784415085.5)
    }

    @Test func manifestErrorsNameFileAndField() {
        expectError(["m.json", "'clock.local_utc_offset_s'", "missing"]) {
            _ = try MeasuredManifest.parse(Data(Self.manifest(clock: #""reference_epoch_s": 1"#).utf8), file: "m.json")
        }
        expectError(["m.json", "'server.active_gpu_uuids'", "lists 1 GPUs but tp is 2"]) {
            _ = try MeasuredManifest.parse(Data(Self.manifest(tp: 2).utf8), file: "m.json")
        }
        expectError(["m.json", "'clock.power_epoch_offset_s'", "not supported"]) {
            _ = try MeasuredManifest.parse(
                Data(Self.manifest(clock: #""local_utc_offset_s": 0, "power_epoch_offset_s": 3.5"#).utf8), file: "m.json")
        }
        expectError(["m.json", "'tp'"]) {
            _ = try MeasuredManifest.parse(Data(Self.manifest().replacingOccurrences(of: "\"tp\": 1", with: "\"tp\": \"one\"").utf8), file: "m.json")
        }
        expectError(["m.json", "'server.enable_prefix_caching'", "missing"]) {
            _ = try MeasuredManifest.parse(
                Data(Self.manifest().replacingOccurrences(of: "\"enable_prefix_caching\": false,", with: "").utf8),
                file: "m.json")
        }
    }

    // MARK: runs

    @Test func runFolderErrorsNameTheMissingFile() throws {
        let dir = NSTemporaryDirectory() + "/loadshape-measured-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        expectError([dir, "no manifest.json"]) { _ = try MeasuredRun.load(directory: dir) }
        try Self.manifest().write(toFile: dir + "/manifest.json", atomically: true, encoding: .utf8)
        expectError([dir, "no power.csv"]) { _ = try MeasuredRun.load(directory: dir) }
        try (Self.smi.replacingOccurrences(of: "GPU-aaaa", with: "GPU-z"))
            .write(toFile: dir + "/power.csv", atomically: true, encoding: .utf8)
        expectError(["power.csv", "no rows for GPU GPU-a"]) { _ = try MeasuredRun.load(directory: dir) }
        try (Self.smi.replacingOccurrences(of: "GPU-aaaa", with: "GPU-a"))
            .write(toFile: dir + "/power.csv", atomically: true, encoding: .utf8)
        expectError([dir, "no requests.json or requests-summary.json"]) { _ = try MeasuredRun.load(directory: dir) }
        try #"{"input_lens": [10], "output_lens": [3], "ttfts": [0.1], "request_timestamps": [1784415085.4]}"#
            .write(toFile: dir + "/requests-summary.json", atomically: true, encoding: .utf8)
        let run = try MeasuredRun.load(directory: dir)
        #expect(run.power.map(\.uuid) == ["GPU-a"] && run.otherGPUs.map(\.uuid) == ["GPU-bbbb"])
        #expect(run.requestsFile == "requests-summary.json" && run.engine == nil && run.checksums.count == 3)
        // Arrived 0.206 s before the first power sample: clamped to the origin.
        #expect(run.schedule() == [Request(id: "r000000", arrivalS: 0, inputTokens: 10, outputTokens: 3)])
    }

    // MARK: power bins

    func run(_ series: [GPUPowerSeries], requests: [MeasuredRequest] = []) -> MeasuredRun {
        let m = MeasuredManifest(
            file: "-", runID: "x", model: "m", hardware: "A100", tp: series.count, localUTCOffsetS: 0,
            server: .init(maxNumSeqs: 8, maxNumBatchedTokens: 8192, enablePrefixCaching: false, activeGPUUUIDs: series.map(\.uuid)))
        return MeasuredRun(directory: "-", manifest: m, power: series, requests: requests, requestsFile: "requests.json")
    }

    @Test func powerBinsResampleByTimeAcrossGaps() {
        // Samples at 0, 0.25, then a gap to 1.25 and a sample at 1.5 (epoch 1000 +).
        let g = GPUPowerSeries(uuid: "a", index: 0, epochS: [1000, 1000.25, 1001.25, 1001.5], watts: [100, 100, 300, 300])
        let bins = run([g]).powerBins(binS: 0.25)
        // The gap 0.25…1.25 is a linear ramp 100 → 300 W: bin means 125, 175, 225, 275.
        let expected: [Double] = [100, 125, 175, 225, 275, 300]
        #expect(bins.count == expected.count)
        for (a, b) in zip(bins, expected) { #expect(abs(a - b) < 1e-9, "\(bins)") }
        // Edges are held: an origin 0.5 s early gives two bins at the first value.
        let early = run([g]).powerBins(binS: 0.25, originEpoch: 999.5)
        #expect(early.count == 8 && abs(early[0] - 100) < 1e-9 && abs(early[1] - 100) < 1e-9)
        // A trailing partial bin is dropped; 1 s bins are time averages.
        let seconds = run([g]).powerBins(binS: 1)
        #expect(seconds.count == 1 && abs(seconds[0] - (100 + 125 + 175 + 225) / 4) < 1e-9)
        #expect(run([g]).powerBins(binS: 0).isEmpty)
        #expect(run([g]).powerBins(binS: 0.25, originEpoch: 2000).isEmpty)
    }

    @Test func powerBinsAverageTheTPGroupOnIrregularGrids() {
        let a = GPUPowerSeries(uuid: "a", index: 0, epochS: [0, 0.5, 1.0], watts: [100, 100, 100])
        let b = GPUPowerSeries(uuid: "b", index: 1, epochS: [0.1, 0.35, 0.62, 0.9], watts: [200, 200, 200, 200])
        let bins = run([a, b]).powerBins(binS: 0.25)
        #expect(bins.count == 4)
        #expect(bins.allSatisfy { abs($0 - 150) < 1e-9 }, "\(bins)")
    }

    @Test func scheduleSortsClampsAndCapsCachedTokens() {
        let g = GPUPowerSeries(uuid: "a", index: 0, epochS: [100, 101], watts: [80, 80])
        let reqs = [
            MeasuredRequest(index: 0, id: "late", arrivalEpochS: 105, inputTokens: 50, outputTokens: 5, ttftS: 0.1,
                            cachedPromptTokens: 50),
            MeasuredRequest(index: 1, id: "early", arrivalEpochS: 99.9, inputTokens: 10, outputTokens: 2, ttftS: 0.1),
            MeasuredRequest(index: 2, id: "failed", arrivalEpochS: 102, inputTokens: 10, outputTokens: 0, ttftS: 0),
            MeasuredRequest(index: 3, id: "tie", arrivalEpochS: 105, inputTokens: 20, outputTokens: 1, ttftS: 0.1,
                            cachedPromptTokens: 16),
        ]
        let s = run([g], requests: reqs).schedule()
        #expect(s.map(\.id) == ["early", "late", "tie"])
        #expect(s[0].arrivalS == 0 && s[1].arrivalS == 5 && s[2].arrivalS == 5)
        #expect(s[1].cachedPrefixTokens == 49 && s[2].cachedPrefixTokens == 16 && s[0].cachedPrefixTokens == 0)
        #expect(run([g], requests: reqs).schedule(originEpoch: 104).map(\.arrivalS) == [0, 1, 1])
    }
}
