import ArgumentParser
import Foundation
import LoadshapeCluster
import LoadshapeIO
import LoadshapeSite

/// `loadshape cluster`: run a study on worker processes over ZeroMQ.
struct Cluster: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run a study across worker processes (coordinator + workers over ZeroMQ).",
        subcommands: [Local.self]
    )

    struct Local: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Run a study on N local worker processes; outputs are byte-identical to `loadshape site`.",
            discussion: """
                The coordinator binds a ROUTER socket on 127.0.0.1, starts N `loadshape worker` processes, hands
                out one row of one site at a time (each worker recomputes the site's traffic from the spec and
                the root seed), re-queues the shard of a worker process that dies, and merges the rows in spec
                order. The outputs are the same files, byte for byte, as `loadshape site` writes.

                Examples:
                  loadshape cluster local --workers 2
                  loadshape cluster local --workers 4 Configs/sites/region-example.yaml --out region/
                """
        )

        @OptionGroup var config: ConfigOptions
        @Argument(help: "Study spec (default: <configs>/sites/paper-site.yaml).") var spec: String?
        @Option(help: "Worker processes to start.") var workers = 2
        @Option(help: "Output directory.") var out = "site-run"
        @Flag(help: "No progress log and no summary.") var quiet = false

        func validate() throws {
            guard workers >= 1 && workers <= 256 else { throw ValidationError("--workers must be between 1 and 256") }
        }

        func run() throws {
            do {
                let root = try ConfigLocator.locate(explicit: config.configs)
                let catalog = try Catalog.load(root: root)
                let path = spec ?? root + "/sites/paper-site.yaml"
                let study = try StudySpec.load(path: path)
                let text = try String(contentsOfFile: path, encoding: .utf8)
                let exe = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().path
                let coordinator = Coordinator(spec: study, specText: text, catalog: catalog, workers: workers, executable: exe)
                let (result, report) = try coordinator.run { line in
                    if !quiet { FileHandle.standardError.write(Data((line + "\n").utf8)) }
                }
                let doc = try Site.writeOutputs(study: study, result: result, out: out)
                if !quiet {
                    print(Site.summary(result, doc: doc, wall: report.wallS, out: out))
                    print(
                        "  cluster: \(report.shards) shards on \(report.workers) workers, \(report.redispatched) re-dispatched, "
                            + "\(report.lostWorkers) workers lost, \(report.bytesReceived / 1_000_000) MB of partials received")
                }
            } catch let e as IOError {
                throw CLIError(e.message)
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
            Started by `loadshape cluster local` (or a Slurm/Kubernetes launcher); exits when the coordinator
            says shutdown, or after 120 s without a word from it.

            Example:
              loadshape worker --connect tcp://10.0.0.5:5555 --id node17
            """
    )

    @OptionGroup var config: ConfigOptions
    @Option(help: "The coordinator's endpoint, e.g. tcp://127.0.0.1:5555.") var connect: String
    @Option(help: "This worker's identity (unique per job).") var id = "worker-\(ProcessInfo.processInfo.processIdentifier)"

    func run() throws {
        let root = try ConfigLocator.locate(explicit: config.configs)
        let catalog = try Catalog.load(root: root)
        try Worker(endpoint: connect, workerID: id, catalog: catalog).run { line in
            FileHandle.standardError.write(Data((line + "\n").utf8))
        }
    }
}
