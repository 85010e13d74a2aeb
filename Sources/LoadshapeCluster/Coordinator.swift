import Foundation
import LoadshapeIO
import LoadshapeSite
import LoadshapeTransport
import LoadshapeZeroMQ

/// Runs a study on worker processes over ZeroMQ: hands out one row shard at a time, re-queues the shard of a
/// worker process that dies, and merges the partials in shard order — so the outputs are byte-identical to the
/// single-process `loadshape site`, whatever the number of workers.
public struct Coordinator {
    public var spec: StudySpec
    public var specText: String
    public var catalog: Catalog
    public var workers: Int
    /// The `loadshape` executable to launch workers with.
    public var executable: String

    public init(spec: StudySpec, specText: String, catalog: Catalog, workers: Int, executable: String) {
        self.spec = spec
        self.specText = specText
        self.catalog = catalog
        self.workers = workers
        self.executable = executable
    }

    public struct Report: Sendable {
        public var shards: Int
        public var workers: Int
        public var redispatched: Int
        public var lostWorkers: Int
        public var bytesReceived: Int
        public var wallS: Double
    }

    public func run(log: (String) -> Void) throws -> (StudyResult, Report) {
        let t0 = Date()
        let ctx = try ZMQContext()
        let router = try ZMQSocket(context: ctx, kind: .router)
        defer { router.close() }
        try router.setMaxMessageSize(1 << 30)
        try router.bind("tcp://127.0.0.1:*")
        let endpoint = try router.lastEndpoint()
        let runner = StudyRunner(spec: spec, catalog: catalog, allowUnsupported: true)
        let shards = runner.shards
        let jobID = "study-" + String(Checksum.sha256(Data(specText.utf8)).prefix(12))
        var processes: [String: Process] = [:]
        for i in 0..<workers {
            let id = "worker-\(i + 1)"
            let p = Process()
            p.executableURL = URL(fileURLWithPath: executable)
            p.arguments = ["worker", "--connect", endpoint, "--id", id, "--configs", catalog.root]
            try p.run()
            processes[id] = p
        }
        defer { for p in processes.values where p.isRunning { p.terminate() } }
        log("coordinator: \(shards.count) shards on \(workers) workers at \(endpoint)")
        var queue = Array(0..<shards.count)
        var assigned: [String: Int] = [:]
        var idle: [String] = []
        var partials: [Int: StudyRunner.RowPartial] = [:]
        var totals: [Int: (Int, Int, Int)] = [:]
        var redispatched = 0
        var lost: Set<String> = []
        var bytes = 0
        func dispatch(_ worker: String) throws {
            guard let shard = queue.first else {
                idle.append(worker)
                return
            }
            queue.removeFirst()
            assigned[worker] = shard
            let (si, ri) = shards[shard]
            let msg = Message.job(
                jobID: jobID, shard: UInt32(shard), shardName: "\(spec.sites[si].name)/\(spec.sites[si].rows[ri].name)",
                seed: spec.seed, specSHA256: Checksum.sha256(Data(specText.utf8)), spec: specText)
            do {
                try router.send([Array(worker.utf8), msg.frame().encoded()])
            } catch {
                guard error.isHostUnreachable else { throw error }
                queue.insert(shard, at: 0)
                assigned[worker] = nil
                lost.insert(worker)
            }
        }
        while partials.count < shards.count {
            // Workers that died: their shard goes back to the queue.
            for (id, p) in processes where !p.isRunning && !lost.contains(id) {
                lost.insert(id)
                if let s = assigned.removeValue(forKey: id) {
                    queue.insert(s, at: 0)
                    redispatched += 1
                    log("coordinator: \(id) exited; shard \(s) re-queued")
                }
                if let i = idle.firstIndex(of: id) { idle.remove(at: i) }
            }
            while !queue.isEmpty, let w = idle.first {
                idle.removeFirst()
                try dispatch(w)
            }
            guard lost.count < workers else { throw ClusterFailure("every worker is gone; \(shards.count - partials.count) shards unfinished") }
            guard let parts = try router.receive(timeoutMillis: 200), parts.count >= 2 else { continue }
            let worker = String(decoding: parts[0], as: UTF8.self)
            bytes += parts[1].count
            var decoder = FrameDecoder(maxPayload: 1 << 30)
            decoder.append(parts[1])
            let message: Message
            do {
                guard let f = try decoder.next() else { continue }
                message = try Message.decode(f)
            } catch {
                log("coordinator: bad frame from \(worker) ignored (\(error))")
                continue
            }
            switch message {
            case .hello:
                guard processes[worker] != nil else { log("coordinator: unknown peer \(worker) ignored"); continue }
                try dispatch(worker)
            case .partial(let j, let shard, _, let series):
                guard j == jobID, Int(shard) < shards.count, assigned[worker] == Int(shard) else {
                    log("coordinator: stale or unexpected partial from \(worker) ignored")
                    continue
                }
                assigned[worker] = nil
                if partials[Int(shard)] == nil {
                    let (si, ri) = shards[Int(shard)]
                    let (p, t) = try ShardCodec.partial(site: si, row: ri, series: series, spec: spec)
                    partials[Int(shard)] = p
                    totals[si] = t
                    log("coordinator: shard \(shard) done by \(worker) (\(partials.count)/\(shards.count))")
                }
                try dispatch(worker)
            case .error(let code, let text):
                throw ClusterFailure("worker \(worker) failed shard \(code): \(text)")
            default:
                log("coordinator: unexpected message from \(worker) ignored")
            }
        }
        for id in processes.keys.sorted() where !lost.contains(id) {
            try? router.send([Array(id.utf8), Message.shutdown(reason: "job complete").frame().encoded()])
        }
        for p in processes.values { p.waitUntilExit() }
        var result = runner.merge(
            shards.indices.compactMap { partials[$0] },
            traffic: spec.sites.indices.map { totals[$0] ?? (0, 0, 0) })
        // Inputs and support labels, as the single-process run records them.
        let single = try runner.resolveInputs()
        result.inputs = single.inputs
        for i in result.sites.indices { result.sites[i].supportViolations = single.violations[i] }
        let report = Report(
            shards: shards.count, workers: workers, redispatched: redispatched, lostWorkers: lost.count,
            bytesReceived: bytes, wallS: Date().timeIntervalSince(t0))
        return (result, report)
    }
}

public struct ClusterFailure: Error, CustomStringConvertible {
    public let description: String
    init(_ d: String) { description = d }
}
