import Foundation
import LoadshapeIO
import LoadshapeTransport

/// The coordinator's on-disk record of a job: the shard plan and, one file per shard, each merged shard's partial
/// exactly as it arrived (a checksummed protocol frame). Written as each shard arrives (to a temporary name, then
/// renamed, so a crash never leaves half a shard), it lets `--resume` recompute only unfinished shards and
/// `--shards` recompute named ones.
public struct Journal {
    public let directory: String
    public let jobID: String

    static let format = "loadshape-journal-v1"

    /// How a run treats a journal already at its path.
    public enum Mode: Sendable {
        /// Start the job; refuse when the journal holds finished shards of this same job (they would be lost).
        case start
        /// Continue the job recorded there (or start it when there is none).
        case resume
        /// Discard whatever is there and start.
        case fresh
    }

    /// Opens the journal for `jobID`.
    public init(directory: String, jobID: String, shardNames: [String], version: String, mode: Mode) throws(ClusterFailure) {
        self.directory = directory
        self.jobID = jobID
        let fm = FileManager.default
        let planPath = directory + "/plan.json"
        var plan: [String: Any]?
        if fm.fileExists(atPath: planPath) {
            do {
                let data = try Data(contentsOf: URL(fileURLWithPath: planPath))
                guard let p = try JSONSerialization.jsonObject(with: data) as? [String: Any] else {
                    throw ClusterFailure("\(planPath): not a JSON object")
                }
                guard p["format"] as? String == Self.format else { throw ClusterFailure("\(planPath): 'format' is not \(Self.format)") }
                plan = p
            } catch let e as ClusterFailure {
                if mode != .fresh { throw ClusterFailure(e.description + " (pass --fresh to discard this journal)") }
            } catch {
                if mode != .fresh { throw ClusterFailure("\(planPath): unreadable (\(error.localizedDescription)); pass --fresh to discard this journal") }
            }
        }
        let sameJob = plan.map { $0["job"] as? String == jobID && $0["shards"] as? [String] == shardNames } ?? false
        let finished = ((try? fm.contentsOfDirectory(atPath: directory)) ?? []).filter { $0.hasPrefix("shard-") && $0.hasSuffix(".lswp") }.count
        switch mode {
        case .resume where plan != nil:
            guard sameJob else {
                throw ClusterFailure(
                    "\(planPath): this journal belongs to another job (job \(plan?["job"] as? String ?? "?"), this one is \(jobID)): "
                        + "the spec, the shard size or the Loadshape version differ; pass --fresh to discard it, or another --journal")
            }
            return
        case .start where sameJob && finished > 0:
            throw ClusterFailure(
                "\(directory) holds \(finished) finished shards of this job: pass --resume to continue it (only the rest is "
                    + "computed), or --fresh to discard them and start over")
        default:
            break
        }
        if fm.fileExists(atPath: directory) {
            for f in (try? fm.contentsOfDirectory(atPath: directory)) ?? [] where f.hasPrefix("shard-") || f == "plan.json" || f == "report.json" {
                try? fm.removeItem(atPath: directory + "/" + f)
            }
        }
        do {
            try fm.createDirectory(atPath: directory, withIntermediateDirectories: true)
            let p: [String: Any] = ["format": Self.format, "job": jobID, "version": version, "shards": shardNames]
            let data = try JSONSerialization.data(withJSONObject: p, options: [.prettyPrinted, .sortedKeys])
            try data.write(to: URL(fileURLWithPath: planPath), options: .atomic)
        } catch {
            throw ClusterFailure("cannot write the journal at \(directory): \(error.localizedDescription)")
        }
    }

    func path(_ shard: Int) -> String { directory + "/shard-" + String(format: "%06d", shard) + ".lswp" }

    /// Records a merged shard's frame (atomically).
    public func record(shard: Int, frame: [UInt8]) throws(ClusterFailure) {
        do {
            // Written from the frame's own bytes (no copy into a Data first: a partial is tens of MB).
            try frame.withUnsafeBytes { raw in
                guard let base = raw.baseAddress, !raw.isEmpty else { return try Data().write(to: URL(fileURLWithPath: path(shard)), options: .atomic) }
                try Data(bytesNoCopy: UnsafeMutableRawPointer(mutating: base), count: raw.count, deallocator: .none)
                    .write(to: URL(fileURLWithPath: path(shard)), options: .atomic)
            }
        } catch {
            throw ClusterFailure("cannot journal shard \(shard) at \(path(shard)): \(error.localizedDescription)")
        }
    }

    /// Drops recorded shards (for `--shards` reruns).
    public func forget(_ shards: [Int]) {
        for s in shards { try? FileManager.default.removeItem(atPath: path(s)) }
    }

    /// The recorded partial of one shard, or nil when there is none. A file that is not a valid partial frame
    /// of this job for its shard is reported through `problem` and treated as absent (it will be recomputed).
    public func read(shard s: Int, problem: (String) -> Void) -> [SeriesPayload]? {
        let p = path(s)
        guard let data = FileManager.default.contents(atPath: p) else { return nil }
        do {
            guard let m = try Message.decode(wholeFrame: [UInt8](data), maxPayload: Int.max / 2) else {
                problem("\(p): truncated frame; shard \(s) will be recomputed")
                return nil
            }
            guard case .partial(let j, let shard, _, let series) = m, j == jobID, Int(shard) == s else {
                problem("\(p): not this job's partial for shard \(s); it will be recomputed")
                return nil
            }
            return series
        } catch {
            problem("\(p): \(error); shard \(s) will be recomputed")
            return nil
        }
    }
}
