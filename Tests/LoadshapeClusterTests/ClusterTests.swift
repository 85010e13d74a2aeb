import Foundation
import LoadshapeTesting
import Synchronization
import Testing

/// Real processes over real ZeroMQ sockets on 127.0.0.1: `loadshape cluster local` against `loadshape site`.
enum Binary {
    static let path = TestPaths.packageRoot + "/.build/debug/loadshape"
    static var available: Bool {
        let ok = FileManager.default.isExecutableFile(atPath: path)
        if !ok {
            FileHandle.standardError.write(Data("\n*** SKIPPED: \(path) not built — cluster process tests did NOT run (run `swift build` first). ***\n\n".utf8))
        }
        return ok
    }

    @discardableResult
    static func run(_ args: [String], environment: [String: String] = [:], stderr: String? = nil) throws -> Int32 {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: path)
        p.arguments = args
        if !environment.isEmpty {
            p.environment = ProcessInfo.processInfo.environment.merging(environment) { _, b in b }
        }
        p.standardOutput = FileHandle.nullDevice
        if let path = stderr {
            FileManager.default.createFile(atPath: path, contents: nil)
            p.standardError = FileHandle(forWritingAtPath: path)
        } else {
            p.standardError = FileHandle.nullDevice
        }
        try p.run()
        p.waitUntilExit()
        return p.terminationStatus
    }

    /// Starts the binary in the background, stdout and stderr to files.
    static func start(_ args: [String], environment: [String: String] = [:], stdout: String, stderr: String) throws -> Process {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: path)
        p.arguments = args
        p.environment = ProcessInfo.processInfo.environment.merging(environment) { _, b in b }
        FileManager.default.createFile(atPath: stdout, contents: nil)
        FileManager.default.createFile(atPath: stderr, contents: nil)
        p.standardOutput = FileHandle(forWritingAtPath: stdout)
        p.standardError = FileHandle(forWritingAtPath: stderr)
        try p.run()
        lastPID.withLock { $0 = p.processIdentifier }
        return p
    }

    /// The pid of the process `start` (or `capture`) last started.
    static let lastPID = Mutex<Int32>(0)

    /// Runs the binary to completion; returns its status, stdout and stderr.
    static func capture(_ args: [String], environment: [String: String] = [:]) throws -> (Int32, String, String) {
        let dir = TestPaths.temporaryDirectory("loadshape-capture")
        let p = try start(args, environment: environment, stdout: dir + "/out", stderr: dir + "/err")
        p.waitUntilExit()
        return (
            p.terminationStatus, try String(contentsOfFile: dir + "/out", encoding: .utf8),
            try String(contentsOfFile: dir + "/err", encoding: .utf8)
        )
    }
}

@Suite(.serialized, .enabled(if: Binary.available, "the loadshape binary is not built"))
struct ClusterTests {
    static let spec = """
        schema: loadshape-study-v1
        name: cluster-test
        start: 2024-05-16T00:00:00Z
        duration: 5m
        seed: 11
        analyses:
          power_caps_w_per_gpu: [300]
        sites:
          - name: east
            timezone: America/New_York
            pue: 1.3
            traffic: {profile: azure-conv-2023, mean_rate_per_s: 3}
            rows:
              - {name: row, count: 3, limit_kw: 30, racks: [{name: rack, count: 2, servers: 2, model: llama-3-8b, gpu: H100, tp: 1, non_gpu_w: 300}]}
          - name: west
            timezone: America/Los_Angeles
            pue: 1.2
            traffic: {profile: azure-code-2023, mean_rate_per_s: 2, routing: round-robin}
            rows:
              - {name: row, count: 2, racks: [{name: rack, count: 2, servers: 2, model: qwen3-8b, gpu: A100, tp: 1}]}
        """

    static func files(_ dir: String) throws -> [String: Data] {
        var out: [String: Data] = [:]
        for f in try FileManager.default.contentsOfDirectory(atPath: dir) {
            out[f] = try Data(contentsOf: URL(fileURLWithPath: dir + "/" + f))
        }
        return out
    }

    /// A spec with this duration (the default one is 5 minutes; slow tests stretch it).
    static func writeSpec(_ base: String, duration: String = "5m") throws -> String {
        let path = base + "/spec.yaml"
        try spec.replacingOccurrences(of: "duration: 5m", with: "duration: \(duration)").write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    static func single(_ base: String, _ specPath: String) throws -> [String: Data] {
        #expect(try Binary.run(["site", specPath, "--configs", TestPaths.configs, "--out", base + "/single", "--quiet"]) == 0)
        let single = try files(base + "/single")
        #expect(single.count >= 10)
        return single
    }

    static func expectSame(_ got: [String: Data], _ single: [String: Data], _ what: String) {
        #expect(got.keys.sorted() == single.keys.sorted(), "\(what): file list differs")
        for (name, data) in single { #expect(got[name] == data, "\(name) differs \(what)") }
    }

    /// No worker spawned by the coordinator process `pid` is still running.
    static func noWorkersLeft(of pid: Int32) -> Bool {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/pgrep")
        p.arguments = ["-f", "--", "--parent-pid \(pid)$"]
        p.standardOutput = FileHandle.nullDevice
        try? p.run()
        p.waitUntilExit()
        return p.terminationStatus != 0
    }

    @Test(arguments: [(1, "site"), (2, "row"), (3, "racks:1"), (2, "racks:3"), (4, "racks:2")])
    func anyNumberOfWorkersAndAnyShardSizeWriteTheSameBytesAsOneProcess(workers: Int, shard: String) throws {
        let base = TestPaths.temporaryDirectory()
        let specPath = try Self.writeSpec(base)
        let single = try Self.single(base, specPath)
        let out = base + "/cluster"
        let (status, _, _) = try Binary.capture([
            "cluster", "local", "--workers", "\(workers)", "--shard", shard, specPath, "--configs", TestPaths.configs,
            "--out", out, "--quiet",
        ])
        #expect(status == 0)
        Self.expectSame(try Self.files(out), single, "with \(workers) workers and --shard \(shard)")
        #expect(Self.noWorkersLeft(of: Binary.lastPID.withLock { $0 }))
    }

    @Test func aWorkerKilledMidShardIsReplacedAndTheOutputsDoNotChange() throws {
        let base = TestPaths.temporaryDirectory()
        let specPath = try Self.writeSpec(base)
        let single = try Self.single(base, specPath)
        // worker-1 dies with SIGKILL half-way through its first shard; the coordinator re-queues that shard.
        let out = base + "/killed"
        let (status, stdout, log) = try Binary.capture(
            ["cluster", "local", "--workers", "2", specPath, "--configs", TestPaths.configs, "--out", out],
            environment: ["LOADSHAPE_TEST_KILL": "worker-1"])
        #expect(status == 0, "\(log)")
        #expect(log.contains("worker-1 lost (process exited"), "the kill happened: \(log)")
        #expect(log.contains("re-queued"))
        #expect(stdout.contains("1 re-dispatched, 1 workers lost (worker-1)"), "\(stdout)")
        Self.expectSame(try Self.files(out), single, "after a worker was killed")
    }

    @Test func aHungWorkerIsDetectedByHeartbeatsAndItsShardRedispatched() throws {
        let base = TestPaths.temporaryDirectory()
        let specPath = try Self.writeSpec(base)
        let single = try Self.single(base, specPath)
        // worker-2 stops itself (SIGSTOP) half-way through its first shard: its process lives, its heartbeats end.
        let out = base + "/hung"
        let t0 = Date()
        let (status, stdout, log) = try Binary.capture(
            ["cluster", "local", "--workers", "2", specPath, "--configs", TestPaths.configs, "--out", out, "--heartbeat-timeout", "1.5"],
            environment: ["LOADSHAPE_TEST_STOP": "worker-2"])
        #expect(status == 0, "\(log)")
        #expect(log.contains("worker-2 lost (no heartbeat"), "\(log)")
        #expect(stdout.contains("1 workers lost (worker-2)"), "\(stdout)")
        #expect(Date().timeIntervalSince(t0) < 60)
        Self.expectSame(try Self.files(out), single, "after a worker hung")
        #expect(Self.noWorkersLeft(of: Binary.lastPID.withLock { $0 }), "the stopped worker was killed at the end")
    }

    @Test func aCoordinatorKilledWithSIGKILLResumesFromItsJournalAndRerunsNamedShards() throws {
        let base = TestPaths.temporaryDirectory()
        let specPath = try Self.writeSpec(base, duration: "40m")
        let single = try Self.single(base, specPath)
        let out = base + "/resumed"
        let journal = base + "/journal"
        let args = ["cluster", "local", "--workers", "1", specPath, "--configs", TestPaths.configs, "--out", out, "--journal", journal]
        let coordinator = try Binary.start(args, stdout: base + "/run1.out", stderr: base + "/run1.err")
        func journaled() -> Int {
            ((try? FileManager.default.contentsOfDirectory(atPath: journal)) ?? []).filter { $0.hasPrefix("shard-") && $0.hasSuffix(".lswp") }.count
        }
        let deadline = Date().addingTimeInterval(120)
        while journaled() < 2 && coordinator.isRunning && Date() < deadline { Thread.sleep(forTimeInterval: 0.01) }
        #expect(coordinator.isRunning, "the job must still be running when the coordinator is killed")
        kill(coordinator.processIdentifier, SIGKILL)
        coordinator.waitUntilExit()
        #expect(coordinator.terminationReason == .uncaughtSignal)
        let done = journaled()
        #expect(done >= 2 && done < 5, "\(done) shards journaled")
        #expect(!FileManager.default.fileExists(atPath: out + "/manifest.json"), "no outputs from the killed run")
        // Its workers notice and leave.
        let gone = Date().addingTimeInterval(10)
        let pid = coordinator.processIdentifier
        while !Self.noWorkersLeft(of: pid) && Date() < gone { Thread.sleep(forTimeInterval: 0.05) }
        #expect(Self.noWorkersLeft(of: pid))

        let (status, stdout, log) = try Binary.capture(args + ["--resume"])
        #expect(status == 0, "\(log)")
        #expect(stdout.contains("(\(5 - done) computed, \(done) from the journal)"), "\(stdout)")
        Self.expectSame(try Self.files(out), single, "after the coordinator was killed and resumed")

        // --shards: recompute one row and one site of the finished job.
        let (s2, o2, l2) = try Binary.capture(args + ["--shards", "east/row-02,west"])
        #expect(s2 == 0, "\(l2)")
        #expect(o2.contains("(3 computed, 2 from the journal, 3 rerun)"), "\(o2)")
        Self.expectSame(try Self.files(out), single, "after --shards")

        // A corrupt journal entry is recomputed, not trusted.
        let victim = journal + "/shard-000001.lswp"
        var bytes = try Data(contentsOf: URL(fileURLWithPath: victim))
        bytes[bytes.count / 2] ^= 0xFF
        try bytes.write(to: URL(fileURLWithPath: victim))
        let (s3, o3, l3) = try Binary.capture(args + ["--resume"])
        #expect(s3 == 0)
        #expect(l3.contains("shard-000001.lswp") && l3.contains("recomputed"), "\(l3)")
        #expect(o3.contains("(1 computed, 4 from the journal)"), "\(o3)")
        Self.expectSame(try Self.files(out), single, "after a corrupt journal entry")

        // Starting the same job over its journal is refused (finished shards would be lost) unless --fresh.
        let (s5, _, l5) = try Binary.capture(args)
        #expect(s5 != 0)
        #expect(l5.contains("--resume") && l5.contains("--fresh"), "\(l5)")
        let (s6, o6, _) = try Binary.capture(args + ["--fresh"])
        #expect(s6 == 0)
        #expect(o6.contains("(5 computed, 0 from the journal)"), "\(o6)")
        Self.expectSame(try Self.files(out), single, "after --fresh")

        // A journal of another job is refused with the reason.
        let other = base + "/other.yaml"
        try Self.spec.replacingOccurrences(of: "seed: 11", with: "seed: 12").write(toFile: other, atomically: true, encoding: .utf8)
        let (s4, _, l4) = try Binary.capture(
            ["cluster", "local", "--workers", "1", other, "--configs", TestPaths.configs, "--out", base + "/x", "--journal", journal, "--resume"])
        #expect(s4 != 0)
        #expect(l4.contains("belongs to another job"), "\(l4)")
        #expect(throws: Never.self) { _ = try Self.files(out) }
    }

    @Test func externalWorkersWithCurveKeysAndARoguePeerThatGetsNothing() throws {
        let base = TestPaths.temporaryDirectory()
        let specPath = try Self.writeSpec(base)
        let single = try Self.single(base, specPath)
        let keys = base + "/keys"
        for name in ["coordinator", "worker", "insider"] {
            #expect(try Binary.run(["keys", "--out", keys, "--name", name]) == 0)
        }
        let endpointFile = base + "/endpoint"
        let out = base + "/served"
        let coordinator = try Binary.start(
            [
                "cluster", "serve", specPath, "--configs", TestPaths.configs, "--out", out, "--bind", "tcp://127.0.0.1:*",
                "--curve-key", keys + "/coordinator.key", "--authorized", keys, "--endpoint-file", endpointFile,
                "--heartbeat-timeout", "2", "--linger", "1",
            ], stdout: base + "/serve.out", stderr: base + "/serve.err")
        defer { if coordinator.isRunning { kill(coordinator.processIdentifier, SIGKILL) } }
        let deadline = Date().addingTimeInterval(30)
        while !FileManager.default.fileExists(atPath: endpointFile) && Date() < deadline { Thread.sleep(forTimeInterval: 0.02) }
        let endpoint = try String(contentsOfFile: endpointFile, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(endpoint.hasPrefix("tcp://127.0.0.1:"))

        // A peer that is not ours attacks first; it must get nothing, and the coordinator must survive.
        if Python.hasPyZMQ {
            let (status, output) = try Python.run([
                TestPaths.packageRoot + "/Tests/LoadshapeClusterTests/Peers/rogue_peer.py", endpoint, keys + "/coordinator.pub",
                keys + "/insider.key", "\(64 << 20)",
            ])
            #expect(status == 0, "\(output)")
        }
        #expect(coordinator.isRunning, "the coordinator survived the rogue peer")

        // Then two real workers, started by hand as a launcher would.
        var workers: [Process] = []
        for i in 1...2 {
            workers.append(
                try Binary.start(
                    [
                        "worker", "--connect", endpoint, "--id", "node-\(i)", "--configs", TestPaths.configs, "--curve-key",
                        keys + "/worker.key", "--coordinator-key", keys + "/coordinator.pub", "--give-up", "30",
                    ], stdout: base + "/w\(i).out", stderr: base + "/w\(i).err"))
        }
        coordinator.waitUntilExit()
        for w in workers { w.waitUntilExit() }
        let log = try String(contentsOfFile: base + "/serve.err", encoding: .utf8)
        #expect(coordinator.terminationStatus == 0, "\(log)")
        for w in workers { #expect(w.terminationStatus == 0, "workers exit 0 on shutdown") }
        Self.expectSame(try Self.files(out), single, "with external CURVE workers after a rogue peer")
        if Python.hasPyZMQ {
            #expect(log.contains("denied"), "the unlisted key was denied: \(log)")
            #expect(log.contains("bad frame from insider rejected"), "\(log)")
        }
        let report = try String(contentsOfFile: out + ".journal/report.json", encoding: .utf8)
        #expect(report.contains("\"bytes_per_shard\""))
    }

    /// The pid of the worker `id` spawned by coordinator `pid`, once it runs.
    static func workerPID(_ id: String, of pid: Int32) -> Int32? {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/pgrep")
        p.arguments = ["-f", "--", "--id \(id) .*--parent-pid \(pid)$"]
        let pipe = Pipe()
        p.standardOutput = pipe
        try? p.run()
        p.waitUntilExit()
        let text = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        return text.split(separator: "\n").first.flatMap { Int32($0) }
    }

    static func waitFor(_ file: String, toContain text: String, seconds: Double = 120) -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if let s = try? String(contentsOfFile: file, encoding: .utf8), s.contains(text) { return true }
            Thread.sleep(forTimeInterval: 0.02)
        }
        return false
    }

    @Test func aLostWorkerThatComesBackIsAdmittedAndItsLateDuplicateIgnored() throws {
        let base = TestPaths.temporaryDirectory()
        // Shards long enough (a few seconds each) that the job is still running when the lost worker returns.
        let specPath = try Self.writeSpec(base, duration: "3h")
        let single = try Self.single(base, specPath)
        let out = base + "/late"
        let err = base + "/late.err"
        let coordinator = try Binary.start(
            ["cluster", "local", "--workers", "2", specPath, "--configs", TestPaths.configs, "--out", out, "--heartbeat-timeout", "1.5"],
            environment: ["LOADSHAPE_TEST_STOP": "worker-2"], stdout: base + "/late.out", stderr: err)
        // worker-2 hangs half-way through its first shard; once worker-1 has redone that shard, worker-2 resumes,
        // finishes it and sends it in: a late duplicate.
        #expect(Self.waitFor(err, toContain: "worker-2 lost (no heartbeat"))
        let log0 = (try? String(contentsOfFile: err, encoding: .utf8)) ?? ""
        let requeued = log0.split(separator: "\n").first { $0.contains("worker-2 lost") }.flatMap { line in
            line.range(of: "shard ").map { String(line[$0.upperBound...].split(separator: " ")[0]) }
        }
        let shard = try #require(requeued, "\(log0)")
        #expect(Self.waitFor(err, toContain: "shard \(shard) done by worker-1"))
        let w1 = try #require(Self.workerPID("worker-1", of: coordinator.processIdentifier))
        let w2 = try #require(Self.workerPID("worker-2", of: coordinator.processIdentifier))
        // Hold worker-1 so the job cannot finish before worker-2's late copy arrives, then let it go on.
        kill(w1, SIGSTOP)
        kill(w2, SIGCONT)
        _ = Self.waitFor(err, toContain: "late duplicate of shard \(shard) from worker-2")
        kill(w1, SIGCONT)
        coordinator.waitUntilExit()
        let log = try String(contentsOfFile: err, encoding: .utf8)
        #expect(coordinator.terminationStatus == 0, "\(log)")
        #expect(log.contains("worker-2 is back"), "\(log)")
        #expect(log.contains("late duplicate of shard \(shard) from worker-2 ignored"), "\(log)")
        Self.expectSame(try Self.files(out), single, "after a late duplicate")
    }

    @Test func externalWorkersReconnectToARestartedCoordinatorThatResumes() throws {
        let base = TestPaths.temporaryDirectory()
        let specPath = try Self.writeSpec(base, duration: "40m")
        let single = try Self.single(base, specPath)
        let out = base + "/served"
        let journal = base + "/journal"
        let endpointFile = base + "/endpoint"
        func serve(_ bind: String, _ extra: [String], _ tag: String) throws -> Process {
            try Binary.start(
                [
                    "cluster", "serve", specPath, "--configs", TestPaths.configs, "--out", out, "--bind", bind, "--journal", journal,
                    "--endpoint-file", endpointFile, "--heartbeat-timeout", "3", "--linger", "1",
                ] + extra, stdout: base + "/\(tag).out", stderr: base + "/\(tag).err")
        }
        let first = try serve("tcp://127.0.0.1:*", [], "first")
        defer { if first.isRunning { kill(first.processIdentifier, SIGKILL) } }
        #expect(Self.waitFor(endpointFile, toContain: "tcp://", seconds: 30))
        let endpoint = try String(contentsOfFile: endpointFile, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        let worker = try Binary.start(
            ["worker", "--connect", endpoint, "--id", "node-1", "--configs", TestPaths.configs, "--give-up", "60"],
            stdout: base + "/w.out", stderr: base + "/w.err")
        defer { if worker.isRunning { kill(worker.processIdentifier, SIGKILL) } }
        // Kill the coordinator once two shards are journaled; start another on the same endpoint with --resume.
        func journaled() -> Int {
            ((try? FileManager.default.contentsOfDirectory(atPath: journal)) ?? []).filter { $0.hasPrefix("shard-") && $0.hasSuffix(".lswp") }.count
        }
        let deadline = Date().addingTimeInterval(120)
        while journaled() < 2 && first.isRunning && Date() < deadline { Thread.sleep(forTimeInterval: 0.01) }
        #expect(first.isRunning)
        kill(first.processIdentifier, SIGKILL)
        first.waitUntilExit()
        let done = journaled()
        #expect(done >= 2 && done < 5)
        #expect(worker.isRunning, "the worker outlives its coordinator")
        let second = try serve(endpoint, ["--resume"], "second")
        defer { if second.isRunning { kill(second.processIdentifier, SIGKILL) } }
        second.waitUntilExit()
        worker.waitUntilExit()
        let log = try String(contentsOfFile: base + "/second.err", encoding: .utf8)
        #expect(second.terminationStatus == 0, "\(log)")
        #expect(worker.terminationStatus == 0, "the worker reconnected, finished and shut down")
        let stdout = try String(contentsOfFile: base + "/second.out", encoding: .utf8)
        #expect(stdout.contains("\(done) from the journal"), "\(stdout)")
        Self.expectSame(try Self.files(out), single, "after a coordinator restart with external workers")
    }

    @Test func aServeCoordinatorRefusesAnOpenBindWithoutKeys() throws {
        let (status, _, err) = try Binary.capture(["cluster", "serve", "--bind", "tcp://0.0.0.0:5599", "--configs", TestPaths.configs])
        #expect(status != 0)
        #expect(err.contains("--curve-key"), "\(err)")
    }

    @Test func aWorkerWithoutACoordinatorGivesUpWithAnError() throws {
        #expect(try Binary.run(["worker", "--connect", "nonsense://x", "--configs", TestPaths.configs]) != 0)
        // Nothing listens here: the worker retries with backoff, then gives up with a message, non-zero.
        let t0 = Date()
        let (status, _, err) = try Binary.capture(["worker", "--connect", "tcp://127.0.0.1:9", "--configs", TestPaths.configs, "--give-up", "1"])
        #expect(status != 0)
        #expect(err.contains("giving up"), "\(err)")
        #expect(Date().timeIntervalSince(t0) < 20)
    }
}

/// python3 with pyzmq (the peer that is not ours). `scripts/test` installs pyzmq; without it the rogue-peer part
/// skips loudly.
enum Python {
    static let hasPyZMQ: Bool = {
        let ok = (try? run(["-c", "import zmq"]).0) == 0
        if !ok {
            FileHandle.standardError.write(Data("\n*** SKIPPED: python3 with pyzmq not found — the rogue-peer attacks did NOT run (pip install pyzmq). ***\n\n".utf8))
        }
        return ok
    }()

    static func run(_ args: [String]) throws -> (Int32, String) {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = ["python3"] + args
        let pipe = Pipe()
        p.standardOutput = pipe
        p.standardError = pipe
        try p.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return (p.terminationStatus, String(decoding: data, as: UTF8.self))
    }
}
