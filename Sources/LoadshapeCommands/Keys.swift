import ArgumentParser
import Foundation
import LoadshapeZeroMQ

/// `loadshape keys`: a CURVE key pair for a coordinator or a worker.
struct Keys: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Generate a CURVE key pair for a cluster coordinator or worker (encryption + authentication).",
        discussion: """
            Writes two files into --out:
              NAME.key   the key pair (mode 0600): keep it on the machine that uses it,
                         never copy it elsewhere
              NAME.pub   the public key: give it to whoever must recognise this key

            With CURVE, cluster traffic is encrypted, workers check they reached the
            real coordinator (by its public key), and the coordinator admits only
            workers whose public key it has been given. Others get nothing: their
            handshake is refused and the coordinator logs the denied key.

            Example: one coordinator, one worker
              loadshape keys --out keys --name coordinator
              loadshape keys --out keys --name worker
              loadshape cluster serve --curve-key keys/coordinator.key \\
                  --authorized keys/ ...
              loadshape worker --curve-key keys/worker.key \\
                  --coordinator-key keys/coordinator.pub ...

            --authorized takes a directory or a file. A directory means every *.pub
            in it except the one matching the coordinator's own key, so one keys/
            folder can hold them all. A file lists one public key per line; blank
            lines and lines starting with # are ignored, and a key may be followed
            by a # comment.

            Copy to each worker machine its own NAME.key and coordinator.pub; give
            the coordinator every worker's NAME.pub. Add a worker later with another
            `loadshape keys --name ...` and a coordinator restart. A file that has
            been seen by someone else is no longer secret: make a new pair (--force
            replaces an existing one) and hand out the new .pub.

            Exit codes: 0 success; 1 the files could not be written or already exist;
            64 bad command-line usage.
            """
    )

    @Option(help: "Directory for NAME.key and NAME.pub (created, mode 0700, if missing).") var out = "keys"
    @Option(help: "Name of the key, e.g. coordinator or worker-3 (letters, digits, '.', '-', '_').") var name: String
    @Flag(help: "Replace NAME.key and NAME.pub if they exist (the old key stops working where it was trusted).")
    var force = false

    func validate() throws {
        if let p = CurveKeyFile.nameProblem(name) { throw ValidationError("--name '\(name)' \(p)") }
    }

    func run() throws {
        let keyPath = (out as NSString).appendingPathComponent(name + ".key")
        let pubPath = (out as NSString).appendingPathComponent(name + ".pub")
        if !force {
            let existing = [keyPath, pubPath].filter { FileManager.default.fileExists(atPath: $0) }
            if !existing.isEmpty {
                throw CLIError(
                    "\(existing.joined(separator: " and ")) already exist\(existing.count == 1 ? "s" : ""): not replaced. "
                        + "Pass --force to make a new key pair in its place (the old key then stops working wherever it was trusted).")
            }
        }
        let pair: CurveKeyPair
        do { pair = try CurveKeyPair.generate() } catch {
            throw CLIError("cannot generate a CURVE key pair: \(error) (is libzmq built with CURVE/libsodium?)")
        }
        do { try CurveKeyFile.write(pair, directory: out, name: name, overwrite: force) } catch {
            throw CLIError(error.description)
        }
        let dir = out.hasSuffix("/") ? out : out + "/"
        let next: String
        if name.lowercased().contains("coordinator") {
            next = """
                Next: give \(pubPath) to every worker, and start the coordinator with
                  loadshape cluster serve --curve-key \(keyPath) --authorized \(dir) ...
                (--authorized DIR admits every *.pub in DIR except the coordinator's own).
                """
        } else {
            next = """
                Next: put \(pubPath) in the coordinator's --authorized directory (or list file),
                copy \(keyPath) to this worker's machine only, and start the worker with
                  loadshape worker --curve-key \(keyPath) --coordinator-key \(dir)coordinator.pub ...
                """
        }
        print(
            """
            wrote \(keyPath)  (key pair, mode 0600: keep it secret)
            wrote \(pubPath)  (public key: share it)
            public key: \(pair.publicKey)

            \(next)
            """)
    }
}
