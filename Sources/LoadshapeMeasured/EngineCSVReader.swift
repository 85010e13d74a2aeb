import Foundation
import LoadshapeCore
import LoadshapeIO
import LoadshapeWorkload

/// One scrape of vLLM's Prometheus counters (`engine.csv`). Cumulative counters count from server start.
public struct EngineSample: Sendable, Equatable {
    /// Unix epoch s.
    public var epochS: Double
    public var numRequestsRunning: Double
    public var numRequestsWaiting: Double
    /// KV-cache usage as a fraction 0...1 (vLLM's `gpu_cache_usage_perc` is a fraction despite its name).
    public var gpuCacheUsage: Double
    public var promptTokensTotal: Double
    public var generationTokensTotal: Double
    public var iterationTokensSum: Double
    public var iterationTokensCount: Double
    /// Optional counters: nil when the column is absent or the cell empty.
    public var requestPrefillTimeSumS: Double?
    public var requestDecodeTimeSumS: Double?
    public var numPreemptionsTotal: Double?
    public var prefixCacheQueriesTotal: Double?
    public var prefixCacheHitsTotal: Double?

    public init(
        epochS: Double, numRequestsRunning: Double, numRequestsWaiting: Double, gpuCacheUsage: Double,
        promptTokensTotal: Double, generationTokensTotal: Double, iterationTokensSum: Double,
        iterationTokensCount: Double, requestPrefillTimeSumS: Double? = nil, requestDecodeTimeSumS: Double? = nil,
        numPreemptionsTotal: Double? = nil, prefixCacheQueriesTotal: Double? = nil, prefixCacheHitsTotal: Double? = nil
    ) {
        self.epochS = epochS
        self.numRequestsRunning = numRequestsRunning
        self.numRequestsWaiting = numRequestsWaiting
        self.gpuCacheUsage = gpuCacheUsage
        self.promptTokensTotal = promptTokensTotal
        self.generationTokensTotal = generationTokensTotal
        self.iterationTokensSum = iterationTokensSum
        self.iterationTokensCount = iterationTokensCount
        self.requestPrefillTimeSumS = requestPrefillTimeSumS
        self.requestDecodeTimeSumS = requestDecodeTimeSumS
        self.numPreemptionsTotal = numPreemptionsTotal
        self.prefixCacheQueriesTotal = prefixCacheQueriesTotal
        self.prefixCacheHitsTotal = prefixCacheHitsTotal
    }
}

/// Reads `engine.csv`: a header, then one scrape per line (LF or CRLF).
///
/// Required columns: `timestamp` (Unix epoch s) and the manifest's required engine columns
/// (``EngineCSVReader/requiredColumns``); optional: ``EngineCSVReader/optionalColumns``. Other columns are
/// ignored. Required cells must be finite numbers ≥ 0; optional cells may be empty or `nan` (→ nil).
/// Timestamps must not go backwards. Errors name `file:line` and the column.
public enum EngineCSVReader {
    public static let requiredColumns = [
        "num_requests_running", "num_requests_waiting", "gpu_cache_usage_perc", "prompt_tokens_total",
        "generation_tokens_total", "iteration_tokens_total_sum", "iteration_tokens_total_count",
    ]
    public static let optionalColumns = [
        "request_prefill_time_seconds_sum", "request_decode_time_seconds_sum", "num_preemptions_total",
        "prefix_cache_queries_total", "prefix_cache_hits_total",
    ]

    public static func read(file: String) throws(IOError) -> [EngineSample] {
        try parse(CSVBytes.load(file))
    }

    /// Parses CSV text; `file` names it in errors.
    public static func parse(_ text: String, file: String) throws(IOError) -> [EngineSample] {
        try parse(CSVBytes(file: file, bytes: Array(text.utf8)))
    }

    static func parse(_ csv: CSVBytes) throws(IOError) -> [EngineSample] {
        let file = csv.file
        var header: [String] = []
        var required: [Int] = []
        var optional: [Int?] = []
        var cTime = 0
        var fields: [Range<Int>] = []
        var out: [EngineSample] = []
        try csv.forEachLine { (lineNo, line) throws(IOError) in
            csv.split(line, into: &fields)
            if header.isEmpty {
                header = fields.map { csv.columnName($0) }
                func column(_ name: String) throws(IOError) -> Int {
                    try CSVBytes.requireColumn(name, in: header, shown: header, file: file, line: lineNo)
                }
                cTime = try column("timestamp")
                for name in requiredColumns { required.append(try column(name)) }
                optional = optionalColumns.map { header.firstIndex(of: $0) }
                return
            }
            guard fields.count == header.count else {
                throw IOError(
                    "\(file):\(lineNo): expected \(header.count) fields as in the header, found \(fields.count) (truncated row?)")
            }
            func value(_ c: Int) throws(IOError) -> Double {
                guard let v = csv.number(fields[c]), v.isFinite, v >= 0 else {
                    throw IOError("\(file):\(lineNo): column '\(header[c])': '\(csv.string(fields[c]))' is not a number ≥ 0")
                }
                return v
            }
            func optionalValue(_ c: Int?) throws(IOError) -> Double? {
                guard let c else { return nil }
                let r = fields[c]
                if r.isEmpty || csv.string(r).lowercased() == "nan" { return nil }
                return try value(c)
            }
            let t = try value(cTime)
            if let last = out.last, t < last.epochS {
                throw IOError("\(file):\(lineNo): column 'timestamp': time goes backwards (\(csv.string(fields[cTime])))")
            }
            out.append(
                EngineSample(
                    epochS: t, numRequestsRunning: try value(required[0]), numRequestsWaiting: try value(required[1]),
                    gpuCacheUsage: try value(required[2]), promptTokensTotal: try value(required[3]),
                    generationTokensTotal: try value(required[4]), iterationTokensSum: try value(required[5]),
                    iterationTokensCount: try value(required[6]), requestPrefillTimeSumS: try optionalValue(optional[0]),
                    requestDecodeTimeSumS: try optionalValue(optional[1]),
                    numPreemptionsTotal: try optionalValue(optional[2]),
                    prefixCacheQueriesTotal: try optionalValue(optional[3]),
                    prefixCacheHitsTotal: try optionalValue(optional[4])))
        }
        if header.isEmpty { throw IOError("\(file): empty file, expected an engine.csv header") }
        return out
    }
}
