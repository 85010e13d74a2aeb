import Foundation
import LoadshapeIO
import LoadshapeSite
import LoadshapeTransport
import LoadshapeZeroMQ

/// Runs a study on worker processes over ZeroMQ. It cuts the study into shards (``ShardPlan``), leases one shard
/// at a time to each worker, tracks liveness by heartbeats (and, for workers it spawned, by process exit),
/// re-dispatches the shard of a lost worker, ignores late duplicates, journals each merged shard to disk, and
/// merges in shard order — so the outputs are byte-identical to the single-process `loadshape site`, whatever
/// the number of workers, the shard size, the failures or the restarts.
public final class Coordinator {
    public struct Configuration {
        public var spec: StudySpec
        public var specText: String
        public var specPath: String
        public var catalog: Catalog
        public var shardSize: ShardSize = .row
        /// Where the ROUTER socket binds (`tcp://127.0.0.1:*` picks a free port).
        public var bind = "tcp://127.0.0.1:*"
        /// Worker processes to start on this machine (`cluster local`); 0 waits for workers to connect.
        public var spawnWorkers = 0
        /// The `loadshape` executable spawned workers run.
        public var executable = ""
        /// CURVE: the coordinator's key pair and the worker public keys it accepts (nil: no authentication).
        public var curve: (keys: CurveKeyPair, authorized: Set<String>)?
        /// For spawned workers under CURVE: their key file and the coordinator's public key file.
        public var spawnedWorkerKeyFiles: (workerKey: String, coordinatorPub: String)?
        /// A worker silent this long is lost and its shard re-dispatched.
        public var heartbeatTimeoutS = 10.0
        public var journal: String
        public var resume = false
        /// Discard any journal at `journal` first.
        public var fresh = false
        /// Shard names to recompute from a finished (or partial) journal.
        public var rerun: [String] = []
        /// After the job, keep telling late workers to shut down for this long.
        public var lingerS = 0.0
        /// Write the bound endpoint here (for launchers).
        public var endpointFile: String?
        public var progressIntervalS = 5.0
        public var version = "0"
        /// Spawned workers' stderr is discarded (otherwise it is the coordinator's).
        public var quietWorkers = false

        public init(spec: StudySpec, specText: String, specPath: String, catalog: Catalog, journal: String) {
            self.spec = spec
            self.specText = specText
            self.specPath = specPath
            self.catalog = catalog
            self.journal = journal
        }
    }

    /// What a run did, for the final report and `report.json` in the journal.
    public struct Report: Sendable {
        public var jobID = ""
        public var shards = 0
        public var computed = 0
        public var fromJournal = 0
        public var rerun = 0
        public var retries = 0
        public var lostWorkers: [String] = []
        public var workersSeen: [String] = []
        public var shardsByWorker: [String: Int] = [:]
        public var duplicatesIgnored = 0
        public var badMessages = 0
        public var deniedPeers = 0
        public var bytesReceived = 0
        public var wallS = 0.0
        public var coordinatorCPUS = 0.0
        public var workerCPUS = 0.0
        public var endpoint = ""
        public var journal = ""

        public var bytesPerShard: Int { computed > 0 ? bytesReceived / computed : 0 }

        public var json: [String: Any] {
            [
                "job": jobID, "shards": shards, "computed": computed, "from_journal": fromJournal, "rerun": rerun,
                "retries": retries, "lost_workers": lostWorkers, "workers": workersSeen, "shards_by_worker": shardsByWorker,
                "late_duplicates_ignored": duplicatesIgnored, "bad_messages": badMessages, "denied_handshakes": deniedPeers,
                "bytes_received": bytesReceived, "bytes_per_shard": bytesPerShard, "wall_s": wallS,
                "coordinator_cpu_s": coordinatorCPUS, "spawned_worker_cpu_s": workerCPUS, "endpoint": endpoint,
                "journal": journal,
            ]
        }

        public var summary: String {
            var s = "cluster: \(shards) shards (\(computed) computed, \(fromJournal) from the journal"
            if rerun > 0 { s += ", \(rerun) rerun" }
            s += ") on \(workersSeen.count) workers in \(String(format: "%.1f", wallS)) s; \(retries) re-dispatched, "
            s += "\(lostWorkers.count) workers lost\(lostWorkers.isEmpty ? "" : " (" + lostWorkers.joined(separator: ", ") + ")"), "
            s += "\(duplicatesIgnored) late duplicates ignored, \(badMessages) bad messages rejected"
            if deniedPeers > 0 { s += ", \(deniedPeers) handshakes denied" }
            s += "\n  \(bytesPerShard / 1000) kB per shard received; coordinator CPU \(String(format: "%.2f", coordinatorCPUS)) s"
            let total = coordinatorCPUS + workerCPUS
            if workerCPUS > 0 { s += " (\(String(format: "%.1f", 100 * coordinatorCPUS / total))% of \(String(format: "%.1f", total)) s)" }
            return s
        }
    }

    public let config: Configuration
    public let plan: ShardPlan
    public let jobID: String
    let runner: StudyRunner

    public init(_ config: Configuration) {
        self.config = config
        plan = ShardPlan(spec: config.spec, size: config.shardSize)
        runner = StudyRunner(spec: config.spec, catalog: config.catalog, allowUnsupported: true)
        // The job is what determines the answer: the spec text, the shard cut and the code version.
        jobID = "job-" + String(Checksum.sha256(Data((config.specText + "\n#plan=\(config.shardSize)#v=\(config.version)").utf8)).prefix(16))
    }

    enum WorkerState: Equatable {
        case idle
        case busy(shard: Int, since: Double, progress: Double)
        case lost
    }

    final class WorkerInfo {
        var state = WorkerState.idle
        var lastSeen: Double
        var shardsDone = 0
        /// The shard last dispatched to it: it walks forward from there.
        var last: Int?
        init(now: Double) { lastSeen = now }
    }

    /// The shard to give a worker next: the one after its last, if still queued, so each worker walks a contiguous
    /// range of rows and regenerates the site traffic of as few server blocks as it can (a worker makes one pass
    /// over the site's stream per block it enters); otherwise it splits the longest run of consecutive queued
    /// shards — taking the run's start if no worker is walking into it, else its middle. Only speed depends on
    /// this: the merge is in shard order, whatever ran where.
    /// - Parameters:
    ///   - queued: the shards waiting (any order, not empty);
    ///   - last: the worker's last shard;
    ///   - walking: the last shards of the other live workers.
    public static func nextShard(queued: [Int], last: Int?, walking: Set<Int>) -> Int {
        if let l = last, queued.contains(l + 1) { return l + 1 }
        let sorted = queued.sorted()
        var best = (start: sorted[0], length: 0)
        var i = 0
        while i < sorted.count {
            var j = i
            while j + 1 < sorted.count && sorted[j + 1] == sorted[j] + 1 { j += 1 }
            if j - i + 1 > best.length { best = (sorted[i], j - i + 1) }
            i = j + 1
        }
        return walking.contains(best.start - 1) ? best.start + best.length / 2 : best.start
    }

    /// The largest message a worker may send for this plan (with margin), so ZMQ_MAXMSGSIZE bounds memory.
    var maxMessageBytes: Int {
        let spec = config.spec
        let nb = runner.bins
        let caps = spec.powerCapsW.count
        var largest = 0
        for s in plan.shards {
            let site = spec.sites[s.site]
            let rows: [Int]
            var racks = 0
            switch s.scope {
            case .site: rows = Array(site.rows.indices)
            case .row(_, let r): rows = [r]
            case .racks(_, _, let range): rows = []; racks = range.count
            }
            var doubles = racks * (3 + caps) * nb
            for r in rows {
                let n = site.rows[r].racks.count
                doubles += (3 + caps) * nb + n * (spec.rackResolutions.reduce(0) { $0 + Int((Double(nb) * 0.25 / $1).rounded(.up)) } + nb / 4 + 1)
            }
            largest = Swift.max(largest, doubles * 8 + (rows.count * 64 + racks * 16) * 64 + 1 << 20)
        }
        return largest
    }

    /// Runs the job. `deliver` gets the result as soon as it is merged (to write the outputs), before the linger.
    public func run(log: (String) -> Void, deliver: ((StudyResult, Report) throws -> Void)? = nil) throws -> (StudyResult, Report) {
        let t0 = monotonicS()
        let cpu0 = Self.cpuSeconds(RUSAGE_SELF)
        let childCPU0 = Self.cpuSeconds(RUSAGE_CHILDREN)
        var report = Report()
        report.jobID = jobID
        report.shards = plan.shards.count
        report.journal = config.journal
        let total = plan.shards.count

        // The journal: what is already done.
        let journal = try Journal(
            directory: config.journal, jobID: jobID, shardNames: plan.shards.map(\.name), version: config.version,
            mode: config.fresh ? .fresh : (config.resume || !config.rerun.isEmpty) ? .resume : .start)
        // Shards done: their partials live in the journal, not in memory; they are merged from it at the end.
        var results: Set<Int> = []
        if config.resume || !config.rerun.isEmpty {
            let rerun = try plan.select(config.rerun)
            journal.forget(rerun)
            report.rerun = rerun.count
            for i in 0..<total {
                guard let series = journal.read(shard: i, problem: { log("coordinator: journal: \($0)") }) else { continue }
                do {
                    _ = try ShardCodec.decode(series, shard: plan.shards[i], runner: runner)
                    results.insert(i)
                } catch {
                    log("coordinator: journal: \(error); recomputing")
                    journal.forget([i])
                }
            }
            report.fromJournal = results.count
            log("coordinator: journal \(config.journal): \(results.count) of \(total) shards done; \(total - results.count) to compute")
        }

        // The merge runs in shard order while the job runs: a shard that arrives next is folded at once (one decode);
        // a few early ones are held; the rest are read back from the journal when their turn comes. Whole rows go
        // into the merger as they are, rack groups are folded into their rows (racks in order) first.
        var merger = StudyRunner.StudyMerger(runner: runner)
        var totals = config.spec.sites.map { _ in (0, 0, 0) }
        var folder: StudyRunner.RowFolder?
        var nextToMerge = 0
        var held: [Int: ShardResult] = [:]
        let maxHeld = 2 * Swift.max(config.spawnWorkers, 2)
        func advanceMerge() throws {
            while nextToMerge < total && results.contains(nextToMerge) {
                let s = nextToMerge
                let r: ShardResult
                if let h = held.removeValue(forKey: s) {
                    r = h
                } else {
                    guard let series = journal.read(shard: s, problem: { log("coordinator: journal: \($0)") }) else {
                        throw ClusterFailure("shard \(plan.shards[s].name) vanished from the journal \(config.journal) during the run")
                    }
                    r = try ShardCodec.decode(series, shard: plan.shards[s], runner: runner)
                }
                totals[plan.shards[s].site] = r.totals
                for row in r.rows { merger.add(row) }
                for rack in r.racks {
                    var f = folder ?? StudyRunner.RowFolder(runner: runner, site: rack.site, row: rack.row)
                    f.add(rack)
                    if f.racksFolded == config.spec.sites[rack.site].rows[rack.row].racks.count {
                        merger.add(f.finish())
                        folder = nil
                    } else {
                        folder = f
                    }
                }
                nextToMerge += 1
            }
        }
        try advanceMerge()

        let ctx = try ZMQContext()
        let zap: ZAPAuthenticator?
        if let c = config.curve { zap = try ZAPAuthenticator(context: ctx, authorizedKeys: c.authorized) } else { zap = nil }
        let router = try ZMQSocket(context: ctx, kind: .router)
        defer { router.close() }
        try router.setMaxMessageSize(Int64(maxMessageBytes))
        // A worker that reconnects under its id (a retried pod, a new socket after silence) takes over the old
        // connection instead of being refused.
        try router.setRouterHandover(true)
        if let c = config.curve { try router.makeCurveServer(secretKey: c.keys.secretKey) }
        try router.bind(config.bind)
        let endpoint = try router.lastEndpoint()
        report.endpoint = endpoint
        if let f = config.endpointFile {
            // A wildcard bind is written with this host's name, so workers elsewhere can use the file as is.
            let reachable = endpoint.replacingOccurrences(of: "tcp://0.0.0.0:", with: "tcp://\(ProcessInfo.processInfo.hostName):")
            do { try Data((reachable + "\n").utf8).write(to: URL(fileURLWithPath: f), options: .atomic) } catch {
                throw ClusterFailure("cannot write --endpoint-file \(f): \(error.localizedDescription)")
            }
        }

        // Spawned workers (cluster local).
        var processes: [String: Process] = [:]
        for i in 0..<config.spawnWorkers where results.count < total {
            let id = "worker-\(i + 1)"
            let p = Process()
            p.executableURL = URL(fileURLWithPath: config.executable)
            var args = [
                "worker", "--connect", endpoint.replacingOccurrences(of: "0.0.0.0", with: "127.0.0.1"), "--id", id,
                "--configs", config.catalog.root,
            ]
            if let k = config.spawnedWorkerKeyFiles { args += ["--curve-key", k.workerKey, "--coordinator-key", k.coordinatorPub] }
            args += ["--parent-pid", "\(getpid())"]
            p.arguments = args
            if config.quietWorkers { p.standardError = FileHandle.nullDevice }
            try p.run()
            processes[id] = p
        }
        defer {
            for p in processes.values where p.isRunning { kill(p.processIdentifier, SIGKILL) }
        }
        if results.count < total {
            log("coordinator: job \(jobID): \(total - results.count) of \(total) shards (\(plan.size)) at \(endpoint)"
                + (config.curve != nil ? " (CURVE)" : "") + (config.spawnWorkers > 0 ? " on \(config.spawnWorkers) local workers" : "; waiting for workers"))
        }

        var queue = (0..<total).filter { !results.contains($0) }
        var workers: [String: WorkerInfo] = [:]
        var lastProgress = monotonicS()
        var computedAt: [Double] = []
        let specSHA = Checksum.sha256(Data(config.specText.utf8))

        func send(_ id: String, _ m: Message) -> Bool {
            do {
                try router.send([Array(id.utf8), m.frame().encoded()])
                return true
            } catch {
                return false
            }
        }
        func lose(_ id: String, _ why: String) {
            guard let w = workers[id], w.state != .lost else { return }
            if case .busy(let s, _, _) = w.state, !results.contains(s) {
                if !queue.contains(s) { queue.insert(s, at: 0) }
                report.retries += 1
                log("coordinator: \(id) lost (\(why)); shard \(plan.shards[s].name) re-queued")
            } else {
                log("coordinator: \(id) lost (\(why))")
            }
            w.state = .lost
            report.lostWorkers.append(id)
        }
        func dispatch(_ id: String) {
            guard let w = workers[id], w.state == .idle, !queue.isEmpty else { return }
            let walking = Set(workers.filter { $0.key != id && $0.value.state != .lost }.compactMap { $0.value.last })
            let s = Self.nextShard(queued: queue, last: w.last, walking: walking)
            queue.removeAll { $0 == s }
            let shard = plan.shards[s]
            let job = Message.job(
                jobID: jobID, shard: UInt32(s), shardName: shard.name, plan: plan.size.description, seed: config.spec.seed,
                specPath: config.specPath, specSHA256: specSHA, spec: config.specText)
            guard send(id, job) else {
                queue.insert(s, at: 0)
                lose(id, "unreachable")
                return
            }
            let now = monotonicS()
            _ = send(id, .lease(jobID: jobID, shard: UInt32(s), attempt: 0, leaseMillis: UInt64(config.heartbeatTimeoutS * 1000)))
            w.state = .busy(shard: s, since: now, progress: 0)
            w.last = s
        }
        func progressLine() -> String {
            let done = results.count
            let elapsed = monotonicS() - t0
            var s = "coordinator: \(done)/\(total) shards (\(Int(100 * Double(done) / Double(Swift.max(total, 1))))%)"
            if computedAt.count >= 1 {
                let rate = Double(computedAt.count) / Swift.max(elapsed, 1e-9)
                let eta = Double(total - done) / Swift.max(rate, 1e-9)
                s += String(format: ", %.2f shards/s, ETA %.0f s", rate, eta)
            }
            let states = workers.keys.sorted().map { id -> String in
                switch workers[id]!.state {
                case .idle: return "\(id) idle"
                case .lost: return "\(id) lost"
                case .busy(let sh, _, let p): return "\(id) \(plan.shards[sh].name) \(Int(p * 100))%"
                }
            }
            if !states.isEmpty { s += "; " + states.joined(separator: ", ") }
            return s
        }

        var sockets = [router]
        if let z = zap { sockets.append(z.socket) }
        var lastWaitingLog = monotonicS()
        var deniedLogged: Set<String> = []
        while results.count < total {
            let ready = try ZMQSocket.poll(sockets, timeoutMillis: 200)
            let now = monotonicS()
            if ready.count > 1, ready[1], let z = zap {
                for d in try z.handlePending() where !d.accepted {
                    // libzmq retries a denied peer's handshake every reconnect interval: log each key once.
                    report.deniedPeers += 1
                    if deniedLogged.insert(d.publicKey ?? d.address).inserted { log("coordinator: denied \(d)") }
                }
            }
            if ready[0], let parts = try router.receiveNow() {
                handle: do {
                    guard parts.count == 2 else {
                        report.badMessages += 1
                        log("coordinator: malformed message (\(parts.count) parts) ignored")
                        break handle
                    }
                    let id = String(decoding: parts[0], as: UTF8.self)
                    report.bytesReceived += parts[1].count
                    let message: Message
                    do {
                        guard let m = try Message.decode(wholeFrame: parts[1], maxPayload: maxMessageBytes) else {
                            report.badMessages += 1
                            log("coordinator: truncated frame from \(id) rejected")
                            break handle
                        }
                        message = m
                    } catch {
                        report.badMessages += 1
                        log("coordinator: bad frame from \(id) rejected (\(error))")
                        break handle
                    }
                    let w: WorkerInfo
                    if let known = workers[id] {
                        w = known
                    } else {
                        w = WorkerInfo(now: now)
                        workers[id] = w
                        report.workersSeen.append(id)
                        log("coordinator: \(id) joined")
                    }
                    w.lastSeen = now
                    if w.state == .lost {
                        log("coordinator: \(id) is back")
                        w.state = .idle
                        report.lostWorkers.removeAll { $0 == id }
                    }
                    switch message {
                    case .hello(_, let capacity):
                        // Capacity 0: a worker reconnecting with a shard in hand; its heartbeat says which.
                        if capacity > 0 { dispatch(id) }
                    case .heartbeat(_, let shard, let p):
                        if w.state == .idle && Int(shard) < total {
                            // A worker we did not lease this shard to (we restarted, or lost it): adopt it.
                            let s = Int(shard)
                            queue.removeAll { $0 == s }
                            w.state = .busy(shard: s, since: now, progress: p)
                            log("coordinator: \(id) is computing shard \(plan.shards[s].name) from an earlier lease"
                                + (!results.contains(s) ? "; adopted" : " (already done here)"))
                        }
                        if case .busy(let s, let since, _) = w.state {
                            if Int(shard) == s {
                                w.state = .busy(shard: s, since: since, progress: p)
                            } else if shard == .max && now - since > 5 {
                                // The worker says it is idle but holds our lease: it restarted. Re-queue.
                                if !results.contains(s) && !queue.contains(s) { queue.insert(s, at: 0); report.retries += 1 }
                                w.state = .idle
                                log("coordinator: \(id) no longer holds shard \(plan.shards[s].name); re-queued")
                            }
                            _ = send(id, .lease(jobID: jobID, shard: UInt32(s), attempt: 0, leaseMillis: UInt64(config.heartbeatTimeoutS * 1000)))
                        } else {
                            _ = send(id, .heartbeat(workerID: "coordinator", shard: .max, progress: Double(results.count) / Double(total)))
                        }
                        dispatch(id)
                    case .partial(let j, let shard, _, let series):
                        let s = Int(shard)
                        guard j == jobID, s < total else {
                            report.badMessages += 1
                            log("coordinator: partial from \(id) for another job or shard (\(j) #\(shard)) ignored")
                            break handle
                        }
                        if case .busy(let held, _, _) = w.state, held == s { w.state = .idle }
                        if results.contains(s) {
                            report.duplicatesIgnored += 1
                            log("coordinator: late duplicate of shard \(plan.shards[s].name) from \(id) ignored")
                        } else {
                            do {
                                let decoded = try ShardCodec.decode(series, shard: plan.shards[s], runner: runner)
                                try journal.record(shard: s, frame: parts[1])
                                results.insert(s)
                                // Merged now if it is next (or soon: a few are held); otherwise later, from the journal.
                                if s == nextToMerge || held.count < maxHeld { held[s] = decoded }
                                try advanceMerge()
                                queue.removeAll { $0 == s }
                                computedAt.append(now)
                                report.computed += 1
                                report.shardsByWorker[id, default: 0] += 1
                                w.shardsDone += 1
                                log("coordinator: shard \(plan.shards[s].name) done by \(id) (\(results.count)/\(total))")
                            } catch let e as ClusterFailure {
                                throw e
                            } catch {
                                report.badMessages += 1
                                log("coordinator: rejected the partial for shard \(plan.shards[s].name) from \(id): \(error)")
                                if !queue.contains(s) { queue.insert(s, at: 0) }
                            }
                        }
                        dispatch(id)
                    case .error(let code, let text):
                        throw ClusterFailure("\(id) could not compute shard \(code < total ? plan.shards[Int(code)].name : "\(code)"): \(text)")
                    default:
                        report.badMessages += 1
                        log("coordinator: unexpected message from \(id) ignored")
                    }
                }
            }
            // Liveness: spawned processes that exited, and workers silent past the timeout.
            for (id, p) in processes where !p.isRunning {
                if workers[id] == nil {
                    let w = WorkerInfo(now: now)
                    workers[id] = w
                    report.workersSeen.append(id)
                }
                lose(id, "process exited with status \(p.terminationStatus)")
            }
            for id in workers.keys.sorted() where workers[id]!.state != .lost && now - workers[id]!.lastSeen > config.heartbeatTimeoutS {
                lose(id, "no heartbeat for \(Int(config.heartbeatTimeoutS)) s")
            }
            for id in workers.keys.sorted() where workers[id]!.state == .idle { dispatch(id) }
            if config.spawnWorkers > 0 && processes.values.allSatisfy({ !$0.isRunning }) && results.count < total {
                throw ClusterFailure("every worker process is gone; \(total - results.count) shards unfinished (journal kept at \(config.journal): rerun with --resume)")
            }
            if now - lastProgress >= config.progressIntervalS {
                log(progressLine())
                lastProgress = now
            }
            if workers.values.allSatisfy({ $0.state == .lost }) && now - lastWaitingLog >= 30 && config.spawnWorkers == 0 {
                log("coordinator: waiting for workers to connect to \(endpoint)")
                lastWaitingLog = now
            }
        }
        if report.computed > 0 || !workers.isEmpty { log(progressLine()) }

        // Shut down the live workers now; late ones during the linger, after the outputs are delivered.
        for id in workers.keys.sorted() where workers[id]!.state != .lost { _ = send(id, .shutdown(reason: "job complete")) }
        let deadline = monotonicS() + 10
        for (id, p) in processes {
            // A lost worker may be hung (stopped): it gets no grace.
            if workers[id]?.state == .lost && p.isRunning { kill(p.processIdentifier, SIGKILL) }
            while p.isRunning && monotonicS() < deadline { Thread.sleep(forTimeInterval: 0.02) }
            if p.isRunning { kill(p.processIdentifier, SIGKILL) }
            p.waitUntilExit()
        }

        try advanceMerge()
        guard nextToMerge == total else { throw ClusterFailure("internal: merged \(nextToMerge) of \(total) shards") }
        var result = merger.finish(traffic: totals)
        // Inputs and support labels, as the single-process run records them.
        let single = try runner.resolveInputs()
        result.inputs = single.inputs
        for i in result.sites.indices { result.sites[i].supportViolations = single.violations[i] }
        report.wallS = monotonicS() - t0
        report.coordinatorCPUS = Self.cpuSeconds(RUSAGE_SELF) - cpu0
        report.workerCPUS = Self.cpuSeconds(RUSAGE_CHILDREN) - childCPU0
        try? writeJSON(report.json, to: config.journal + "/report.json")
        try deliver?(result, report)
        // Linger: answer late workers (completing their CURVE handshakes) with shutdown, so a launcher's retried
        // worker exits 0 instead of waiting out its give-up time.
        let lingerEnd = monotonicS() + config.lingerS
        if config.lingerS > 0 { log("coordinator: outputs delivered; telling late workers to shut down for \(Int(config.lingerS)) s") }
        while monotonicS() < lingerEnd {
            let ready = try ZMQSocket.poll(sockets, timeoutMillis: 200)
            if ready.count > 1, ready[1], let z = zap { _ = try z.handlePending() }
            guard ready[0], let parts = try router.receiveNow(), parts.count == 2 else { continue }
            _ = send(String(decoding: parts[0], as: UTF8.self), .shutdown(reason: "job complete"))
        }
        return (result, report)
    }

    static func cpuSeconds(_ who: __rusage_who) -> Double {
        var u = rusage()
        getrusage(__rusage_who_t(who.rawValue), &u)
        return Double(u.ru_utime.tv_sec) + Double(u.ru_utime.tv_usec) / 1e6 + Double(u.ru_stime.tv_sec) + Double(u.ru_stime.tv_usec) / 1e6
    }
}

public struct ClusterFailure: Error, CustomStringConvertible {
    public let description: String
    public init(_ d: String) { description = d }
}
