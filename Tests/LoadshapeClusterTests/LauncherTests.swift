import Foundation
import LoadshapeTesting
import Testing

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// The launchers in Cluster/: the Slurm batch script run end to end under stub `srun`/`scontrol`/`hostname`,
/// and the Kubernetes manifests' commands run as written (paths and addresses mapped into a temporary
/// directory) — both against the built binary, so that a renamed option or a changed default breaks a test.
@Suite(.serialized, .enabled(if: Binary.available, "the loadshape binary is not built"))
struct LauncherTests {
    static let cluster = TestPaths.packageRoot + "/Cluster"

    @Test func theSlurmScriptRunsAStudyOnStubSlurmWithTheSameBytesAsOneProcess() throws {
        let base = TestPaths.temporaryDirectory("loadshape-slurm")
        let spec = base + "/spec.yaml"
        try ClusterTests.spec.write(toFile: spec, atomically: true, encoding: .utf8)
        #expect(try Binary.run(["site", spec, "--configs", TestPaths.configs, "--out", base + "/single", "--quiet"]) == 0)
        let single = try ClusterTests.files(base + "/single")
        let slurm = try StubSlurm(in: base + "/stubs")

        let first = try slurm.submit(in: base, settings: ["SPEC": spec, "OUT": base + "/out", "PORT": "\(try Launch.freePort())"])
        try #require(first.status == 0, "the batch script failed:\n\(first.log)")
        let got = try ClusterTests.files(base + "/out")
        #expect(got.keys.sorted() == single.keys.sorted())
        for (name, data) in single { #expect(got[name] == data, "\(name) differs under Slurm") }

        // Every loadshape invocation of the script parsed (64 is ArgumentParser's usage error) and succeeded:
        // two key pairs, one coordinator, one worker per task.
        let runs = first.invocations
        #expect(runs.filter { $0.args.starts(with: ["keys"]) }.count == 2, "\(runs)")
        #expect(runs.filter { $0.args.starts(with: ["cluster", "serve"]) }.count == 1, "\(runs)")
        #expect(runs.filter { $0.args.starts(with: ["worker"]) }.count == StubSlurm.tasks, "\(runs)")
        for run in runs { #expect(run.status == 0, "loadshape \(run.args.joined(separator: " ")) exited \(run.status)") }
        for name in ["coordinator", "worker"] {
            let key = try FileManager.default.attributesOfItem(atPath: base + "/keys/\(name).key")
            #expect((key[.posixPermissions] as? Int) == 0o600, "\(name).key is not private")
            #expect(FileManager.default.fileExists(atPath: base + "/keys/\(name).pub"))
        }

        // Resubmitted with --resume on the same journal (PORT=0: the coordinator's endpoint file gives the port):
        // keys are reused, not regenerated, and the outputs are the same bytes. Nothing is left to compute, so
        // workers may connect after the coordinator is gone and be stopped: only usage errors count for them.
        let again = try slurm.submit(
            in: base, settings: ["SPEC": spec, "OUT": base + "/out", "PORT": "0", "EXTRA_ARGS": "--resume", "LINGER": "10"])
        #expect(again.status == 0, "the resumed batch script failed:\n\(again.log)")
        #expect(!again.invocations.contains { $0.args.first == "keys" }, "keys were regenerated")
        let resumedServe = again.invocations.first { $0.args.starts(with: ["cluster", "serve"]) }
        #expect(resumedServe?.args.contains("--resume") == true && resumedServe?.status == 0, "\(again.invocations)")
        for run in again.invocations { #expect(run.status != 64, "usage error: loadshape \(run.args.joined(separator: " "))") }
        let resumed = try ClusterTests.files(base + "/out")
        for (name, data) in single { #expect(resumed[name] == data, "\(name) differs after --resume") }

        // One named shard recomputed (--shards) on the journaled job: the same bytes again.
        let rerun = try slurm.submit(
            in: base, settings: ["SPEC": spec, "OUT": base + "/out", "PORT": "0", "EXTRA_ARGS": "--shards east/row-02"])
        #expect(rerun.status == 0, "the --shards batch script failed:\n\(rerun.log)")
        for run in rerun.invocations { #expect(run.status != 64, "usage error: loadshape \(run.args.joined(separator: " "))") }
        let rerunFiles = try ClusterTests.files(base + "/out")
        for (name, data) in single { #expect(rerunFiles[name] == data, "\(name) differs after --shards") }
    }

    @Test func theSlurmScriptReportsACoordinatorThatCannotStart() throws {
        // A spec that does not exist: the coordinator exits at once; the script must not wait for it forever, and
        // must not start workers.
        let base = TestPaths.temporaryDirectory("loadshape-slurm")
        let slurm = try StubSlurm(in: base + "/stubs")
        let run = try slurm.submit(in: base, settings: ["SPEC": base + "/missing.yaml", "OUT": base + "/out", "PORT": "0"])
        #expect(run.status != 0)
        #expect(run.log.contains("before it was listening"), "\(run.log)")
        #expect(!run.invocations.contains { $0.args.first == "worker" })
    }

    @Test func theKubernetesManifestsRunAsWrittenAgainstTheRealBinary() throws {
        try #require(YAMLDocuments.available, "python3 with PyYAML is needed to read the manifests")
        let base = TestPaths.temporaryDirectory("loadshape-k8s")
        let spec = base + "/study.yaml"
        try ClusterTests.spec.write(toFile: spec, atomically: true, encoding: .utf8)

        let k8s = Self.cluster + "/kubernetes"
        let coordinatorDocs = try YAMLDocuments.load(k8s + "/coordinator.yaml")
        let workerDocs = try YAMLDocuments.load(k8s + "/workers.yaml")
        let deployment = try #require(coordinatorDocs.first { $0["kind"] as? String == "Deployment" })
        let service = try #require(coordinatorDocs.first { $0["kind"] as? String == "Service" })
        let job = try #require(workerDocs.first { $0["kind"] as? String == "Job" })

        // The shape the docs promise.
        #expect(deployment[path: "spec.replicas"] as? Int == 1)
        #expect(job[path: "spec.completionMode"] as? String == "Indexed")
        #expect(job[path: "spec.parallelism"] as? Int == job[path: "spec.completions"] as? Int)
        #expect(job[path: "spec.backoffLimitPerIndex"] is Int)
        #expect(job[path: "spec.template.spec.restartPolicy"] as? String == "Never")
        let serviceName = try #require(service[path: "metadata.name"] as? String)
        let jobName = try #require(job[path: "metadata.name"] as? String)
        let servicePort = try #require((service[path: "spec.ports"] as? [[String: Any]])?.first?["port"] as? Int)
        let coordinator = try #require(PodContainer(pod: deployment))
        let worker = try #require(PodContainer(pod: job))
        #expect(coordinator.args.starts(with: ["cluster", "serve"]))
        #expect(worker.args.first == "worker")
        let connect = try #require(worker.option("--connect"))
        #expect(connect == "tcp://\(serviceName):\(servicePort)", "workers connect to the coordinator's Service")
        #expect(coordinator.option("--bind") == "tcp://0.0.0.0:\(servicePort)")

        // The volumes' contents: the ConfigMap (study.yaml, as `kubectl create configmap --from-file=study.yaml`
        // names it), the Secret's projected items (from `loadshape keys`), an empty claim.
        let keys = base + "/keys"
        #expect(try Binary.run(["keys", "--out", keys, "--name", "coordinator"]) == 0)
        #expect(try Binary.run(["keys", "--out", keys, "--name", "worker"]) == 0)
        let coordinatorRoot = base + "/coordinator-pod"
        let workerRoot = base + "/worker-pod"
        try coordinator.populateVolumes(under: coordinatorRoot, spec: spec, keys: keys)
        try worker.populateVolumes(under: workerRoot, spec: spec, keys: keys)
        // The reference run reads the spec at the same path as the coordinator (manifest.json records it).
        let mountedSpec = coordinatorRoot + coordinator.args[2]
        #expect(FileManager.default.fileExists(atPath: mountedSpec), "the spec argument is not in the ConfigMap volume")
        #expect(try Binary.run(["site", mountedSpec, "--configs", TestPaths.configs, "--out", base + "/single", "--quiet"]) == 0)
        let single = try ClusterTests.files(base + "/single")

        // Run them as the kubelet would: `loadshape` is the built binary, mounts are under the pod roots, the
        // Service's address is a free local port. Option values that only set durations are shortened (the names
        // are what is under test). Workers start first, as they may on a cluster: they wait for the coordinator.
        let port = try Launch.freePort()
        let address = ["tcp://0.0.0.0:\(servicePort)": "tcp://127.0.0.1:\(port)", connect: "tcp://127.0.0.1:\(port)"]
        let image = try ImageShim(in: base + "/image")
        func pod(_ index: Int?, giveUp: String = "120") throws -> [String] {
            let container = index == nil ? coordinator : worker
            var argv = try container.argv(
                under: index == nil ? coordinatorRoot : workerRoot, addresses: address, index: index,
                podName: index.map { "\(jobName)-\($0)-t\($0)st" } ?? "coordinator")  // <job>-<index>-<random>
            for (option, value) in ["--linger": "5", "--give-up": giveUp] {
                if let i = argv.firstIndex(of: option), i + 1 < argv.count { argv[i + 1] = value }
            }
            return argv
        }
        /// Runs the coordinator's pod and workers `indexes`; returns each worker's exit status and log.
        func runStudy(workers indexes: Range<Int>, giveUp: String = "120", mustFinish: Bool = true, log coordinatorLog: String) throws
            -> [(Int32?, String)]
        {
            var workers: [(Process, String)] = []
            for index in indexes {
                let log = base + "/worker-\(index).log"
                let argv = try pod(index, giveUp: giveUp)
                #expect(argv.contains("\(jobName)-\(index)-t\(index)st"), "the worker id is the pod's name (it carries the index): \(argv)")
                workers.append((try Launch.spawn("/usr/bin/env", argv, environment: image.environment, log: log), log))
            }
            defer { for (p, _) in workers { Launch.stop(p) } }
            let server = try Launch.spawn("/usr/bin/env", try pod(nil), environment: image.environment, log: coordinatorLog)
            defer { Launch.stop(server) }
            let statuses = workers.map { (process, log) in (Launch.waitExit(process, seconds: 180), log) }
            // Workers that failed (a usage error, a refused key) leave a coordinator waiting: stop here.
            if mustFinish, let failed = statuses.first(where: { $0.0 != 0 }) {
                Issue.record("a worker did not exit 0 on shutdown: \(Launch.readText(failed.1))\ncoordinator: \(Launch.readText(coordinatorLog))")
                return statuses
            }
            // Done, the container stays up (a Deployment would restart it and rerun the study).
            let deadline = Date().addingTimeInterval(120)
            while server.isRunning && !Launch.readText(coordinatorLog).contains("study complete") && Date() < deadline {
                Thread.sleep(forTimeInterval: 0.2)
            }
            #expect(Launch.readText(coordinatorLog).contains("study complete"), "\(Launch.readText(coordinatorLog))")
            #expect(server.isRunning, "the coordinator's container exited: \(Launch.readText(coordinatorLog))")
            let out = try #require(coordinator.option("--out"))
            let got = try ClusterTests.files(coordinatorRoot + out)
            #expect(got.keys.sorted() == single.keys.sorted())
            for (name, data) in single { #expect(got[name] == data, "\(name) differs under the Kubernetes manifests") }
            return statuses
        }

        let first = try runStudy(workers: 0..<2, log: base + "/coordinator.log")
        try #require(first.allSatisfy { $0.0 == 0 })
        // The coordinator pod is killed and rescheduled: the same command finds the journal and resumes (nothing
        // left to compute), and the outputs are the same bytes. A worker pod retried now connects while the
        // coordinator lingers and should be told to shut down.
        let againLog = base + "/coordinator-again.log"
        let late = try runStudy(workers: 2..<3, giveUp: "15", mustFinish: false, log: againLog)
        #expect(Launch.readText(againLog).contains("from the journal"), "the restart did not resume: \(Launch.readText(againLog))")
        // The coordinator serves CURVE handshakes during --linger, so the late worker is told to shut down.
        for (status, log) in late { #expect(status == 0, "the late worker did not exit 0: \(Launch.readText(log))") }
    }
}

/// Checks that need no binary: the shell scripts parse, and the kustomization builds.
@Suite struct LauncherSyntaxTests {
    @Test func everyShellScriptInClusterParses() throws {
        var scripts: [String] = []
        let root = LauncherTests.cluster
        let walk = try #require(FileManager.default.enumerator(atPath: root))
        for case let file as String in walk {
            let path = root + "/" + file
            let head = (try? String(contentsOfFile: path, encoding: .utf8))?.prefix(64) ?? ""
            if file.hasSuffix(".sh") || file.hasSuffix(".sbatch") || (head.hasPrefix("#!") && head.contains("sh")) {
                scripts.append(path)
            }
        }
        #expect(scripts.contains(root + "/slurm/loadshape.sbatch"))
        for script in scripts {
            let log = TestPaths.temporaryDirectory("loadshape-bash") + "/log"
            let p = try Launch.spawn("/usr/bin/env", ["bash", "-n", script], log: log)
            #expect(Launch.waitExit(p, seconds: 30) == 0, "bash -n \(script): \(Launch.readText(log))")
        }
    }

    @Test func theKustomizationBuilds() throws {
        guard let kubectl = Launch.which("kubectl") else {
            FileHandle.standardError.write(Data("\n*** SKIPPED: kubectl not found — `kubectl kustomize Cluster/kubernetes` did NOT run. ***\n\n".utf8))
            return
        }
        let log = TestPaths.temporaryDirectory("loadshape-kustomize") + "/log"
        let p = try Launch.spawn(kubectl, ["kustomize", LauncherTests.cluster + "/kubernetes"], log: log)
        #expect(Launch.waitExit(p, seconds: 60) == 0, "kubectl kustomize: \(Launch.readText(log))")
        let text = Launch.readText(log)
        for kind in ["PersistentVolumeClaim", "Deployment", "Service", "Job"] { #expect(text.contains("kind: \(kind)")) }
    }
}

// MARK: - Stub Slurm

/// `srun`, `scontrol` and `hostname` shims first on PATH, and a `loadshape` wrapper that records every
/// invocation with its exit status before handing it to the real binary.
struct StubSlurm {
    static let tasks = 3
    let dir: String

    init(in dir: String) throws {
        self.dir = dir
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        try write(
            "srun",
            #"""
            #!/usr/bin/env bash
            # Stub srun: run the command once per task, in the background, with the task's Slurm variables.
            n=1
            while (($#)); do
                case $1 in
                    --ntasks | -n) n=$2; shift 2 ;;
                    --ntasks=*) n=${1#*=}; shift ;;
                    --) shift; break ;;
                    -*) shift ;;
                    *) break ;;
                esac
            done
            pids=()
            trap 'kill -TERM "${pids[@]}" 2>/dev/null; wait; exit 143' TERM INT
            for ((i = 0; i < n; i++)); do
                SLURM_PROCID=$i SLURM_LOCALID=$i SLURM_STEPID=0 "$@" &
                pids+=($!)
            done
            status=0
            for p in "${pids[@]}"; do wait "$p" || status=$?; done
            exit "$status"
            """#)
        try write(
            "scontrol",
            #"""
            #!/usr/bin/env bash
            # Stub scontrol: the allocation is this machine (twice, so that the first host is the one taken).
            if [[ ${1:-} == show && ${2:-} == hostnames ]]; then printf '127.0.0.1\nlocalhost\n'; exit 0; fi
            echo "stub scontrol: unsupported: $*" >&2
            exit 1
            """#)
        try write("hostname", "#!/usr/bin/env bash\necho 127.0.0.1\n")
        try write(
            "loadshape",
            #"""
            #!/usr/bin/env bash
            # Records "status<TAB>args" of every call; forwards TERM to the real binary.
            "$REAL_LOADSHAPE" "$@" &
            child=$!
            trap 'kill -TERM "$child" 2>/dev/null' TERM INT
            status=0
            wait "$child" || status=$?
            while kill -0 "$child" 2>/dev/null; do status=0; wait "$child" || status=$?; done
            (IFS=$'\x1f'; printf '%s\t%s\n' "$status" "$*") >>"$INVOCATIONS"
            exit "$status"
            """#)
    }

    private func write(_ name: String, _ text: String) throws {
        let path = dir + "/" + name
        try (text + "\n").write(toFile: path, atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: path)
    }

    struct Invocation: CustomStringConvertible {
        var status: Int32
        var args: [String]
        var description: String { "\(status): \(args.joined(separator: " "))" }
    }

    struct Submission {
        var status: Int32?
        var log: String
        var invocations: [Invocation]
    }

    /// Runs the batch script as sbatch would on the first node of a 2-node, 3-task allocation, from `cwd`.
    func submit(in cwd: String, settings: [String: String]) throws -> Submission {
        let record = TestPaths.temporaryDirectory("loadshape-calls") + "/invocations"
        FileManager.default.createFile(atPath: record, contents: nil)
        let log = TestPaths.temporaryDirectory("loadshape-sbatch") + "/slurm.out"
        var env = [
            "PATH": dir + ":" + (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"),
            "REAL_LOADSHAPE": Binary.path, "INVOCATIONS": record,
            "LOADSHAPE_CONFIGS": TestPaths.configs,
            "SLURM_JOB_ID": "4242", "SLURM_JOB_NODELIST": "node[01-02]", "SLURM_NTASKS": "\(Self.tasks)",
            "LINGER": "2", "GRACE": "30", "GIVE_UP": "60",
            "LOADSHAPE_BIN": "", "EXTRA_ARGS": "", "WORKER_ARGS": "", "KEYS": "", "JOURNAL": "", "INSECURE": "",
            "WORKERS": "", "COORDINATOR_HOST": "",
        ]
        env.merge(settings) { _, b in b }
        let p = try Launch.spawn(
            "/usr/bin/env", ["bash", LauncherTests.cluster + "/slurm/loadshape.sbatch"], environment: env, cwd: cwd, log: log)
        let status = Launch.waitExit(p, seconds: 240)
        let invocations = Launch.readText(record).split(separator: "\n").map { line -> Invocation in
            let parts = line.split(separator: "\t", maxSplits: 1, omittingEmptySubsequences: false)
            return Invocation(
                status: Int32(parts[0]) ?? -1,
                args: parts.count > 1 ? parts[1].split(separator: "\u{1f}", omittingEmptySubsequences: false).map(String.init) : [])
        }
        return Submission(status: status, log: Launch.readText(log), invocations: invocations)
    }
}

// MARK: - Kubernetes manifests

/// YAML documents read by python3's PyYAML (the test target does not link Yams), handed over as JSON.
enum YAMLDocuments {
    static let available: Bool = {
        let ok = (try? Python.run(["-c", "import yaml"]).0) == 0
        if !ok {
            FileHandle.standardError.write(
                Data("\n*** SKIPPED: python3 with PyYAML not found — the Kubernetes manifests were NOT run (pip install pyyaml). ***\n\n".utf8))
        }
        return ok
    }()

    static func load(_ path: String) throws -> [[String: Any]] {
        let (status, text) = try Python.run(
            ["-c", "import json, sys, yaml; json.dump([d for d in yaml.safe_load_all(open(sys.argv[1])) if d], sys.stdout)", path])
        try #require(status == 0, "cannot read \(path): \(text)")
        return try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [[String: Any]])
    }
}

extension Dictionary where Key == String, Value == Any {
    /// The value at a dotted path of dictionary keys, e.g. "spec.template.spec".
    fileprivate subscript(path path: String) -> Any? {
        var value: Any? = self
        for key in path.split(separator: ".") { value = (value as? [String: Any])?[String(key)] }
        return value
    }
}

/// The one container of a Deployment's or Job's pod template, with its volumes.
struct PodContainer {
    var name: String
    var command: [String]
    var args: [String]
    var env: [(name: String, value: String?, fieldPath: String?)]
    var mounts: [(name: String, path: String)]
    var volumes: [String: [String: Any]]

    init?(pod workload: [String: Any]) {
        guard let pod = workload[path: "spec.template.spec"] as? [String: Any],
            let containers = pod["containers"] as? [[String: Any]], containers.count == 1, let c = containers.first
        else { return nil }
        name = c["name"] as? String ?? "container"
        command = (c["command"] as? [Any] ?? []).map { "\($0)" }
        args = (c["args"] as? [Any] ?? []).map { "\($0)" }
        env = (c["env"] as? [[String: Any]] ?? []).compactMap { e in
            guard let n = e["name"] as? String else { return nil }
            return (n, e["value"].map { "\($0)" }, e[path: "valueFrom.fieldRef.fieldPath"] as? String)
        }
        mounts = (c["volumeMounts"] as? [[String: Any]] ?? []).compactMap { m in
            guard let n = m["name"] as? String, let p = m["mountPath"] as? String else { return nil }
            return (n, p)
        }
        volumes = [:]
        for v in pod["volumes"] as? [[String: Any]] ?? [] { if let n = v["name"] as? String { volumes[n] = v } }
    }

    /// The value of option `name` in the manifest's args.
    func option(_ name: String) -> String? {
        guard let i = args.firstIndex(of: name), i + 1 < args.count else { return nil }
        return args[i + 1]
    }

    /// `command` + `args` as the kubelet runs them: `$(VAR)` expanded from the container's env (fieldRefs:
    /// the pod's name, an Indexed Job's completion index; JOB_COMPLETION_INDEX, which the Job controller
    /// adds), `addresses` swapped, and every path under a mount (also inside a shell script) moved under `root`.
    /// An empty command is the image's entrypoint, `loadshape`.
    func argv(under root: String, addresses: [String: String], index: Int? = nil, podName: String = "pod") throws -> [String] {
        var vars: [String: String] = [:]
        if let index { vars["JOB_COMPLETION_INDEX"] = "\(index)" }
        for e in env {
            switch (e.value, e.fieldPath) {
            case (let v?, _): vars[e.name] = v
            case (nil, "metadata.name"): vars[e.name] = podName
            case (nil, "metadata.annotations['batch.kubernetes.io/job-completion-index']"): vars[e.name] = index.map { "\($0)" } ?? ""
            default: Issue.record("env \(e.name): no test value for \(e.fieldPath ?? "?")")
            }
        }
        let all = (command.isEmpty ? ["loadshape"] : command) + args
        let referenced = all.joined(separator: " ")
        for match in referenced.matches(of: /\$\(([A-Za-z_][A-Za-z0-9_]*)\)/) {
            try #require(vars[String(match.1)] != nil, "$(\(match.1)) is not defined in the container's env")
        }
        return all.map { arg in
            var a = arg
            for (k, v) in vars { a = a.replacingOccurrences(of: "$(\(k))", with: v) }
            if let swapped = addresses[a] { return swapped }
            return Self.remap(a, mounts: mounts.map(\.path), root: root)
        }
    }

    /// `text` with each mount path that starts a path (at the start or after a space, quote or '=', and
    /// followed by '/', the end, a space or a quote) moved under `root`.
    static func remap(_ text: String, mounts: [String], root: String) -> String {
        var out = ""
        var i = text.startIndex
        while i < text.endIndex {
            let atStart = i == text.startIndex || " \t\n\"'=".contains(text[text.index(before: i)])
            if atStart, let m = mounts.first(where: { m in
                guard text[i...].hasPrefix(m) else { return false }
                let after = text.index(i, offsetBy: m.count)
                return after == text.endIndex || "/ \t\n\"';".contains(text[after])
            }) {
                out += root + m
                i = text.index(i, offsetBy: m.count)
            } else {
                out.append(text[i])
                i = text.index(after: i)
            }
        }
        return out
    }

    /// Fills each mounted volume under `root`: a ConfigMap gets the spec as study.yaml, a Secret's projected
    /// items come from `keys` with the volume's mode, a claim starts empty.
    func populateVolumes(under root: String, spec: String, keys: String) throws {
        let fm = FileManager.default
        for m in mounts {
            let dir = root + m.path
            try fm.createDirectory(atPath: dir, withIntermediateDirectories: true)
            let volume = try #require(volumes[m.name], "volume \(m.name) is mounted but not declared")
            if volume["configMap"] != nil {
                try fm.copyItem(atPath: spec, toPath: dir + "/study.yaml")
            } else if let projected = volume["projected"] as? [String: Any] {
                let mode = projected["defaultMode"] as? Int ?? 0o644
                for source in projected["sources"] as? [[String: Any]] ?? [] {
                    let items = try #require((source["secret"] as? [String: Any])?["items"] as? [[String: Any]])
                    for item in items {
                        let key = try #require(item["key"] as? String), path = try #require(item["path"] as? String)
                        try fm.copyItem(atPath: keys + "/" + key, toPath: dir + "/" + path)
                        try fm.setAttributes([.posixPermissions: mode], ofItemAtPath: dir + "/" + path)
                    }
                }
            } else {
                #expect(volume["persistentVolumeClaim"] != nil, "unexpected volume \(volume)")
            }
        }
    }
}

/// The image, as far as the manifests see it: `loadshape` on PATH (the built binary) and LOADSHAPE_CONFIGS.
struct ImageShim {
    let environment: [String: String]

    init(in dir: String) throws {
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(atPath: dir + "/loadshape", withDestinationPath: Binary.path)
        environment = [
            "PATH": dir + ":" + (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"),
            "LOADSHAPE_CONFIGS": TestPaths.configs,
        ]
    }
}

// MARK: - Processes

/// Processes for the launcher tests (the `Binary` helper runs only the loadshape binary).
enum Launch {
    /// Kills `p` and its process group (SIGKILL, as a lost node would) and reaps it. Foundation starts each child
    /// as a process-group leader; a shell's children (the coordinator under the pod's `sh -c`) are in its group.
    /// (Only while it runs: the pid, and so the group's id, is ours until it is reaped.)
    static func stop(_ p: Process) {
        if p.isRunning {
            kill(-p.processIdentifier, SIGKILL)
            kill(p.processIdentifier, SIGKILL)
        }
        p.waitUntilExit()
    }

    /// Starts `executable` with `args`, stdout and stderr to `log`.
    static func spawn(_ executable: String, _ args: [String], environment: [String: String] = [:], cwd: String? = nil, log: String)
        throws -> Process
    {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: executable)
        p.arguments = args
        p.environment = ProcessInfo.processInfo.environment.merging(environment) { _, b in b }
        if let cwd { p.currentDirectoryURL = URL(fileURLWithPath: cwd) }
        FileManager.default.createFile(atPath: log, contents: nil)
        let handle = FileHandle(forWritingAtPath: log)
        p.standardOutput = handle
        p.standardError = handle
        p.standardInput = FileHandle.nullDevice
        // A child inherits the spawning thread's signal mask, and the test runner's threads block SIGTERM and
        // others: unblock them while spawning, so that the scripts' traps and kills work as they do from a shell.
        var none = sigset_t()
        var saved = sigset_t()
        sigemptyset(&none)
        pthread_sigmask(SIG_SETMASK, &none, &saved)
        defer { pthread_sigmask(SIG_SETMASK, &saved, nil) }
        try p.run()
        return p
    }

    /// The exit status of `p`, or nil (after terminating it) if it ran longer than `seconds`.
    static func waitExit(_ p: Process, seconds: Double) -> Int32? {
        let deadline = Date().addingTimeInterval(seconds)
        while p.isRunning && Date() < deadline { Thread.sleep(forTimeInterval: 0.1) }
        if p.isRunning {
            p.terminate()
            let grace = Date().addingTimeInterval(10)
            while p.isRunning && Date() < grace { Thread.sleep(forTimeInterval: 0.1) }
            Launch.stop(p)
            return nil
        }
        return p.terminationStatus
    }

    static func readText(_ path: String) -> String { (try? String(contentsOfFile: path, encoding: .utf8)) ?? "" }

    static func which(_ name: String) -> String? {
        for dir in (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":") {
            let p = "\(dir)/\(name)"
            if FileManager.default.isExecutableFile(atPath: p) { return p }
        }
        return nil
    }

    /// A TCP port nothing listens on right now (bound to port 0 on 127.0.0.1, read back, closed).
    static func freePort() throws -> Int {
        #if canImport(Glibc)
            let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        #else
            let fd = socket(AF_INET, SOCK_STREAM, 0)
        #endif
        try #require(fd >= 0)
        defer { close(fd) }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = 0
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, len) } }
        try #require(bound == 0)
        let named = withUnsafeMutablePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &len) }
        }
        try #require(named == 0)
        return Int(UInt16(bigEndian: addr.sin_port))
    }
}
