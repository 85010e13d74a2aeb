import Foundation
import LoadshapeCore

/// Workload parameters derived from a real trace (`Configs/workloads/*.json`, schema
/// `loadshape-workload-profile-v1`): the joint token-length histogram, the normalised rate shape of the trace and
/// its mean rate. Derived parameters only, never raw requests.
///
/// ```json
/// { "schema": "loadshape-workload-profile-v1", "name": "azure-conv-2023",
///   "mean_rate_per_s": 5.53,
///   "rate_shape": { "interval_s": 58.4, "values": [60 numbers, mean 1] },
///   "tokens": { "input_edges": [...], "output_edges": [...], "probabilities": [[...], ...] },
///   "provenance": { ... } }
/// ```
/// Other keys (`description`, `summary`, `provenance`, …) are documentation and ignored here.
public struct WorkloadProfile: Sendable, Equatable {
    public static let schema = "loadshape-workload-profile-v1"

    public var name: String
    public var tokens: JointTokenHistogram
    /// Rate relative to the mean over consecutive intervals of ``rateShapeIntervalS`` (mean 1).
    public var rateShape: [Double]
    public var rateShapeIntervalS: Double
    public var meanRatePerS: Double

    /// The rate shape at the trace's mean rate (or `meanRatePerS` if given), repeating every interval × count.
    public func rateProfile(meanRatePerS mean: Double? = nil) throws(WorkloadError) -> RateProfile {
        try RateProfile(intervalS: rateShapeIntervalS, ratesPerS: rateShape).scaled(toMean: mean ?? meanRatePerS)
    }

    public static func load(path: String) throws(WorkloadError) -> WorkloadProfile {
        try parse(TraceFile.load(path), name: path)
    }

    /// Parses profile JSON; `name` names the source in errors.
    public static func parse(_ data: Data, name: String) throws(WorkloadError) -> WorkloadProfile {
        let root: Any
        do {
            root = try JSONSerialization.jsonObject(with: data)
        } catch {
            throw WorkloadError("\(name): not valid JSON (\(error.localizedDescription))")
        }
        guard let o = root as? [String: Any] else { throw WorkloadError("\(name): expected a JSON object") }
        guard let schema = o["schema"] as? String, schema == Self.schema else {
            throw WorkloadError(
                "\(name): field 'schema': expected '\(Self.schema)', got \(o["schema"].map { "'\($0)'" } ?? "none")")
        }
        guard let profileName = o["name"] as? String, !profileName.isEmpty else {
            throw WorkloadError("\(name): field 'name': expected a non-empty string")
        }
        guard let mean = JSONNumbers.number(o["mean_rate_per_s"]), mean > 0, mean.isFinite else {
            throw WorkloadError("\(name): field 'mean_rate_per_s': expected a number of req/s > 0")
        }
        guard let shape = o["rate_shape"] as? [String: Any] else {
            throw WorkloadError("\(name): field 'rate_shape': expected an object {interval_s, values}")
        }
        guard let interval = JSONNumbers.number(shape["interval_s"]), interval > 0, interval.isFinite else {
            throw WorkloadError("\(name): field 'rate_shape.interval_s': expected a number of s > 0")
        }
        guard let list = shape["values"] as? [Any], !list.isEmpty else {
            throw WorkloadError("\(name): field 'rate_shape.values': expected a non-empty list of numbers")
        }
        var values: [Double] = []
        for (k, v) in list.enumerated() {
            guard let d = JSONNumbers.number(v), d >= 0, d.isFinite else {
                throw WorkloadError("\(name): field 'rate_shape.values[\(k)]': expected a number ≥ 0")
            }
            values.append(d)
        }
        let shapeMean = Descriptive.mean(values)
        guard abs(shapeMean - 1) <= 1e-6 else {
            throw WorkloadError(
                "\(name): field 'rate_shape.values': mean is \(shapeMean), expected 1 (a normalised shape)")
        }
        guard let tokens = o["tokens"] else { throw WorkloadError("\(name): field 'tokens' is missing") }
        let histogram = try JointTokenHistogram.parse(tokens, name: name, field: "tokens.")
        return WorkloadProfile(
            name: profileName, tokens: histogram, rateShape: values, rateShapeIntervalS: interval, meanRatePerS: mean)
    }
}
