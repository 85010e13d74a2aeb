import ArgumentParser
import Foundation
import LoadshapeTesting
import Testing

@testable import LoadshapeCommands

/// Every command, depth first, with its path (`cluster serve`; "" for the root).
func allCommands(_ c: any ParsableCommand.Type, prefix: String = "") -> [(String, any ParsableCommand.Type)] {
    var out: [(String, any ParsableCommand.Type)] = [(prefix, c)]
    for s in c.configuration.subcommands {
        let n = s.configuration.commandName ?? s._commandName
        out += allCommands(s, prefix: prefix.isEmpty ? n : prefix + " " + n)
    }
    return out
}

@Suite struct HelpTests {
    @Test func everyCommandsHelpHasAnExample() {
        let commands = allCommands(Loadshape.self)
        let names = Set(commands.map(\.0))
        for expected in ["generate", "site", "cluster", "cluster local", "cluster serve", "worker", "keys", "fit", "validate", "report", "bench"] {
            #expect(names.contains(expected), "`loadshape \(expected)` is not a subcommand: \(names.sorted())")
        }
        for (name, command) in commands {
            let help = Loadshape.helpMessage(for: command)
            #expect(help.contains("Example"), "`loadshape \(name) --help` shows no example")
            #expect(help.contains("loadshape \(name)"), "`loadshape \(name) --help`: its examples do not run it")
        }
    }

    @Test func badArgumentsSuggestTheFix() {
        for (args, hint) in [
            (["generate", "--duration", "5x"], "e.g. 90s, 15m, 1h"),
            (["generate", "--tp", "0"], "--tp 8"),
            (["generate", "--start", "yesterday"], "e.g. 2025-01-01T00:00:00Z"),
            (["cluster", "local", "--shard", "half"], "site, row or racks:N"),
            (["cluster", "serve", "--bind", "tcp://0.0.0.0:5555"], "loadshape keys --help"),
        ] {
            #expect(Self.fullMessage(args).contains(hint), "`loadshape \(args.joined(separator: " "))`: \(Self.fullMessage(args))")
        }
    }

    static func fullMessage(_ args: [String]) -> String {
        do {
            _ = try Loadshape.parseAsRoot(args)
            return ""
        } catch {
            return Loadshape.fullMessage(for: error)
        }
    }
}
