import Foundation
import LoadshapeCore
import LoadshapeTesting
import LoadshapeWorkload
import Testing


private func data(_ s: String) -> Data { Data(s.utf8) }

/// The trace readers (Azure CSV, vLLM benchmark JSON, Mooncake JSONL) and trace replay.
@Suite struct TraceReaderTests {}

private let header = "TIMESTAMP,ContextTokens,GeneratedTokens\r\n"

extension TraceReaderTests {
    @Suite struct Azure {
        @Test func parsesCRLFWithoutAFinalNewline() throws {
            let csv =
                header + "2023-11-16 18:15:46.6805900,374,44\r\n2023-11-16 18:15:50.9951690,396,109\r\n"
                + "2023-11-16 18:15:51.2224670,879,55"
            let r = try AzureTraceReader.parse(data(csv), name: "t.csv")
            #expect(r.map(\.inputTokens) == [374, 396, 879])
            #expect(r.map(\.outputTokens) == [44, 109, 55])
            #expect(r.map(\.id) == ["r000000", "r000001", "r000002"])
            #expect(r[0].arrivalS == 0)
            #expect(abs(r[1].arrivalS - 4.314579) < 1e-9)
            #expect(abs(r[2].arrivalS - 4.541877) < 1e-9)
            #expect(r.allSatisfy { $0.cachedPrefixTokens == 0 })
        }

        @Test func timestampsAreExactAcrossDayMonthAndLeapBoundaries() throws {
            let csv =
                "timestamp, contexttokens ,generatedtokens\n2023-12-31 23:59:59.9999999,5,6\n\n"
                + "2024-01-01 00:00:00.0000001,5,6\n2024-02-28 23:59:59,5,6\n2024-03-01T00:00:00.5,5,6\n"
            let r = try AzureTraceReader.parse(data(csv), name: "t.csv")
            #expect(r.count == 4)
            #expect(abs(r[1].arrivalS - 2e-7) < 1e-12)
            // 2024-01-01 00:00:00 → 2024-02-28 23:59:59 is 59 days less 1 s, plus the first request's last 0.1 µs of 2023.
            #expect(abs(r[2].arrivalS - (59 * 86_400 - 1 + 1e-7)) < 1e-6)
            // 2024 is a leap year: Feb 29 lies between.
            #expect(abs((r[3].arrivalS - r[2].arrivalS) - (86_400 + 1.5)) < 1e-6)
        }

        @Test func sortsStablyAndMeasuresFromTheEarliest() throws {
            let csv =
                header + "2023-11-16 18:00:02.0,10,1\r\n2023-11-16 18:00:01.0,20,2\r\n2023-11-16 18:00:02.0,30,3\r\n"
            let r = try AzureTraceReader.parse(data(csv), name: "t.csv")
            #expect(r.map(\.inputTokens) == [20, 10, 30])
            #expect(r.map(\.id) == ["r000001", "r000000", "r000002"])
            #expect(r.map(\.arrivalS) == [0, 1, 1])
        }

        static let malformed: [(csv: String, message: String)] = {
            let h: String = header
            let cases: [(String, String)] = [
                ("", "t.csv: empty file"),
                ("TIMESTAMP,ContextTokens\r\n", "t.csv:1: header has no 'GeneratedTokens'"),
                (header, "t.csv: no requests"),
                (h + "2023-11-16 18:15:46.6805900,374\r\n", "t.csv:2: expected 3 fields, found 2"),
                (
                    h + "2023-11-16 18:15:46.68,1,1\r\n2023-13-16 18:15:46.6805900,374,44\r\n",
                    "t.csv:3: field 'TIMESTAMP'"
                ),
                (h + "2023-02-29 18:15:46.6805900,374,44\r\n", "t.csv:2: field 'TIMESTAMP'"),
                (h + "2023-11-16 24:00:00.0,374,44\r\n", "t.csv:2: field 'TIMESTAMP'"),
                (h + "2023-11-16 18:15:46.6805900123,374,44\r\n", "t.csv:2: field 'TIMESTAMP'"),
                (h + "2023-11-16 18:15:46,6805900,374,44\r\n", "t.csv:2: expected 3 fields, found 4"),
                (h + "16/11/2023 18:15:46.6805900,374,44\r\n", "t.csv:2: field 'TIMESTAMP'"),
                (h + "2023-11-16 18:15:46.6805900,0,44\r\n", "t.csv:2: field 'ContextTokens': '0'"),
                (h + "2023-11-16 18:15:46.6805900,-3,44\r\n", "t.csv:2: field 'ContextTokens': '-3'"),
                (h + "2023-11-16 18:15:46.6805900,374,4.5\r\n", "t.csv:2: field 'GeneratedTokens': '4.5'"),
                (h + "2023-11-16 18:15:46.6805900,374,\r\n", "t.csv:2: field 'GeneratedTokens': ''"),
            ]
            return cases.map { (csv: $0.0, message: $0.1) }
        }()

        @Test(arguments: malformed)
        func malformedLinesNameFileLineAndField(csv: String, message: String) {
            #expect(throwsMessage([message]) { _ = try AzureTraceReader.parse(data(csv), name: "t.csv") })
        }

        @Test func missingFileIsNamed() {
            #expect(
                throwsMessage(["/nonexistent/x.csv: cannot read"]) {
                    _ = try AzureTraceReader.read(path: "/nonexistent/x.csv")
                })
        }
    }
}

extension TraceReaderTests {
    @Suite struct VLLMBenchmark {
        @Test func readsParallelArraysSortsStablyAndKeepsCacheHits() throws {
            let json = """
                {"date": "x", "request_timestamps": [1000.5, 1000.0, 1000.5, 1002.0], "input_lens": [10, 20, 30, 40],
                 "output_lens": [1, 2, 3, 4], "cached_prompt_tokens": [0, 5, 30, 0], "ttfts": [0.1, 0.1, 0.1, 0.1],
                 "itls": [[], [0.1], [0.1, 0.1], [0.1, 0.1, 0.1]], "completed": 4}
                """
            let r = try VLLMBenchmarkReader.parse(data(json), name: "run.json")
            #expect(r.map(\.id) == ["r000001", "r000000", "r000002", "r000003"])
            #expect(r.map(\.arrivalS) == [0, 0.5, 0.5, 2])
            #expect(r.map(\.inputTokens) == [20, 10, 30, 40])
            // A full hit (30 of 30) is capped at 29: the engine recomputes the last prompt token.
            #expect(r.map(\.cachedPrefixTokens) == [5, 0, 29, 0])
        }

        @Test func usesRequestIDsAndHandlesFailedRequests() throws {
            let json = """
                {"request_timestamps": [5, 6, 7], "input_lens": [1, 2, 3], "output_lens": [4, 0, 6], "request_ids": ["a", "b", "c"]}
                """
            #expect(
                throwsMessage(["run.json: field 'output_lens[1]': 0", "dropFailed"]) {
                    _ = try VLLMBenchmarkReader.parse(data(json), name: "run.json")
                })
            let r = try VLLMBenchmarkReader.parse(data(json), name: "run.json", dropFailed: true)
            #expect(r.map(\.id) == ["a", "c"])
            #expect(r.map(\.arrivalS) == [0, 2])
        }

        @Test(arguments: [
            ("[1, 2]", "run.json: expected a JSON object"),
            ("{", "run.json: not valid JSON"),
            (#"{"input_lens": [1], "output_lens": [1]}"#, "run.json: field 'request_timestamps' is missing"),
            (#"{"request_timestamps": [1], "output_lens": [1]}"#, "run.json: field 'input_lens' is missing"),
            (
                #"{"request_timestamps": [1, 2], "input_lens": [1], "output_lens": [1, 1]}"#,
                "field 'input_lens': has 1 entries"
            ),
            (
                #"{"request_timestamps": 5, "input_lens": [1], "output_lens": [1]}"#,
                "field 'request_timestamps': expected a list"
            ),
            (
                #"{"request_timestamps": [1, "x"], "input_lens": [1, 1], "output_lens": [1, 1]}"#,
                "field 'request_timestamps[1]'"
            ),
            (#"{"request_timestamps": [1, 2], "input_lens": [1, 0], "output_lens": [1, 1]}"#, "field 'input_lens[1]'"),
            (
                #"{"request_timestamps": [1, 2], "input_lens": [1, 1], "output_lens": [1, 1.5]}"#,
                "field 'output_lens[1]'"
            ),
            (#"{"request_timestamps": [1], "input_lens": [1], "output_lens": [true]}"#, "field 'output_lens[0]'"),
            (
                #"{"request_timestamps": [1], "input_lens": [4], "output_lens": [1], "cached_prompt_tokens": [5]}"#,
                "field 'cached_prompt_tokens[0]': expected an integer in 0...input_lens[0] = 4"
            ),
            (
                #"{"request_timestamps": [1], "input_lens": [4], "output_lens": [1], "request_ids": [7]}"#,
                "field 'request_ids[0]'"
            ),
            (
                #"{"request_timestamps": [], "input_lens": [], "output_lens": []}"#,
                "run.json: the benchmark result holds no"
            ),
        ])
        func malformedInputsNameTheField(json: String, message: String) {
            #expect(throwsMessage([message]) { _ = try VLLMBenchmarkReader.parse(data(json), name: "run.json") })
        }

        /// Each measured run's request log: counts and token totals (computed with Python from the same files).
        static let runs: [(path: String, count: Int, input: Int, output: Int, cached: Int, span: Double)] = [
            (
                "arrival_rate_qwen3-8b_a100_r2p5/a100_validate_tp1_r2p5_b1p0_s20260712_1784415659/requests-summary.json",
                200, 66356, 42672, 0, 77.331
            ),
            (
                "sealed_openhands_qwen3-8b_a100/a100_agentic_tp1_1784657284/requests.json", 119, 1_409_992, 31474, 0,
                266.782
            ),
            (
                "sealed_openhands_qwen3-8b_a100/a100_agentic_tp1_1784657707/requests.json", 119, 1_409_992, 31474,
                1_280_816, 164.750
            ),
            (
                "trace_replay_qwen3-8b_a100_cache_on/a100_trace_replay_tp1_1784416599/requests.json", 136, 1_658_870,
                42829, 1_467_232, 191.221
            ),
            (
                "trace_replay_smoke_qwen3-8b_a100/a100_trace_replay_tp1_1784415083/requests.json", 4, 18421, 397, 0,
                5.645
            ),
        ]

        @Test(.enabled(if: TestPaths.sharedAvailable, "../shared/data not found: vLLM request logs NOT read"))
        func readsTheMeasuredRequestLogs() throws {
            for run in Self.runs {
                let r = try VLLMBenchmarkReader.read(path: TestPaths.shared + "/data/measured/" + run.path)
                #expect(r.count == run.count, "\(run.path)")
                #expect(r.reduce(0) { $0 + $1.inputTokens } == run.input, "\(run.path)")
                #expect(r.reduce(0) { $0 + $1.outputTokens } == run.output, "\(run.path)")
                #expect(r.reduce(0) { $0 + $1.cachedPrefixTokens } == run.cached, "\(run.path)")
                #expect(r.first?.arrivalS == 0)
                #expect(abs((r.last?.arrivalS ?? 0) - run.span) < 1e-3, "\(run.path)")
                #expect(zip(r, r.dropFirst()).allSatisfy { $0.arrivalS <= $1.arrivalS }, "\(run.path): sorted")
                #expect(Set(r.map(\.id)).count == r.count)
            }
        }
    }
}

extension TraceReaderTests {
    @Suite struct Mooncake {
        @Test func readsMillisecondsAndSorts() throws {
            let jsonl = """
                {"timestamp": 27482, "input_length": 6955, "output_length": 52, "hash_ids": [46, 47]}

                {"timestamp": 0, "input_length": 6472, "output_length": 26, "hash_ids": [0, 1]}\r
                {"timestamp": 30535, "input_length": 6474, "output_length": 24}
                """
            let r = try MooncakeTraceReader.parse(data(jsonl), name: "m.jsonl")
            #expect(r.map(\.arrivalS) == [0, 27.482, 30.535])
            #expect(r.map(\.inputTokens) == [6472, 6955, 6474])
            #expect(r.map(\.outputTokens) == [26, 52, 24])
            #expect(r.map(\.id) == ["r000001", "r000000", "r000002"])
        }

        @Test(arguments: [
            (
                #"{"timestamp": 1, "input_length": 2, "output_length": 3}"# + "\n[1]",
                "m.jsonl:2: expected a JSON object"
            ),
            ("\n\n{nope}", "m.jsonl:3: not valid JSON"),
            (#"{"input_length": 2, "output_length": 3}"#, "m.jsonl:1: field 'timestamp'"),
            (#"{"timestamp": "5", "input_length": 2, "output_length": 3}"#, "m.jsonl:1: field 'timestamp'"),
            (#"{"timestamp": 5, "input_length": 0, "output_length": 3}"#, "m.jsonl:1: field 'input_length'"),
            (#"{"timestamp": 5, "input_length": 2, "output_length": 3.5}"#, "m.jsonl:1: field 'output_length'"),
            ("\n  \n", "m.jsonl: no requests"),
        ])
        func malformedLinesNameFileLineAndField(jsonl: String, message: String) {
            #expect(throwsMessage([message]) { _ = try MooncakeTraceReader.parse(data(jsonl), name: "m.jsonl") })
        }
    }
}

extension TraceReaderTests {
    /// The Azure 2023 traces against the table in their README (../shared/data/workloads/azure-llm-2023/README.md).
    @Suite(
        .enabled(
            if: TestPaths.sharedAvailable, "../shared/data not found: Azure traces NOT checked against their README"))
    struct AzureRealTraces {
        struct Expected: Sendable, CustomStringConvertible {
            var file: String
            var requests: Int
            var spanMinutes: Double
            var input: (mean: Double, median: Double, p99: Double)
            var output: (mean: Double, median: Double, p99: Double, max: Int)
            var meanRate: Double
            var peak60: Double
            var description: String { file }
        }

        static let traces = [
            Expected(
                file: "AzureLLMInferenceTrace_conv.csv", requests: 19366, spanMinutes: 58.4,
                input: (1154.7, 1020, 4142),
                output: (211.1, 129, 601, 1000), meanRate: 5.53, peak60: 8.70),
            Expected(
                file: "AzureLLMInferenceTrace_code.csv", requests: 8819, spanMinutes: 57.3, input: (2047.8, 1469, 7436),
                output: (27.9, 13, 251.5, 1899), meanRate: 2.57, peak60: 12.05),
        ]

        @Test(arguments: traces)
        func matchesTheREADMETable(e: Expected) throws {
            let r = try AzureTraceReader.read(path: TestPaths.shared + "/data/workloads/azure-llm-2023/" + e.file)
            #expect(r.count == e.requests)
            let span = r.last!.arrivalS
            #expect(abs(span / 60 - e.spanMinutes) < 0.05)
            #expect(r.first!.arrivalS == 0 && zip(r, r.dropFirst()).allSatisfy { $0.arrivalS <= $1.arrivalS })
            let inputs = r.map { Double($0.inputTokens) }.sorted()
            let outputs = r.map { Double($0.outputTokens) }.sorted()
            #expect(abs(Descriptive.mean(inputs) - e.input.mean) < 0.05)
            #expect(Descriptive.percentile(sorted: inputs, 50) == e.input.median)
            #expect(abs(Descriptive.percentile(sorted: inputs, 99) - e.input.p99) < 0.05)
            #expect(abs(Descriptive.mean(outputs) - e.output.mean) < 0.05)
            #expect(Descriptive.percentile(sorted: outputs, 50) == e.output.median)
            #expect(abs(Descriptive.percentile(sorted: outputs, 99) - e.output.p99) < 0.05)
            #expect(Int(outputs.last!) == e.output.max)
            #expect(abs(Double(r.count) / span - e.meanRate) < 0.005)
            // Peak rate in any 60 s window (trailing windows ending at each arrival).
            var j = 0
            var best = 0
            for i in r.indices {
                while r[i].arrivalS - r[j].arrivalS >= 60 { j += 1 }
                best = max(best, i - j + 1)
            }
            #expect(abs(Double(best) / 60 - e.peak60) < 0.005)
        }
    }
}

extension TraceReaderTests {
    @Suite struct Replay {
        static let trace: [Request] = (0..<10).map {
            Request(
                id: "q\($0)", arrivalS: Double($0 * $0) / 9, inputTokens: 100 + $0, outputTokens: 10 + $0,
                cachedPrefixTokens: $0)
        }

        @Test func replaysOnceWithoutADuration() throws {
            let s = try TraceReplay().schedule(Self.trace)
            #expect(s.requests == Self.trace)
            #expect(s.completePasses == 1 && s.partialPassRequests == 0 && s.sourceRequests == 10)
            #expect(s.passSpanS == 9 && s.periodS == 10)
            #expect(s.inputTokens == 1045 && s.outputTokens == 145 && s.cachedPrefixTokens == 45)
        }

        @Test func loopsToCoverTheDurationConservingCounts() throws {
            // Span 9 s, mean gap 1 s → period 10 s; 35 s = 3 complete passes + the arrivals before 5 s of a 4th.
            let s = try TraceReplay(durationS: 35).schedule(Self.trace)
            let partial = Self.trace.filter { $0.arrivalS < 5 }
            #expect(s.completePasses == 3 && s.partialPassRequests == partial.count)
            #expect(s.requests.count == 3 * 10 + partial.count)
            #expect(s.inputTokens == 3 * 1045 + partial.reduce(0) { $0 + $1.inputTokens })
            #expect(s.outputTokens == 3 * 145 + partial.reduce(0) { $0 + $1.outputTokens })
            #expect(s.cachedPrefixTokens == 3 * 45 + partial.reduce(0) { $0 + $1.cachedPrefixTokens })
            #expect(s.requests.allSatisfy { $0.arrivalS < 35 })
            #expect(zip(s.requests, s.requests.dropFirst()).allSatisfy { $0.arrivalS < $1.arrivalS })
            #expect(Set(s.requests.map(\.id)).count == s.requests.count)
            #expect(s.requests[10].id == "q0~1" && s.requests[10].arrivalS == 10)
            #expect(s.requests[25].id == "q5~2" && abs(s.requests[25].arrivalS - (20 + 25.0 / 9)) < 1e-12)
            // An exact multiple of the period gives whole passes only.
            let whole = try TraceReplay(durationS: 40).schedule(Self.trace)
            #expect(whole.completePasses == 4 && whole.partialPassRequests == 0 && whole.requests.count == 40)
            // Shorter than one pass: truncated.
            let short = try TraceReplay(durationS: 2).schedule(Self.trace)
            #expect(short.completePasses == 0 && short.requests.count == Self.trace.filter { $0.arrivalS < 2 }.count)
        }

        @Test func scalesRateAndTime() throws {
            let fast = try TraceReplay(rateScale: 4).schedule(Self.trace)
            #expect(fast.passSpanS == 9.0 / 4 && fast.periodS == 2.5)
            #expect(zip(fast.requests, Self.trace).allSatisfy { abs($0.arrivalS - $1.arrivalS / 4) < 1e-12 })
            let slow = try TraceReplay(timeScale: 3).schedule(Self.trace)
            #expect(zip(slow.requests, Self.trace).allSatisfy { abs($0.arrivalS - $1.arrivalS * 3) < 1e-12 })
            // Mean rate over a long looped schedule = source rate × rateScale / timeScale.
            let both = try TraceReplay(rateScale: 6, timeScale: 2, durationS: 1000).schedule(Self.trace)
            let rate = Double(both.requests.count) / 1000
            #expect(abs(rate - 3) < 0.01)
            #expect(both.requests.count == both.completePasses * 10 + both.partialPassRequests)
            let tokensPerPass = 1045
            #expect(both.inputTokens >= both.completePasses * tokensPerPass)
        }

        @Test func rejectsBadParametersAndTraces() {
            #expect(throwsMessage(["rate scale"]) { _ = try TraceReplay(rateScale: 0) })
            #expect(throwsMessage(["time scale"]) { _ = try TraceReplay(timeScale: -.infinity) })
            #expect(throwsMessage(["duration"]) { _ = try TraceReplay(durationS: .nan) })
            #expect(throwsMessage(["no requests"]) { _ = try TraceReplay().schedule([]) })
            let unsorted = [Self.trace[1], Self.trace[0]]
            #expect(throwsMessage(["request 1 ('q0')", "sort"]) { _ = try TraceReplay().schedule(unsorted) })
            let single = [Self.trace[0]]
            #expect(throwsMessage(["no period"]) { _ = try TraceReplay(durationS: 100).schedule(single) })
            #expect((try? TraceReplay().schedule(single))?.requests == single)
        }

        @Test(.enabled(if: TestPaths.sharedAvailable, "../shared/data not found: Azure replay NOT checked"))
        func replaysTheAzureCodeTraceOverADay() throws {
            let trace = try AzureTraceReader.read(
                path: TestPaths.shared + "/data/workloads/azure-llm-2023/AzureLLMInferenceTrace_code.csv")
            let s = try TraceReplay(rateScale: 2, durationS: 86_400).schedule(trace)
            #expect(s.requests.count == s.completePasses * trace.count + s.partialPassRequests)
            let rate = Double(s.requests.count) / 86_400
            #expect(abs(rate - 2 * 2.566) < 0.05)
            #expect(s.requests.last!.arrivalS < 86_400)
            #expect(s.outputTokens == s.requests.reduce(0) { $0 + $1.outputTokens })
        }
    }
}
