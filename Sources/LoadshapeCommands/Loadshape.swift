import ArgumentParser

/// The `loadshape` command.
public struct Loadshape: ParsableCommand {
    public static let version = "0.1.0"

    public static let configuration = CommandConfiguration(
        commandName: "loadshape",
        abstract: "What an LLM-inference site will draw from the grid, second by second, before it is built.",
        discussion: """
            Loadshape composes power from the workload: requests drive a
            continuous-batching serving model that says, per 250 ms, how busy a
            server is with prefill, decode or nothing; per (model, GPU, TP) power
            surfaces turn that work into watts.

            Examples:
              loadshape site --report     the reference paper's 240-server site for one
                                          day, with site-run/report.html
              loadshape site my-site.yaml --out my-site/
              loadshape generate          one qwen3-8b A100 server, 1 h at 2 req/s
              loadshape generate --model llama-3-70b --gpu A100 --tp 8 --rate 4
              loadshape cluster local --workers 4    the same study on 4 processes
              loadshape fit RUN...        learn a power model from measured runs
              loadshape validate RUN...   score it against held-out measured runs
              loadshape report DIR        an HTML report of any output folder
              loadshape bench             engine speed and memory

            Every command has examples in `loadshape <command> --help`.

            Records (GPUs, model architectures, power models) live under Configs/;
            see docs/user-guide.md.
            """,
        version: version,
        subcommands: [
            Generate.self, Site.self, Cluster.self, WorkerCommand.self, Keys.self, Fit.self, Validate.self, ReportCommand.self,
            Bench.self,
        ]
    )

    public init() {}
}

/// Options shared by every command that reads `Configs/`.
public struct ConfigOptions: ParsableArguments {
    @Option(name: .long, help: "The Configs/ directory (default: $LOADSHAPE_CONFIGS, ./Configs, or beside the binary).")
    public var configs: String?

    public init() {}
}

extension Loadshape {
    /// Runs the command line (the executable's only call).
    public static func runFromCommandLine() { main() }
}
