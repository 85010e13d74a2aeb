import ArgumentParser
import Foundation
import LoadshapeCluster
import LoadshapeIO
import LoadshapeSite
import LoadshapeZeroMQ

/// `loadshape cluster`: run a study on worker processes over ZeroMQ.
struct Cluster: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run a study across worker processes (a coordinator and workers over ZeroMQ).",
        discussion: """
            `cluster local` starts the workers itself on this machine; `cluster serve` waits for workers started
            elsewhere (Slurm, Kubernetes, by hand: `loadshape worker`). Either way the outputs are the same
            files, byte for byte, as `loadshape site` writes. See docs/cluster.md.

            Examples:
              loadshape cluster local --workers 4 --report
              loadshape cluster serve study.yaml --bind tcp://0.0.0.0:5555 --curve-key keys/coordinator.key --authorized keys/
            """,
        subcommands: [Local.self, Serve.self]
    )

    /// What both coordinators take: the study, the outputs, the shard cut, the journal.
    struct JobOptions: ParsableArguments {
        @OptionGroup var config: ConfigOptions
        @Argument(help: "Study spec (default: <configs>/sites/paper-site.yaml).") var spec: String?
        @Option(help: "Output directory.") var out = "site-run"
        @Option(help: "Shard size: site, row, or racks:N (N consecutive racks of a row). Never changes the outputs.")
        var shard = "row"
        @Option(help: "Journal directory: each finished shard is recorded here as it arrives (default: <out>.journal).")
        var journal: String?
        @Flag(help: "Continue the job in --journal: only shards not recorded there are computed (starts it when there is no journal).")
        var resume = false
        @Flag(help: "Discard the journal at --journal and start over (without it, a journal holding finished shards of this job is refused).")
        var fresh = false
        @Option(help: "Recompute these shards of a journaled job (comma-separated names: site, site/row or site/row/racks-F-L; a site or row selects all its shards).")
        var shards: String?
        @Option(help: "Seconds without a heartbeat after which a worker is lost and its shard re-dispatched.")
        var heartbeatTimeout = 10.0
        @Flag(help: "No progress log and no summary.") var quiet = false
        @Flag(name: .customLong("report"), help: "Also write report.html (see `loadshape report --help`) into --out.")
        var htmlReport = false

        func validate() throws {
            guard ShardSize(parsing: shard) != nil else { throw ValidationError("--shard must be site, row or racks:N (N ≥ 1), not '\(shard)'") }
            guard heartbeatTimeout >= 0.5 else { throw ValidationError("--heartbeat-timeout must be at least 0.5 s") }
            if fresh && (resume || shards != nil) { throw ValidationError("--fresh discards the journal; it cannot go with --resume or --shards") }
        }

        func configuration(root: String) throws -> Coordinator.Configuration {
            let catalog = try Catalog.load(root: root)
            let path = spec ?? root + "/sites/paper-site.yaml"
            let study = try StudySpec.load(path: path)
            let text: String
            do { text = try String(contentsOfFile: path, encoding: .utf8) } catch { throw IOError("\(path): unreadable") }
            var c = Coordinator.Configuration(
                spec: study, specText: text, specPath: path, catalog: catalog,
                journal: journal ?? (out.hasSuffix("/") ? String(out.dropLast()) : out) + ".journal")
            c.shardSize = ShardSize(parsing: shard)!
            c.resume = resume
            c.fresh = fresh
            c.rerun = (shards ?? "").split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
            c.heartbeatTimeoutS = heartbeatTimeout
            c.version = Loadshape.version
            c.quietWorkers = quiet
            return c
        }

        /// Runs the coordinator, then writes the outputs and the report.
        func execute(_ c: Coordinator.Configuration) throws {
            let coordinator = Coordinator(c)
            // The outputs are written as soon as the result is merged, before any linger.
            _ = try coordinator.run(
                log: { line in if !quiet { FileHandle.standardError.write(Data((line + "\n").utf8)) } },
                deliver: { result, report in
                    let doc = try Site.writeOutputs(study: c.spec, result: result, out: out)
                    if !quiet {
                        print(Site.summary(result, doc: doc, wall: report.wallS, out: out))
                        print("  " + report.summary.replacingOccurrences(of: "\n", with: "\n  "))
                        print("  journal and report.json: \(c.journal)")
                        fflush(nil)
                    }
                    if htmlReport {
                        let details = try StudyDetailsFromSpec.build(study: c.spec, catalog: c.catalog)
                        try ReportCommand.afterRun(dir: out, details: details, configs: config.configs, quiet: quiet)
                    }
                })
        }
    }

    struct Local: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Run a study on N worker processes on this machine.",
            discussion: """
                The coordinator binds a ROUTER socket on 127.0.0.1, starts N `loadshape worker` processes
                (authenticated with CURVE keys made for this run), hands out one shard at a time, re-dispatches
                the shard of a worker that dies or hangs, journals every shard as it arrives, and merges in
                spec order. The outputs are the same files, byte for byte, as `loadshape site` writes.

                Examples:
                  loadshape cluster local --workers 2
                  loadshape cluster local --workers 4 Configs/sites/region-example.yaml --out region/ --shard racks:4
                  loadshape cluster local --workers 2 --resume          # after a crash: finish the journaled job
                  loadshape cluster local --shards paper-site/row-02    # recompute one row of a finished job
                """
        )

        @OptionGroup var job: JobOptions
        @Option(help: "Worker processes to start.") var workers = 2
        @Flag(help: "Plain TCP on 127.0.0.1, without CURVE authentication.") var noCurve = false

        func validate() throws {
            guard workers >= 1 && workers <= 256 else { throw ValidationError("--workers must be between 1 and 256") }
        }

        func run() throws {
            do {
                let root = try ConfigLocator.locate(explicit: job.config.configs)
                var c = try job.configuration(root: root)
                c.spawnWorkers = workers
                c.executable = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().path
                var keyDir: String?
                defer { if let d = keyDir { try? FileManager.default.removeItem(atPath: d) } }
                if !noCurve {
                    // Keys for this run only, in a private directory removed at the end.
                    let dir = NSTemporaryDirectory() + "loadshape-keys-\(getpid())-\(UInt64(Date().timeIntervalSince1970 * 1000))"
                    try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
                    keyDir = dir
                    let server = try CurveKeyPair.generate()
                    let worker = try CurveKeyPair.generate()
                    try CurveKeyFile.write(server, directory: dir, name: "coordinator")
                    try CurveKeyFile.write(worker, directory: dir, name: "worker")
                    c.curve = (server, [worker.publicKey])
                    c.spawnedWorkerKeyFiles = (dir + "/worker.key", dir + "/coordinator.pub")
                }
                try job.execute(c)
            } catch {
                throw clusterError(error)
            }
        }
    }

    struct Serve: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Coordinate a study for workers that connect from elsewhere (Slurm, Kubernetes, other hosts).",
            discussion: """
                Binds --bind, waits for `loadshape worker` processes to connect (any number, at any time), runs
                the job as `cluster local` does, tells the workers to shut down, and keeps answering late ones
                with shutdown for --linger seconds. Workers authenticate with CURVE keys: give the coordinator its
                key and the workers' public keys (`loadshape keys`). A non-loopback --bind without keys is
                refused unless --insecure.

                Examples:
                  loadshape keys --out keys --name coordinator && loadshape keys --out keys --name worker
                  loadshape cluster serve study.yaml --bind tcp://0.0.0.0:5555 --curve-key keys/coordinator.key --authorized keys/
                  loadshape worker --connect tcp://coordinator-host:5555 --curve-key keys/worker.key --coordinator-key keys/coordinator.pub
                """
        )

        @OptionGroup var job: JobOptions
        @Option(help: "Endpoint to bind, e.g. tcp://0.0.0.0:5555 (tcp://127.0.0.1:* picks a free port).") var bind = "tcp://0.0.0.0:5555"
        @Option(help: "The coordinator's CURVE key file (from `loadshape keys`).") var curveKey: String?
        @Option(help: "Accepted worker public keys: a directory of *.pub files (the coordinator's own is skipped) or a file of keys, one per line.")
        var authorized: String?
        @Flag(help: "Accept workers without authentication (trusted networks only).") var insecure = false
        @Option(help: "Write the bound endpoint to this file (for launchers).") var endpointFile: String?
        @Option(help: "Seconds to keep telling late workers to shut down after the job.") var linger = 30.0

        func validate() throws {
            if curveKey != nil && authorized == nil { throw ValidationError("--curve-key needs --authorized (the workers' public keys)") }
            if curveKey == nil && authorized != nil { throw ValidationError("--authorized needs --curve-key (the coordinator's key)") }
            let loopback = bind.hasPrefix("tcp://127.") || bind.hasPrefix("tcp://localhost") || bind.hasPrefix("ipc://") || bind.hasPrefix("inproc://")
            if curveKey == nil && !insecure && !loopback {
                throw ValidationError(
                    "binding \(bind) without authentication would let anyone on the network join: pass --curve-key and --authorized (see `loadshape keys --help`), or --insecure on a trusted network")
            }
            guard linger >= 0 else { throw ValidationError("--linger must be ≥ 0") }
        }

        func run() throws {
            do {
                let root = try ConfigLocator.locate(explicit: job.config.configs)
                var c = try job.configuration(root: root)
                c.bind = bind
                c.lingerS = linger
                c.endpointFile = endpointFile
                if let k = curveKey, let a = authorized {
                    let keys = try CurveKeyFile.readKeyPair(path: k)
                    let accepted = Set(try CurveKeyFile.readAuthorized(path: a, excluding: keys.publicKey).map(\.publicKey))
                    guard !accepted.isEmpty else { throw CLIError("\(a): no worker public keys (make one with `loadshape keys --out keys --name worker`)") }
                    c.curve = (keys, accepted)
                }
                try job.execute(c)
            } catch {
                throw clusterError(error)
            }
        }
    }
}

/// `loadshape worker`: one worker process (started by a launcher).
struct WorkerCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "worker",
        abstract: "Run as a worker: connect to a coordinator and compute the shards it sends.",
        discussion: """
            Connects (reconnecting with backoff while the coordinator is unreachable or restarting), announces
            itself, computes shards while streaming heartbeats, and exits 0 when the coordinator says shutdown —
            or non-zero after --give-up seconds without it. Traffic files a spec names must be at the same path
            here (a shared filesystem).

            Examples:
              loadshape worker --connect tcp://10.0.0.5:5555 --id node17 --curve-key keys/worker.key --coordinator-key keys/coordinator.pub
              loadshape worker --connect tcp://127.0.0.1:5555      # a coordinator started with --insecure
            """
    )

    @OptionGroup var config: ConfigOptions
    @Option(help: "The coordinator's endpoint, e.g. tcp://127.0.0.1:5555.") var connect: String
    @Option(help: "This worker's identity (unique per job).") var id = "worker-\(ProcessInfo.processInfo.processIdentifier)"
    @Option(help: "This worker's CURVE key file (from `loadshape keys`).") var curveKey: String?
    @Option(help: "The coordinator's public key file (.pub).") var coordinatorKey: String?
    @Option(help: "Seconds without the coordinator after which the worker gives up.") var giveUp = 600.0
    @Option(help: "Seconds between heartbeats.") var heartbeat = 1.0
    @Option(help: .hidden) var parentPid: Int32?

    func validate() throws {
        if (curveKey == nil) != (coordinatorKey == nil) {
            throw ValidationError("--curve-key and --coordinator-key go together (CURVE needs both)")
        }
        guard giveUp > 0, heartbeat > 0 else { throw ValidationError("--give-up and --heartbeat must be positive") }
    }

    func run() throws {
        do {
            let root = try ConfigLocator.locate(explicit: config.configs)
            let catalog = try Catalog.load(root: root)
            var w = Worker(endpoint: connect, workerID: id, catalog: catalog)
            if let k = curveKey, let c = coordinatorKey {
                w.curve = (try CurveKeyFile.readKeyPair(path: k), try CurveKeyFile.readPublicKey(path: c))
            }
            w.giveUpS = giveUp
            w.heartbeatS = heartbeat
            w.parentPID = parentPid
            try w.run { line in FileHandle.standardError.write(Data((line + "\n").utf8)) }
        } catch {
            throw clusterError(error)
        }
    }
}

/// The cluster commands' failures as messages for the user (anything else passes through unchanged).
func clusterError(_ error: any Error) -> any Error {
    switch error {
    case let e as IOError: return CLIError(e.message)
    case let e as ClusterFailure: return CLIError(e.description)
    case let e as CurveKeyFileError: return CLIError(e.description)
    case let e as CoordinatorLost: return CLIError(e.description)
    case let e as ZMQError: return CLIError("ZeroMQ: \(e)")
    default: return error
    }
}
