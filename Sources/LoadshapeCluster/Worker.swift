import Foundation
import LoadshapeCore
import LoadshapeIO
import LoadshapeSite
import LoadshapeTransport
import LoadshapeZeroMQ

/// A worker: connects to the coordinator, announces itself, runs the shards it is given on a compute thread while
/// its socket thread streams heartbeats, and sends back each shard's partial aggregates, until told to shut down.
/// When the coordinator falls silent it reconnects with backoff (finishing and delivering the shard in hand), and
/// gives up after `giveUpS`. One thread owns the socket.
public struct Worker {
    public var endpoint: String
    public var workerID: String
    public var catalog: Catalog
    /// CURVE: this worker's key pair and the coordinator's public key (nil: plain TCP).
    public var curve: (keys: CurveKeyPair, serverKey: String)?
    public var heartbeatS = 1.0
    /// Silence from the coordinator after which the worker reconnects.
    public var silenceS = 15.0
    /// Time without the coordinator after which the worker exits with an error.
    public var giveUpS = 600.0
    /// Exit when this process's parent is no longer `parentPID` (workers spawned by `cluster local`).
    public var parentPID: Int32?

    public init(endpoint: String, workerID: String, catalog: Catalog) {
        self.endpoint = endpoint
        self.workerID = workerID
        self.catalog = catalog
    }

    /// The shard in hand, shared between the socket thread and the compute thread.
    final class ComputeBox: @unchecked Sendable {
        // @unchecked: every field is read and written under `lock`.
        let lock = NSLock()
        var progress = 0.0
        var reply: [UInt8]?
        func set(progress p: Double) { lock.withLock { progress = p } }
        func finish(_ r: [UInt8]) { lock.withLock { reply = r } }
        func take() -> [UInt8]? { lock.withLock { defer { reply = nil }; return reply } }
        var currentProgress: Double { lock.withLock { progress } }
    }

    public func run(log: (String) -> Void) throws {
        let ctx = try ZMQContext()
        let executor = ShardExecutor(catalog: catalog)
        var box: ComputeBox?
        var inHand: (shard: UInt32, attempt: UInt32)?
        var backoffS = 0.5
        var lostSince: Double?
        var shardsRun = 0
        let env = ProcessInfo.processInfo.environment
        let killAtHalf = env["LOADSHAPE_TEST_KILL"] == workerID
        let stopAtHalf = env["LOADSHAPE_TEST_STOP"] == workerID
        while true {
            let socket = try ZMQSocket(context: ctx, kind: .dealer)
            defer { socket.close() }
            try socket.setIdentity(workerID)
            try socket.setMaxMessageSize(64 << 20)
            if let c = curve { try socket.makeCurveClient(serverKey: c.serverKey, keys: c.keys) }
            try socket.connect(endpoint)
            // Capacity is the free slots now: 0 when reconnecting with a shard in hand.
            try socket.send([Message.hello(workerID: workerID, capacity: box == nil ? 1 : 0).frame().encoded()])
            var lastHeard = monotonicS()
            var lastBeat = 0.0
            connection: while true {
                if let ppid = parentPID, getppid() != ppid {
                    log("worker \(workerID): the coordinator process that started me is gone; exiting")
                    return
                }
                if let parts = try socket.receive(timeoutMillis: 100) {
                    lastHeard = monotonicS()
                    if lostSince != nil { log("worker \(workerID): coordinator at \(endpoint) is back") }
                    lostSince = nil
                    backoffS = 0.5
                    let message: Message
                    do {
                        guard let m = try Message.decode(wholeFrame: parts.last ?? [], maxPayload: 64 << 20) else {
                            log("worker \(workerID): incomplete frame ignored")
                            continue
                        }
                        message = m
                    } catch {
                        log("worker \(workerID): bad frame ignored (\(error))")
                        continue
                    }
                    switch message {
                    case .job(let jobID, let shard, let name, let plan, let seed, let path, let sha, let spec):
                        guard box == nil else {
                            log("worker \(workerID): job for shard \(shard) while shard \(inHand?.shard ?? 0) is in hand; ignored")
                            continue
                        }
                        let job = ShardExecutor.Job(
                            jobID: jobID, shard: Int(shard), shardName: name, plan: plan, seed: seed, specPath: path,
                            specSHA256: sha, spec: spec)
                        let b = ComputeBox()
                        box = b
                        inHand = (shard, 0)
                        let first = shardsRun == 0
                        shardsRun += 1
                        let (kill, stop) = (killAtHalf && first, stopAtHalf && first)
                        let fired = ComputeBox()
                        let thread = Thread {
                            let reply: Message
                            do {
                                let result = try executor.run(job) { p in
                                    b.set(progress: p)
                                    // Test hooks: die (SIGKILL) or hang (SIGSTOP) half-way through the first shard.
                                    if p >= 0.5 && kill { Foundation.kill(getpid(), SIGKILL) }
                                    if p >= 0.5 && stop && fired.currentProgress == 0 {
                                        fired.set(progress: 1)
                                        Foundation.kill(getpid(), SIGSTOP)
                                    }
                                }
                                reply = .partial(jobID: jobID, shard: shard, attempt: 0, series: ShardCodec.series(result))
                            } catch {
                                reply = .error(code: shard, message: "\(error)")
                            }
                            b.finish(reply.frame().encoded())
                        }
                        thread.stackSize = 8 << 20
                        thread.start()
                    case .lease(_, let shard, let attempt, _):
                        if inHand?.shard == shard { inHand?.attempt = attempt }
                    case .heartbeat:
                        break
                    case .shutdown(let reason):
                        log("worker \(workerID): shutdown (\(reason)); \(shardsRun) shards run")
                        return
                    default:
                        log("worker \(workerID): unexpected message ignored")
                    }
                }
                if let b = box, let reply = b.take() {
                    try socket.send([reply])
                    box = nil
                    inHand = nil
                }
                let now = monotonicS()
                if now - lastBeat >= heartbeatS {
                    let beat = Message.heartbeat(workerID: workerID, shard: inHand?.shard ?? .max, progress: box?.currentProgress ?? 0)
                    try socket.send([beat.frame().encoded()])
                    lastBeat = now
                }
                if now - lastHeard > Swift.min(silenceS, giveUpS) {
                    lostSince = lostSince ?? lastHeard
                    log("worker \(workerID): no word from the coordinator at \(endpoint) for \(Int(now - lastHeard)) s; reconnecting in \(backoffS) s")
                    break connection
                }
            }
            if let since = lostSince, monotonicS() - since > giveUpS { throw CoordinatorLost(endpoint: endpoint, seconds: giveUpS) }
            Thread.sleep(forTimeInterval: backoffS)
            backoffS = Swift.min(backoffS * 2, 16)
        }
    }
}

public struct CoordinatorLost: Error, CustomStringConvertible {
    public let endpoint: String
    public let seconds: Double
    public var description: String {
        "no word from the coordinator at \(endpoint) for \(Int(seconds)) s; giving up (is the coordinator running, and is the endpoint and its key right?)"
    }
}
