import ArgumentParser
import Foundation
import LoadshapeTesting
import LoadshapeZeroMQ
import Testing

@testable import LoadshapeCommands

@Suite struct KeysCommandTests {
    @Test func writesAKeyPairAndAPublicKeyThatReadBack() throws {
        let out = TestPaths.temporaryDirectory() + "/keys"
        try runLoadshape(["keys", "--out", out, "--name", "coordinator"])
        try runLoadshape(["keys", "--out", out, "--name", "worker-1"])
        let coord = try CurveKeyFile.readKeyPair(path: out + "/coordinator.key") { Issue.record("\($0)") }
        #expect(try CurveKeyFile.readPublicKey(path: out + "/coordinator.pub") == coord.publicKey)
        let mode = try FileManager.default.attributesOfItem(atPath: out + "/worker-1.key")[.posixPermissions] as? NSNumber
        #expect(mode?.intValue == 0o600)
        let workers = try CurveKeyFile.readAuthorized(path: out, excluding: coord.publicKey)
        #expect(workers.count == 1 && workers[0].path == out + "/worker-1.pub")
    }

    @Test func refusesToOverwriteWithoutForce() throws {
        let out = TestPaths.temporaryDirectory() + "/keys"
        try runLoadshape(["keys", "--out", out, "--name", "w"])
        let first = try CurveKeyFile.readKeyPair(path: out + "/w.key")
        #expect {
            try runLoadshape(["keys", "--out", out, "--name", "w"])
        } throws: { e in
            "\(e)".contains("w.key and") && "\(e)".contains("already exist") && "\(e)".contains("--force")
        }
        #expect(try CurveKeyFile.readKeyPair(path: out + "/w.key") == first, "untouched")
        try runLoadshape(["keys", "--out", out, "--name", "w", "--force"])
        let second = try CurveKeyFile.readKeyPair(path: out + "/w.key")
        #expect(second != first)
        #expect(try CurveKeyFile.readPublicKey(path: out + "/w.pub") == second.publicKey)
    }

    @Test func badNamesAreUsageErrors() throws {
        for bad in ["", "../x", ".hidden", "a b", "x/y"] {
            #expect(throws: (any Error).self, "--name '\(bad)'") { _ = try Loadshape.parseAsRoot(["keys", "--name", bad]) }
        }
        #expect(throws: (any Error).self, "--name is required") { _ = try Loadshape.parseAsRoot(["keys"]) }
        let cmd = try #require(try Loadshape.parseAsRoot(["keys", "--name", "node_17.a"]) as? Keys)
        #expect(cmd.out == "keys" && cmd.name == "node_17.a" && !cmd.force)
    }

    @Test func helpTeachesTheWholeSetup() {
        let help = Loadshape.helpMessage(for: Keys.self)
        for needle in [
            "loadshape keys --out keys --name coordinator", "loadshape keys --out keys --name worker",
            "loadshape cluster serve --curve-key keys/coordinator.key", "--authorized keys/ ...",
            "loadshape worker --curve-key keys/worker.key", "--coordinator-key keys/coordinator.pub",
            "except the one matching", "--force",
        ] {
            #expect(help.contains(needle), "help lacks '\(needle)'")
        }
        #expect(Loadshape.helpMessage().contains("keys"))
    }
}
