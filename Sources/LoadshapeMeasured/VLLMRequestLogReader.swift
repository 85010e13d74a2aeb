import Foundation
import LoadshapeIO

/// One request of a measured run, as the benchmark client logged it.
public struct MeasuredRequest: Sendable, Equatable {
    /// Position in the log (0-based).
    public var index: Int
    /// `request_ids[i]` when logged, else `r` and the zero-padded log position.
    public var id: String
    /// When the client sent the request, Unix epoch s.
    public var arrivalEpochS: Double
    /// Prompt tokens, including any prefix-cache hits.
    public var inputTokens: Int
    /// Generated tokens (0 for a request that failed).
    public var outputTokens: Int
    /// Client-side time to first token, s.
    public var ttftS: Double
    /// Mean inter-token latency, s; nil when the log has no `itls`, or the request has fewer than 2 tokens.
    public var meanITLS: Double?
    /// Time from the first to the last token, s (Σ itls, or mean ITL × (output − 1) when the log holds one
    /// mean per request); nil when unknown.
    public var decodeTimeS: Double?
    /// Number of logged inter-token gaps when `itls` holds per-token lists (a request is exact when it is
    /// `outputTokens − 1`); nil otherwise.
    public var itlCount: Int?
    /// Prompt tokens served from the prefix cache (`cached_prompt_tokens`); nil when not logged.
    public var cachedPromptTokens: Int?
    /// `session_ids[i]` and `turn_idx[i]` of replayed conversations, when logged.
    public var sessionID: String?
    public var turnIndex: Int?

    public init(
        index: Int, id: String, arrivalEpochS: Double, inputTokens: Int, outputTokens: Int, ttftS: Double,
        meanITLS: Double? = nil, decodeTimeS: Double? = nil, itlCount: Int? = nil, cachedPromptTokens: Int? = nil,
        sessionID: String? = nil, turnIndex: Int? = nil
    ) {
        self.index = index
        self.id = id
        self.arrivalEpochS = arrivalEpochS
        self.inputTokens = inputTokens
        self.outputTokens = outputTokens
        self.ttftS = ttftS
        self.meanITLS = meanITLS
        self.decodeTimeS = decodeTimeS
        self.itlCount = itlCount
        self.cachedPromptTokens = cachedPromptTokens
        self.sessionID = sessionID
        self.turnIndex = turnIndex
    }
}

/// Reads the benchmark client's request log: vLLM `benchmark_serving.py --save-detailed` output
/// (`requests.json`) or its summary without `itls` (`requests-summary.json`).
///
/// The top level is one JSON object of parallel per-request arrays. Required: `input_lens`, `output_lens`,
/// `ttfts` (s) and `request_timestamps` (Unix epoch s, send time). Optional: `itls` — per request either a
/// list of inter-token gaps (s) or one number (the request's mean gap, as the trace-replay client writes it),
/// `cached_prompt_tokens`, `request_ids`, `session_ids`, `turn_idx`. Every other key (the benchmark's many
/// scalars and extra arrays) is tolerated and ignored. Every array must have one entry per request; errors
/// name the file, the field and the index.
public enum VLLMRequestLogReader {
    public static func read(file: String) throws(IOError) -> [MeasuredRequest] {
        try parse(JSONFields.load(file))
    }

    /// Parses log JSON; `file` names it in errors.
    public static func parse(_ data: Data, file: String) throws(IOError) -> [MeasuredRequest] {
        try parse(JSONFields.parse(data, file: file))
    }

    static func parse(_ fields: JSONFields) throws(IOError) -> [MeasuredRequest] {
        var f = fields
        let file = f.file
        let inputs = try f.ints("input_lens")
        let n = inputs.count
        func check(_ count: Int, _ key: String) throws(IOError) {
            guard count == n else {
                throw f.fail(key, "has \(count) entries but 'input_lens' has \(n) (one per request is required)")
            }
        }
        let outputs = try f.ints("output_lens")
        try check(outputs.count, "output_lens")
        let ttfts = try f.doubles("ttfts")
        try check(ttfts.count, "ttfts")
        let arrivals = try f.doubles("request_timestamps")
        try check(arrivals.count, "request_timestamps")
        var cached: [Int]?
        if f.has("cached_prompt_tokens") {
            cached = try f.ints("cached_prompt_tokens")
            try check(cached?.count ?? 0, "cached_prompt_tokens")
        }
        var ids: [String]?
        if f.has("request_ids") {
            ids = try f.strings("request_ids")
            try check(ids?.count ?? 0, "request_ids")
        }
        var sessions: [String]?
        if f.has("session_ids") {
            sessions = try f.strings("session_ids")
            try check(sessions?.count ?? 0, "session_ids")
        }
        var turns: [Int]?
        if f.has("turn_idx") {
            turns = try f.ints("turn_idx")
            try check(turns?.count ?? 0, "turn_idx")
        }
        var itls: [Any]?
        if f.has("itls") {
            guard let l = f.raw("itls") as? [Any] else { throw f.fail("itls", "expected a list (one entry per request)") }
            try check(l.count, "itls")
            itls = l
        }
        var out: [MeasuredRequest] = []
        out.reserveCapacity(n)
        let width = Swift.max(6, String(n).count)
        for i in 0..<n {
            guard inputs[i] >= 1 else { throw f.fail("input_lens[\(i)]", "must be ≥ 1, got \(inputs[i])") }
            guard outputs[i] >= 0 else { throw f.fail("output_lens[\(i)]", "must be ≥ 0, got \(outputs[i])") }
            guard ttfts[i] >= 0 else { throw f.fail("ttfts[\(i)]", "must be ≥ 0 s, got \(ttfts[i])") }
            guard arrivals[i] > 0 else {
                throw f.fail("request_timestamps[\(i)]", "expected a Unix epoch time in s, got \(arrivals[i])")
            }
            var r = MeasuredRequest(
                index: i, id: ids?[i] ?? "r" + String(repeating: "0", count: Swift.max(0, width - String(i).count)) + "\(i)",
                arrivalEpochS: arrivals[i], inputTokens: inputs[i], outputTokens: outputs[i], ttftS: ttfts[i])
            if let c = cached?[i] {
                guard c >= 0, c <= inputs[i] else {
                    throw f.fail("cached_prompt_tokens[\(i)]", "must be in 0...input_lens[\(i)] = \(inputs[i]), got \(c)")
                }
                r.cachedPromptTokens = c
            }
            r.sessionID = sessions?[i]
            r.turnIndex = turns?[i]
            if let e = itls?[i] {
                let key = "itls[\(i)]"
                var one = JSONFields(file: file, path: "", object: [key: e])
                if e is [Any] {
                    let gaps = try one.doubles(key)
                    if let bad = gaps.firstIndex(where: { $0 < 0 }) {
                        throw f.fail("\(key)[\(bad)]", "must be ≥ 0 s, got \(gaps[bad])")
                    }
                    var s = 0.0
                    for g in gaps { s += g }
                    r.itlCount = gaps.count
                    r.decodeTimeS = s
                    r.meanITLS = gaps.isEmpty ? nil : s / Double(gaps.count)
                } else {
                    let mean = try one.double(key, min: 0)
                    if outputs[i] >= 2 {
                        r.meanITLS = mean
                        r.decodeTimeS = mean * Double(outputs[i] - 1)
                    } else {
                        r.decodeTimeS = 0
                    }
                }
            }
            out.append(r)
        }
        return out
    }
}
