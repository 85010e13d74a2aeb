import Foundation
import LoadshapeCore

/// The request files `generate --requests` takes: Loadshape's own schedules and the traces users already have.
public enum RequestFileFormat: String, CaseIterable, Sendable {
    /// Loadshape's schedule: CSV (`arrival_s,input_tokens,output_tokens`) or JSON (``ScheduleReader``).
    case schedule
    /// The Azure LLM inference traces (`TIMESTAMP,ContextTokens,GeneratedTokens`, ``AzureTraceReader``).
    case azure
    /// A vLLM benchmark result (`request_timestamps`, `input_lens`, `output_lens`, ``VLLMBenchmarkReader``).
    case vllm
    /// Mooncake-style JSONL (`timestamp` ms, `input_length`, `output_length`, ``MooncakeTraceReader``).
    case mooncake
}

/// Reads a request file in any of ``RequestFileFormat``, telling the format from the file when not given.
public enum RequestFile {
    /// The format of `data` (named `path`): JSONL or a JSON object per line with `input_length` → Mooncake; a JSON
    /// object with `request_timestamps` → vLLM; a CSV header naming `ContextTokens` → Azure; else a schedule.
    public static func detect(path: String, data: Data) -> RequestFileFormat {
        let lower = path.lowercased()
        if lower.hasSuffix(".jsonl") { return .mooncake }
        let head = String(decoding: data.prefix(4096), as: UTF8.self)
        let trimmed = head.drop { $0 == " " || $0 == "\n" || $0 == "\r" || $0 == "\t" || $0 == "\u{FEFF}" }
        if trimmed.first == "{" {
            let firstLine = trimmed.prefix { $0 != "\n" && $0 != "\r" }
            if firstLine.contains("\"input_length\"") && firstLine.hasSuffix("}") { return .mooncake }
            if data.contains("\"request_timestamps\"".utf8) { return .vllm }
            return .schedule
        }
        if trimmed.first == "[" { return .schedule }
        let header = trimmed.prefix { $0 != "\n" && $0 != "\r" }.lowercased()
        if header.contains("contexttokens") && header.contains("generatedtokens") { return .azure }
        return .schedule
    }

    /// Reads `path` (in `format`, or the detected one); returns the requests and the format used.
    public static func read(path: String, format: RequestFileFormat? = nil, seed: UInt64) throws(WorkloadError)
        -> (requests: [Request], format: RequestFileFormat)
    {
        let f: RequestFileFormat
        if let given = format {
            f = given
        } else {
            f = detect(path: path, data: try TraceFile.load(path))
        }
        switch f {
        case .schedule: return (try ScheduleReader.read(path: path, seed: seed), f)
        case .azure: return (try AzureTraceReader.read(path: path), f)
        case .vllm: return (try VLLMBenchmarkReader.read(path: path), f)
        case .mooncake: return (try MooncakeTraceReader.read(path: path), f)
        }
    }
}

extension Data {
    /// Whether the bytes contain `needle`.
    fileprivate func contains(_ needle: String.UTF8View) -> Bool {
        range(of: Data(needle)) != nil
    }
}
