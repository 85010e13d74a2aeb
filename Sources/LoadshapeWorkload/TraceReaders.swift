import Foundation
import LoadshapeCore

// Readers of public request traces into schedules. Each returns the requests sorted by arrival (stably: ties keep
// file order) with arrival times in s from the earliest request, and ids `r` + the zero-padded position of the
// request in the file (0-based), unless the file names them. Every malformed entry throws a WorkloadError naming
// the file, the line (or array index) and the field.

/// Reads the Azure LLM inference traces (Azure/AzurePublicDataset `AzureLLMInferenceTrace_*.csv`).
///
/// Header `TIMESTAMP,ContextTokens,GeneratedTokens` (any order, any case; extra columns ignored), then one request
/// per line: `YYYY-MM-DD HH:MM:SS[.f…]` (up to 9 fractional digits; the 2023 files have 7; no zone),
/// prompt tokens ≥ 1, output tokens ≥ 1. LF or CRLF line ends; blank lines are skipped. Parsed on bytes.
public enum AzureTraceReader {
    public static func read(path: String) throws(WorkloadError) -> [Request] {
        try parse(TraceFile.load(path), name: path)
    }

    /// Parses CSV bytes; `name` names the source in errors.
    public static func parse(_ data: Data, name: String) throws(WorkloadError) -> [Request] {
        let bytes = [UInt8](data)
        var header: [String]?
        var cTime = 0
        var cInput = 0
        var cOutput = 0
        var stamps: [Int64] = []
        var inputs: [Int] = []
        var outputs: [Int] = []
        var fields: [Range<Int>] = []
        try CSVBytes(file: name, bytes: bytes).forEachLine { (lineNo, line) throws(WorkloadError) in
            CSVBytes(file: name, bytes: bytes).split(line, into: &fields)
            guard let names = header else {
                let h = fields.map { String(decoding: bytes[$0], as: UTF8.self).lowercased() }
                func column(_ n: String) throws(WorkloadError) -> Int {
                    guard let i = h.firstIndex(of: n.lowercased()) else {
                        throw WorkloadError(
                            "\(name):\(lineNo): header has no '\(n)' column (expected TIMESTAMP,ContextTokens,GeneratedTokens; found: \(h.joined(separator: ",")))"
                        )
                    }
                    return i
                }
                (cTime, cInput, cOutput) = (
                    try column("TIMESTAMP"), try column("ContextTokens"), try column("GeneratedTokens")
                )
                header = h
                return
            }
            guard fields.count == names.count else {
                throw WorkloadError("\(name):\(lineNo): expected \(names.count) fields, found \(fields.count)")
            }
            guard let t = TraceFile.timestampNanoseconds(bytes, fields[cTime]) else {
                throw WorkloadError(
                    "\(name):\(lineNo): field 'TIMESTAMP': '\(TraceFile.text(bytes, fields[cTime]))' is not YYYY-MM-DD HH:MM:SS.fffffff"
                )
            }
            guard let input = TraceFile.integer(bytes, fields[cInput]), input >= 1 else {
                throw WorkloadError(
                    "\(name):\(lineNo): field 'ContextTokens': '\(TraceFile.text(bytes, fields[cInput]))' is not an integer ≥ 1"
                )
            }
            guard let output = TraceFile.integer(bytes, fields[cOutput]), output >= 1 else {
                throw WorkloadError(
                    "\(name):\(lineNo): field 'GeneratedTokens': '\(TraceFile.text(bytes, fields[cOutput]))' is not an integer ≥ 1"
                )
            }
            stamps.append(t)
            inputs.append(input)
            outputs.append(output)
        }
        guard header != nil else {
            throw WorkloadError("\(name): empty file, expected the header TIMESTAMP,ContextTokens,GeneratedTokens")
        }
        guard !stamps.isEmpty else { throw WorkloadError("\(name): no requests after the header") }
        // Differences of integer nanoseconds are exact; only the final conversion to s rounds.
        let origin = stamps.min() ?? 0
        return TraceFile.schedule(
            arrivalsS: stamps.map { Double($0 - origin) * 1e-9 }, inputs: inputs, outputs: outputs, cached: nil,
            ids: nil)
    }
}

/// Reads a vLLM benchmark result (`benchmark_serving.py --save-result --save-detailed`, e.g. `requests.json` of
/// the measured runs): one JSON object of parallel per-request arrays.
///
/// Required: `request_timestamps` (send time, Unix epoch s), `input_lens`, `output_lens`. Optional:
/// `cached_prompt_tokens` (prefix-cache hits, 0...input; a full hit is capped at input − 1, since the engine
/// always recomputes the last prompt token) and `request_ids` (strings). Every other key is ignored. Requests
/// may be logged out of time order; they are sorted stably. A request with `output_lens` 0 failed: by default
/// that is an error, with `dropFailed` it is left out.
public enum VLLMBenchmarkReader {
    public static func read(path: String, dropFailed: Bool = false) throws(WorkloadError) -> [Request] {
        try parse(TraceFile.load(path), name: path, dropFailed: dropFailed)
    }

    /// Parses result JSON; `name` names the source in errors.
    public static func parse(_ data: Data, name: String, dropFailed: Bool = false) throws(WorkloadError) -> [Request] {
        let root: Any
        do {
            root = try JSONSerialization.jsonObject(with: data)
        } catch {
            throw WorkloadError("\(name): not valid JSON (\(error.localizedDescription))")
        }
        guard let o = root as? [String: Any] else {
            throw WorkloadError(
                "\(name): expected a JSON object of per-request arrays (request_timestamps, input_lens, output_lens)")
        }
        func array(_ key: String, count: Int?) throws(WorkloadError) -> [Any]? {
            guard let v = o[key] else { return nil }
            guard let a = v as? [Any] else {
                throw WorkloadError("\(name): field '\(key)': expected a list, one entry per request")
            }
            if let n = count, a.count != n {
                throw WorkloadError(
                    "\(name): field '\(key)': has \(a.count) entries but 'request_timestamps' has \(n) (one per request is required)"
                )
            }
            return a
        }
        func required(_ key: String, count: Int?) throws(WorkloadError) -> [Any] {
            guard let a = try array(key, count: count) else {
                throw WorkloadError("\(name): field '\(key)' is missing")
            }
            return a
        }
        let stamps = try required("request_timestamps", count: nil)
        let n = stamps.count
        let inputs = try required("input_lens", count: n)
        let outputs = try required("output_lens", count: n)
        let cachedList = try array("cached_prompt_tokens", count: n)
        let idList = try array("request_ids", count: n)
        var arrivals: [Double] = []
        var ins: [Int] = []
        var outs: [Int] = []
        var cached: [Int]? = cachedList == nil ? nil : []
        var ids: [String] = []
        for i in 0..<n {
            guard let t = JSONNumbers.number(stamps[i]), t.isFinite, t > 0 else {
                throw WorkloadError("\(name): field 'request_timestamps[\(i)]': expected a Unix epoch time in s")
            }
            guard let input = JSONNumbers.integer(inputs[i]), input >= 1 else {
                throw WorkloadError("\(name): field 'input_lens[\(i)]': expected an integer ≥ 1")
            }
            guard let output = JSONNumbers.integer(outputs[i]), output >= 0 else {
                throw WorkloadError("\(name): field 'output_lens[\(i)]': expected an integer ≥ 0")
            }
            var hit = 0
            if let c = cachedList?[i] {
                guard let v = JSONNumbers.integer(c), v >= 0, v <= input else {
                    throw WorkloadError(
                        "\(name): field 'cached_prompt_tokens[\(i)]': expected an integer in 0...input_lens[\(i)] = \(input)"
                    )
                }
                hit = Swift.min(v, input - 1)
            }
            var id = ScheduleReader.defaultID(i)
            if let l = idList {
                guard let s = l[i] as? String else {
                    throw WorkloadError("\(name): field 'request_ids[\(i)]': expected a string")
                }
                id = s
            }
            if output == 0 {
                if dropFailed { continue }
                throw WorkloadError(
                    "\(name): field 'output_lens[\(i)]': 0 — the request failed; pass dropFailed to leave failed requests out"
                )
            }
            arrivals.append(t)
            ins.append(input)
            outs.append(output)
            cached?.append(hit)
            ids.append(id)
        }
        guard let origin = arrivals.min() else {
            throw WorkloadError("\(name): the benchmark result holds no (successful) requests")
        }
        return TraceFile.schedule(
            arrivalsS: arrivals.map { $0 - origin }, inputs: ins, outputs: outs, cached: cached, ids: ids)
    }
}

/// Reads Mooncake-style JSONL traces: one JSON object per line with `timestamp` (ms), `input_length` and
/// `output_length` (both ≥ 1); other keys (`hash_ids`, …) are ignored and blank lines skipped.
public enum MooncakeTraceReader {
    public static func read(path: String) throws(WorkloadError) -> [Request] {
        try parse(TraceFile.load(path), name: path)
    }

    /// Parses JSONL bytes; `name` names the source in errors.
    public static func parse(_ data: Data, name: String) throws(WorkloadError) -> [Request] {
        let bytes = [UInt8](data)
        var arrivalsMS: [Double] = []
        var inputs: [Int] = []
        var outputs: [Int] = []
        try CSVBytes(file: name, bytes: bytes).forEachLine { (lineNo, line) throws(WorkloadError) in
            let o: [String: Any]
            do {
                guard let obj = try JSONSerialization.jsonObject(with: Data(bytes[line])) as? [String: Any] else {
                    throw WorkloadError("\(name):\(lineNo): expected a JSON object")
                }
                o = obj
            } catch let e as WorkloadError {
                throw e
            } catch {
                throw WorkloadError("\(name):\(lineNo): not valid JSON (\(error.localizedDescription))")
            }
            guard let t = JSONNumbers.number(o["timestamp"]), t.isFinite, t >= 0 else {
                throw WorkloadError("\(name):\(lineNo): field 'timestamp': expected a time ≥ 0 in ms")
            }
            guard let input = JSONNumbers.integer(o["input_length"]), input >= 1 else {
                throw WorkloadError("\(name):\(lineNo): field 'input_length': expected an integer ≥ 1")
            }
            guard let output = JSONNumbers.integer(o["output_length"]), output >= 1 else {
                throw WorkloadError("\(name):\(lineNo): field 'output_length': expected an integer ≥ 1")
            }
            arrivalsMS.append(t)
            inputs.append(input)
            outputs.append(output)
        }
        guard let origin = arrivalsMS.min() else {
            throw WorkloadError("\(name): no requests (expected one JSON object per line)")
        }
        return TraceFile.schedule(
            arrivalsS: arrivalsMS.map { ($0 - origin) / 1000 }, inputs: inputs, outputs: outputs, cached: nil, ids: nil)
    }
}

/// Byte-level helpers shared by the trace readers.
enum TraceFile {
    static func load(_ path: String) throws(WorkloadError) -> Data {
        do {
            return try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw WorkloadError("\(path): cannot read the file (\(error.localizedDescription))")
        }
    }

    static func text(_ bytes: [UInt8], _ r: Range<Int>) -> String { String(decoding: bytes[r], as: UTF8.self) }

    static func integer(_ bytes: [UInt8], _ r: Range<Int>) -> Int? { CSVBytes(file: "", bytes: bytes).integer(r) }

    /// `YYYY-MM-DD HH:MM:SS[.f…]` (or `T` between date and time; up to 9 fractional digits) as nanoseconds since
    /// 1970-01-01 00:00:00 of the same (unstated) zone; nil if malformed or out of range.
    static func timestampNanoseconds(_ bytes: [UInt8], _ r: Range<Int>) -> Int64? {
        guard r.count >= 19 else { return nil }
        let b = r.lowerBound
        func digits(_ at: Int, _ count: Int) -> Int? { integer(bytes, (b + at)..<(b + at + count)) }
        guard bytes[b + 4] == 0x2D, bytes[b + 7] == 0x2D, bytes[b + 10] == 0x20 || bytes[b + 10] == 0x54,
            bytes[b + 13] == 0x3A, bytes[b + 16] == 0x3A,
            let year = digits(0, 4), let month = digits(5, 2), let day = digits(8, 2),
            let hour = digits(11, 2), let minute = digits(14, 2), let second = digits(17, 2),
            (1...12).contains(month), day >= 1, day <= CivilCalendar.daysIn(month: month, year: year),
            hour < 24, minute < 60, second < 60
        else { return nil }
        var nanos = 0
        if r.count > 19 {
            let fraction = (b + 20)..<r.upperBound
            guard bytes[b + 19] == 0x2E, (1...9).contains(fraction.count), let f = integer(bytes, fraction) else {
                return nil
            }
            nanos = f
            for _ in fraction.count..<9 { nanos *= 10 }
        }
        let days = CivilCalendar.daysFromCivil(year: year, month: month, day: day)
        let seconds = Int64(days) * 86_400 + Int64(hour * 3600 + minute * 60 + second)
        return seconds * 1_000_000_000 + Int64(nanos)
    }

    /// Requests in arrival order (ties keep file order); ids default to `r` + the file position.
    static func schedule(arrivalsS: [Double], inputs: [Int], outputs: [Int], cached: [Int]?, ids: [String]?)
        -> [Request]
    {
        let order = arrivalsS.indices.sorted { (arrivalsS[$0], $0) < (arrivalsS[$1], $1) }
        return order.map { i in
            Request(
                id: ids?[i] ?? ScheduleReader.defaultID(i), arrivalS: arrivalsS[i], inputTokens: inputs[i],
                outputTokens: outputs[i], cachedPrefixTokens: cached?[i] ?? 0)
        }
    }
}

/// Turns a trace into a study-length schedule: scales its time axis, then repeats it back to back until
/// `durationS` is covered. Deterministic: no randomness.
///
/// An arrival t (s from the trace's first request) becomes t · `timeScale` / `rateScale`:
/// - `rateScale` multiplies the arrival rate (times are divided by it): 2 serves the trace's requests twice as fast;
/// - `timeScale` stretches the time axis (times are multiplied by it), slowing the rate by the same factor —
///   e.g. to spread an hour's rate pattern over a day.
/// The two compose into one factor; they are separate so a study's intent reads from its parameters.
///
/// Looping: pass k (0, 1, …) is offset by k · period, period = scaled span + one scaled mean gap
/// (span · n / (n − 1)), so the long-run rate equals the trace's own mean rate (times `rateScale / timeScale`) and
/// the seam looks like any other gap. Requests at or after `durationS` are dropped; without `durationS` the trace
/// is replayed once. Looping needs a trace that spans time (two or more distinct arrivals). Pass k ≥ 1 appends `~k` to each id, so ids stay unique.
public struct TraceReplay: Sendable, Equatable {
    public var rateScale: Double
    public var timeScale: Double
    /// Length of the schedule, s; nil replays the trace once.
    public var durationS: Double?

    public init(rateScale: Double = 1, timeScale: Double = 1, durationS: Double? = nil) throws(WorkloadError) {
        guard rateScale > 0 && rateScale.isFinite else {
            throw WorkloadError("trace replay: rate scale must be a number > 0, got \(rateScale)")
        }
        guard timeScale > 0 && timeScale.isFinite else {
            throw WorkloadError("trace replay: time scale must be a number > 0, got \(timeScale)")
        }
        if let d = durationS {
            guard d > 0 && d.isFinite else {
                throw WorkloadError("trace replay: duration must be a number of s > 0, got \(d)")
            }
        }
        self.rateScale = rateScale
        self.timeScale = timeScale
        self.durationS = durationS
    }

    /// The replayed schedule and its accounting.
    public struct Schedule: Sendable, Equatable {
        public var requests: [Request]
        /// Requests in the source trace.
        public var sourceRequests: Int
        /// Passes of the trace that fit entirely before the end.
        public var completePasses: Int
        /// Requests of the truncated last pass (0 when none).
        public var partialPassRequests: Int
        /// Scaled span of one pass (first to last arrival) and the loop period, s.
        public var passSpanS: Double
        public var periodS: Double
        /// Totals over `requests`.
        public var inputTokens: Int
        public var outputTokens: Int
        public var cachedPrefixTokens: Int
    }

    /// Replays `trace`, which must be sorted by arrival (as every reader returns it).
    public func schedule(_ trace: [Request]) throws(WorkloadError) -> Schedule {
        guard let first = trace.first, let last = trace.last else {
            throw WorkloadError("trace replay: the trace has no requests")
        }
        if let i = trace.indices.dropFirst().first(where: { trace[$0].arrivalS < trace[$0 - 1].arrivalS }) {
            throw WorkloadError(
                "trace replay: request \(i) ('\(trace[i].id)') arrives before the one it follows; sort the trace first")
        }
        let factor = timeScale / rateScale
        let span = (last.arrivalS - first.arrivalS) * factor
        let n = trace.count
        let period = n > 1 ? span * Double(n) / Double(n - 1) : 0
        let end = durationS ?? .infinity
        if durationS != nil && !(period > 0) {
            throw WorkloadError(
                "trace replay: the trace spans no time (\(n) request(s) at one instant), so it has no period to loop over a duration"
            )
        }
        var out: [Request] = []
        var complete = 0
        var partial = 0
        var pass = 0
        while true {
            let offset = Double(pass) * period
            var kept = 0
            for r in trace {
                let t = offset + (r.arrivalS - first.arrivalS) * factor
                guard t < end else { break }
                var q = r
                q.arrivalS = t
                if pass > 0 { q.id += "~\(pass)" }
                out.append(q)
                kept += 1
            }
            if kept == n { complete += 1 } else { partial = kept }
            pass += 1
            // Stop after one pass without a duration, after a truncated pass, or when the next pass starts too late.
            if durationS == nil || kept < n || offset + period >= end { break }
        }
        var input = 0
        var output = 0
        var cached = 0
        for r in out {
            input += r.inputTokens
            output += r.outputTokens
            cached += r.cachedPrefixTokens
        }
        return Schedule(
            requests: out, sourceRequests: n, completePasses: complete, partialPassRequests: partial, passSpanS: span,
            periodS: period, inputTokens: input, outputTokens: output, cachedPrefixTokens: cached)
    }
}
