import Foundation
import LoadshapeCore

/// Reads request schedules from CSV or JSON files.
///
/// CSV: a header naming `arrival_s` (or `arrival_time`), `input_tokens`, `output_tokens` and optionally
/// `cached_prefix_tokens` and `request_id`, then one request per line (LF or CRLF).
/// JSON: a list of objects, or an object with a `requests` list; each has `arrival_time` (or `arrival_s`),
/// `input_tokens`, exactly one of `output_tokens` or `output_tokens_distribution` {`values`, `probabilities`}
/// (sampled once with the seed), and optionally `cached_prefix_tokens` and `request_id`.
public enum ScheduleReader {
    public static func read(path: String, seed: UInt64) throws(WorkloadError) -> [Request] {
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw WorkloadError("\(path): cannot read the file (\(error.localizedDescription))")
        }
        let lower = path.lowercased()
        if lower.hasSuffix(".json") {
            return try parseJSON(data, name: path, seed: seed)
        }
        if lower.hasSuffix(".csv") {
            return try parseCSV(data, name: path)
        }
        // Sniff: JSON starts with [ or {.
        if let first = data.first(where: { $0 != 0x20 && $0 != 0x0A && $0 != 0x0D && $0 != 0x09 }),
            first == UInt8(ascii: "[") || first == UInt8(ascii: "{")
        {
            return try parseJSON(data, name: path, seed: seed)
        }
        return try parseCSV(data, name: path)
    }

    public static func parseCSV(_ data: Data, name: String) throws(WorkloadError) -> [Request] {
        guard let text = String(data: data, encoding: .utf8) else {
            throw WorkloadError("\(name): not UTF-8 text")
        }
        // "\r\n" is one Character in Swift, so split on both forms.
        var lines = text.split(omittingEmptySubsequences: false, whereSeparator: { $0 == "\n" || $0 == "\r\n" })
        while let last = lines.last, last.isEmpty { lines.removeLast() }
        guard let headerLine = lines.first else { throw WorkloadError("\(name): empty file, expected a CSV header") }
        let header = headerLine.split(separator: ",", omittingEmptySubsequences: false).map {
            String($0).trimmingSpaces().lowercased()
        }
        func column(_ names: [String], required: Bool) throws(WorkloadError) -> Int? {
            for n in names { if let i = header.firstIndex(of: n) { return i } }
            if required {
                throw WorkloadError(
                    "\(name):1: header has no '\(names[0])' column (found: \(header.joined(separator: ", ")))")
            }
            return nil
        }
        let cArrival = try column(["arrival_s", "arrival_time", "arrival"], required: true)!
        let cInput = try column(["input_tokens"], required: true)!
        let cOutput = try column(["output_tokens"], required: true)!
        let cCached = try column(["cached_prefix_tokens"], required: false)
        let cId = try column(["request_id", "id"], required: false)
        var out: [Request] = []
        out.reserveCapacity(lines.count)
        for (i, line) in lines.enumerated().dropFirst() {
            let lineNo = i + 1
            if line.isEmpty { throw WorkloadError("\(name):\(lineNo): empty line") }
            let f = line.split(separator: ",", omittingEmptySubsequences: false).map { String($0).trimmingSpaces() }
            guard f.count == header.count else {
                throw WorkloadError("\(name):\(lineNo): expected \(header.count) fields, found \(f.count)")
            }
            guard let arrival = Double(f[cArrival]), arrival.isFinite, arrival >= 0 else {
                throw WorkloadError("\(name):\(lineNo): field '\(header[cArrival])': '\(f[cArrival])' is not a time ≥ 0 s")
            }
            guard let input = Int(f[cInput]), input >= 1 else {
                throw WorkloadError("\(name):\(lineNo): field 'input_tokens': '\(f[cInput])' is not an integer ≥ 1")
            }
            guard let output = Int(f[cOutput]), output >= 1 else {
                throw WorkloadError("\(name):\(lineNo): field 'output_tokens': '\(f[cOutput])' is not an integer ≥ 1")
            }
            var cached = 0
            if let c = cCached, !f[c].isEmpty {
                guard let v = Int(f[c]), v >= 0, v < input else {
                    throw WorkloadError(
                        "\(name):\(lineNo): field 'cached_prefix_tokens': '\(f[c])' is not an integer in 0..<input_tokens")
                }
                cached = v
            }
            let id = cId.map { f[$0] } ?? Self.defaultID(out.count)
            out.append(Request(id: id, arrivalS: arrival, inputTokens: input, outputTokens: output, cachedPrefixTokens: cached))
        }
        guard !out.isEmpty else { throw WorkloadError("\(name): no requests after the header") }
        return out
    }

    public static func parseJSON(_ data: Data, name: String, seed: UInt64) throws(WorkloadError) -> [Request] {
        let root: Any
        do {
            root = try JSONSerialization.jsonObject(with: data)
        } catch {
            throw WorkloadError("\(name): not valid JSON (\(error.localizedDescription))")
        }
        let list: [Any]
        if let l = root as? [Any] {
            list = l
        } else if let o = root as? [String: Any] {
            guard let l = o["requests"] as? [Any] else {
                throw WorkloadError("\(name): field 'requests': expected a list of request objects")
            }
            list = l
        } else {
            throw WorkloadError("\(name): expected a list of requests or an object with a 'requests' list")
        }
        var rng = Xoshiro256StarStar(seed: SeedDerivation.derive(root: seed, stream: "output-tokens-distribution"))
        var out: [Request] = []
        out.reserveCapacity(list.count)
        let known: Set<String> = [
            "arrival_time", "arrival_s", "input_tokens", "output_tokens", "output_tokens_distribution",
            "cached_prefix_tokens", "request_id",
        ]
        for (i, item) in list.enumerated() {
            let at = "\(name): requests[\(i)]"
            guard let o = item as? [String: Any] else { throw WorkloadError("\(at): expected an object") }
            if let unknown = o.keys.sorted().first(where: { !known.contains($0) }) {
                throw WorkloadError("\(at): unknown field '\(unknown)' (known: \(known.sorted().joined(separator: ", ")))")
            }
            guard let arrival = number(o["arrival_time"] ?? o["arrival_s"]), arrival.isFinite, arrival >= 0 else {
                throw WorkloadError("\(at): field 'arrival_time': expected a time ≥ 0 s")
            }
            guard let input = integer(o["input_tokens"]), input >= 1 else {
                throw WorkloadError("\(at): field 'input_tokens': expected an integer ≥ 1")
            }
            let output: Int
            switch (o["output_tokens"], o["output_tokens_distribution"]) {
            case (let v?, nil):
                guard let n = integer(v), n >= 1 else {
                    throw WorkloadError("\(at): field 'output_tokens': expected an integer ≥ 1")
                }
                output = n
            case (nil, let d?):
                guard let dd = d as? [String: Any], let vs = dd["values"] as? [Any], let ps = dd["probabilities"] as? [Any]
                else {
                    throw WorkloadError("\(at): field 'output_tokens_distribution': expected {values: [...], probabilities: [...]}")
                }
                let values = vs.compactMap(integer)
                let probs = ps.compactMap(number)
                guard values.count == vs.count, probs.count == ps.count else {
                    throw WorkloadError("\(at): field 'output_tokens_distribution': values must be integers and probabilities numbers")
                }
                let dist = try TokenDistribution.categorical(
                    values: values, probabilities: probs, what: "\(at): field 'output_tokens_distribution'")
                output = dist.sample(using: &rng)
            case (nil, nil):
                throw WorkloadError("\(at): needs 'output_tokens' or 'output_tokens_distribution'")
            default:
                throw WorkloadError("\(at): give exactly one of 'output_tokens' and 'output_tokens_distribution'")
            }
            var cached = 0
            if let c = o["cached_prefix_tokens"] {
                guard let v = integer(c), v >= 0, v < input else {
                    throw WorkloadError("\(at): field 'cached_prefix_tokens': expected an integer in 0..<input_tokens")
                }
                cached = v
            }
            let id = (o["request_id"] as? String) ?? integer(o["request_id"]).map { String($0) } ?? defaultID(i)
            out.append(Request(id: id, arrivalS: arrival, inputTokens: input, outputTokens: output, cachedPrefixTokens: cached))
        }
        guard !out.isEmpty else { throw WorkloadError("\(name): the schedule has no requests") }
        return out
    }

    public static func defaultID(_ i: Int) -> String {
        let s = String(i)
        return "r" + String(repeating: "0", count: Swift.max(0, 6 - s.count)) + s
    }

    static func number(_ v: Any?) -> Double? { JSONNumbers.number(v) }

    static func integer(_ v: Any?) -> Int? { JSONNumbers.integer(v) }
}
