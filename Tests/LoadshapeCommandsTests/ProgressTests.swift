import Foundation
import LoadshapeTesting
import Testing

@testable import LoadshapeCommands

/// A clock the test moves by hand and the lines a Progress wrote.
final class ProgressRecorder {
    var now = 0.0
    var text = ""
    func progress(_ mode: LoadshapeCommands.Progress.Mode) -> LoadshapeCommands.Progress {
        LoadshapeCommands.Progress(mode: mode, label: "site", clock: { self.now }, write: { self.text += $0 })
    }
}

@Suite struct ProgressTests {
    @Test func withoutATerminalItLogsAPlainLineEveryInterval() {
        let r = ProgressRecorder()
        let p = r.progress(.log(intervalS: 10))
        for (t, f) in [(1.0, 0.05), (5, 0.1), (11, 0.25), (15, 0.3), (22, 0.5), (25, 0.6)] {
            r.now = t
            p.update(fraction: f, detail: "\(Int(f * 240))/240 servers")
        }
        r.now = 44
        p.finish()
        let lines = r.text.split(separator: "\n").map(String.init)
        #expect(lines == [
            "site: 25% 60/240 servers, 11 s elapsed, ETA 33 s",
            "site: 50% 120/240 servers, 22 s elapsed, ETA 22 s",
            "site: done in 44 s",
        ])
        #expect(!r.text.contains("\r") && !r.text.contains("\u{1B}"), "no terminal control characters in a log")
    }

    @Test func aShortRunLogsNothing() {
        let r = ProgressRecorder()
        let p = r.progress(.log(intervalS: 10))
        r.now = 3
        p.update(fraction: 0.9, detail: "")
        p.finish()
        #expect(r.text.isEmpty)
    }

    @Test func onATerminalOneLineIsRewrittenAndCleared() {
        let r = ProgressRecorder()
        let p = r.progress(.terminal)
        for t in [0.3, 0.4, 0.6] {
            r.now = t
            p.update(fraction: t, detail: "x")
        }
        p.finish()
        #expect(r.text == "\r\u{1B}[Ksite: 30% x, ETA 1 s\r\u{1B}[Ksite: 60% x, ETA 0 s\r\u{1B}[K")
    }

    @Test func quietIsSilent() {
        let r = ProgressRecorder()
        let p = r.progress(.off)
        r.now = 100
        p.update(fraction: 0.5, detail: "")
        p.finish()
        #expect(r.text.isEmpty)
        #expect(LoadshapeCommands.Progress(quiet: true, label: "x").mode == .off)
    }

    @Test func durationsReadNaturally() {
        #expect(LoadshapeCommands.Progress.duration(42.4) == "42 s")
        #expect(LoadshapeCommands.Progress.duration(185) == "3 min 05 s")
        #expect(LoadshapeCommands.Progress.duration(7620) == "2 h 07 min")
        #expect(LoadshapeCommands.Progress.duration(.nan) == "?")
    }
}

/// The built binary with stderr on a pipe (not a terminal): plain progress lines, nothing with --quiet.
@Suite(.enabled(if: TestPaths.builtBinary != nil, "the loadshape binary is not built: progress on a pipe NOT checked"))
struct ProgressProcessTests {
    @Test(arguments: [
        ["generate", "--duration", "12h", "--rate", "1"],
        ["site", "SPEC"],
    ])
    func aPipeGetsPlainProgressLinesAndQuietSilencesThem(args: [String]) throws {
        let bin = try #require(TestPaths.builtBinary)
        let (dir, spec) = TinyStudy.write()
        let base = args.map { $0 == "SPEC" ? spec : $0 } + ["--configs", TestPaths.configs]
        let env = ["LOADSHAPE_PROGRESS_INTERVAL": "0.01"]
        let loud = try TestPaths.run(bin, base + ["--out", dir + "/a"], environment: env)
        #expect(loud.status == 0, "\(loud.stderr)")
        let lines = loud.stderr.split(separator: "\n")
        #expect(lines.contains { $0.hasPrefix("\(args[0]): ") && $0.contains("% ") && $0.contains("elapsed") }, "\(loud.stderr)")
        #expect(lines.last?.hasPrefix("\(args[0]): done in ") == true, "\(loud.stderr)")
        #expect(!loud.stderr.contains("\r") && !loud.stderr.contains("\u{1B}"))
        #expect(!loud.stdout.contains("elapsed"), "progress goes to stderr only")
        let quiet = try TestPaths.run(bin, base + ["--out", dir + "/b", "--quiet"], environment: env)
        #expect(quiet.status == 0 && quiet.stderr.isEmpty && quiet.stdout.isEmpty, "--quiet: \(quiet.stderr)\(quiet.stdout)")
    }
}
