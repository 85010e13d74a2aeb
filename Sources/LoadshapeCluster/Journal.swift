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

    /// Opens the journal for `jobID`. `resume` keeps the shards already recorded (the journal must belong to the
    /// same job); otherwise any earlier journal in `directory` is cleared.
    public init(directory: String, jobID: String, shardNames: [String], version: String, resume: Bool) throws(ClusterFailure) {
        self.directory = directory
        self.jobID = jobID
        let fm = FileManager.default
        let planPath = directory + "/plan.json"
        if resume {
            guard fm.fileExists(atPath: planPath) else {
                throw ClusterFailure("--resume: no journal at \(directory) (plan.json missing); run without --resume to start the job")
            }
            let plan: [String: Any]
            do {
                let data = try Data(contentsOf: URL(fileURLWithPath: planPath))
                guard let p = try JSONSerialization.jsonObject(with: data) as? [String: Any] else {
                    throw ClusterFailure("\(planPath): not a JSON object")
                }
                plan = p
            } catch let e as ClusterFailure {
                throw e
            } catch {
                throw ClusterFailure("\(planPath): unreadable (\(error.localizedDescription))")
            }
            guard plan["format"] as? String == Self.format else {
                throw ClusterFailure("\(planPath): 'format' is not \(Self.format)")
            }
            guard plan["job"] as? String == jobID, plan["shards"] as? [String] == shardNames else {
                throw ClusterFailure(
                    "\(planPath): this journal belongs to another job (job \(plan["job"] as? String ?? "?"), this one is \(jobID)): "
                        + "the spec, the shard size or the Loadshape version differ; run without --resume to start over, or pass another --journal")
            }
        } else {
            if fm.fileExists(atPath: directory) {
                for f in (try? fm.contentsOfDirectory(atPath: directory)) ?? [] where f.hasPrefix("shard-") || f == "plan.json" {
                    try? fm.removeItem(atPath: directory + "/" + f)
                }
            }
            do {
                try fm.createDirectory(atPath: directory, withIntermediateDirectories: true)
                let plan: [String: Any] = ["format": Self.format, "job": jobID, "version": version, "shards": shardNames]
                let data = try JSONSerialization.data(withJSONObject: plan, options: [.prettyPrinted, .sortedKeys])
                try data.write(to: URL(fileURLWithPath: planPath), options: .atomic)
            } catch {
                throw ClusterFailure("cannot write the journal at \(directory): \(error.localizedDescription)")
            }
        }
    }

    func path(_ shard: Int) -> String { directory + "/shard-" + String(format: "%06d", shard) + ".lswp" }

    /// Records a merged shard's frame (atomically).
    public func record(shard: Int, frame: [UInt8]) throws(ClusterFailure) {
        do {
            try Data(frame).write(to: URL(fileURLWithPath: path(shard)), options: .atomic)
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
        var decoder = FrameDecoder(maxPayload: Int.max / 2)
        decoder.append(Array(data))
        do {
            guard let f = try decoder.next() else {
                problem("\(p): truncated frame; shard \(s) will be recomputed")
                return nil
            }
            guard case .partial(let j, let shard, _, let series) = try Message.decode(f), j == jobID, Int(shard) == s else {
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
