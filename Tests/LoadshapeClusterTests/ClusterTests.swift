import Foundation
import LoadshapeTesting
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

    @Test func anyNumberOfWorkersWritesTheSameBytesAsOneProcess() throws {
        let base = TestPaths.temporaryDirectory()
        let specPath = base + "/spec.yaml"
        try Self.spec.write(toFile: specPath, atomically: true, encoding: .utf8)
        #expect(try Binary.run(["site", specPath, "--configs", TestPaths.configs, "--out", base + "/single", "--quiet"]) == 0)
        let single = try Self.files(base + "/single")
        #expect(single.count >= 10)
        for n in [1, 2, 3] {
            let out = base + "/cluster-\(n)"
            #expect(
                try Binary.run(["cluster", "local", "--workers", "\(n)", specPath, "--configs", TestPaths.configs, "--out", out, "--quiet"]) == 0)
            let got = try Self.files(out)
            #expect(got.keys.sorted() == single.keys.sorted())
            for (name, data) in single { #expect(got[name] == data, "\(name) differs with \(n) workers") }
        }
    }

    @Test func aWorkerKilledMidShardIsReplacedAndTheOutputsDoNotChange() throws {
        let base = TestPaths.temporaryDirectory()
        let specPath = base + "/spec.yaml"
        try Self.spec.write(toFile: specPath, atomically: true, encoding: .utf8)
        #expect(try Binary.run(["site", specPath, "--configs", TestPaths.configs, "--out", base + "/single", "--quiet"]) == 0)
        // worker-1 dies with SIGKILL on its first shard; the coordinator re-queues that shard for worker-2.
        let out = base + "/killed"
        let log = base + "/coordinator.log"
        #expect(
            try Binary.run(
                ["cluster", "local", "--workers", "2", specPath, "--configs", TestPaths.configs, "--out", out],
                environment: ["LOADSHAPE_TEST_KILL": "worker-1"], stderr: log) == 0)
        let text = try String(contentsOfFile: log, encoding: .utf8)
        #expect(text.contains("worker-1 exited"), "the kill happened: \(text)")
        #expect(text.contains("re-queued"))
        let single = try Self.files(base + "/single")
        let got = try Self.files(out)
        #expect(got.keys.sorted() == single.keys.sorted())
        for (name, data) in single { #expect(got[name] == data, "\(name) differs after a worker was killed") }
    }

    @Test func aWorkerWithoutACoordinatorGivesUpWithAnError() throws {
        // Nothing listens on this port: the worker must not hang forever; it reports and exits non-zero.
        // (It waits 120 s by design; here we only check that a bad endpoint is refused at once.)
        #expect(try Binary.run(["worker", "--connect", "nonsense://x", "--configs", TestPaths.configs]) != 0)
    }
}
