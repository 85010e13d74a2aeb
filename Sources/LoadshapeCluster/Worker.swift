import Foundation
import LoadshapeCore
import LoadshapeIO
import LoadshapeSite
import LoadshapeTransport
import LoadshapeZeroMQ

/// A worker: connects to the coordinator, announces itself, runs the shards it is given and sends back their
/// partial aggregates, until told to shut down. One thread owns its socket.
public struct Worker {
    public var endpoint: String
    public var workerID: String
    public var catalog: Catalog

    public init(endpoint: String, workerID: String, catalog: Catalog) {
        self.endpoint = endpoint
        self.workerID = workerID
        self.catalog = catalog
    }

    public func run(log: (String) -> Void) throws {
        let ctx = try ZMQContext()
        let socket = try ZMQSocket(context: ctx, kind: .dealer)
        defer { socket.close() }
        try socket.setIdentity(workerID)
        try socket.setMaxMessageSize(1 << 30)
        try socket.connect(endpoint)
        try socket.send([Message.hello(workerID: workerID, capacity: 1).frame().encoded()])
        var traffic: [String: StudyRunner.SiteTraffic] = [:]
        var idleMillis = 0
        while true {
            guard let parts = try socket.receive(timeoutMillis: 1000) else {
                idleMillis += 1000
                if idleMillis >= 120_000 { throw CoordinatorLost(endpoint: endpoint) }
                continue
            }
            idleMillis = 0
            var decoder = FrameDecoder(maxPayload: 64 << 20)
            decoder.append(parts.last ?? [])
            let message: Message
            do {
                guard let f = try decoder.next() else { log("worker \(workerID): incomplete frame ignored"); continue }
                message = try Message.decode(f)
            } catch {
                log("worker \(workerID): bad frame ignored (\(error))")
                continue
            }
            switch message {
            case .job(let jobID, let shard, _, _, _, let specText):
                // Test hook: LOADSHAPE_TEST_KILL=<worker id> makes that worker die with SIGKILL on its first shard,
                // to exercise re-dispatch deterministically.
                if ProcessInfo.processInfo.environment["LOADSHAPE_TEST_KILL"] == workerID {
                    kill(getpid(), SIGKILL)
                }
                do {
                    let spec = try StudySpec.parse(specText, file: jobID)
                    let runner = StudyRunner(spec: spec, catalog: catalog, allowUnsupported: true)
                    let shards = runner.shards
                    guard Int(shard) < shards.count else { throw CLIFailure("shard \(shard) does not exist") }
                    let (si, ri) = shards[Int(shard)]
                    let key = "\(jobID)#\(si)"
                    if traffic[key] == nil { traffic[key] = try runner.siteTraffic(si) }
                    let t = traffic[key]!
                    let partial = try runner.runRow(site: si, row: ri, traffic: t)
                    let totals = (t.requests.count, t.requests.reduce(0) { $0 + $1.inputTokens }, t.requests.reduce(0) { $0 + $1.outputTokens })
                    let reply = Message.partial(jobID: jobID, shard: shard, attempt: 0, series: ShardCodec.series(partial, totals: totals))
                    try socket.send([reply.frame().encoded()])
                } catch {
                    try socket.send([Message.error(code: shard, message: "\(error)").frame().encoded()])
                }
            case .shutdown:
                return
            default:
                log("worker \(workerID): unexpected message ignored")
            }
        }
    }
}

public struct CoordinatorLost: Error, CustomStringConvertible {
    public let endpoint: String
    public var description: String { "no word from the coordinator at \(endpoint) for 120 s; giving up" }
}

struct CLIFailure: Error, CustomStringConvertible {
    let description: String
    init(_ d: String) { description = d }
}
