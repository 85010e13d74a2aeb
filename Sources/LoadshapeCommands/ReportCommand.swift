import ArgumentParser
import Foundation
import LoadshapeIO
import LoadshapeReport
import LoadshapeSite

/// `loadshape report`: one self-contained HTML page of an output folder.
struct ReportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "Write a self-contained HTML report (inline SVG figures, no network) of an output folder.",
        discussion: """
            Reads what `loadshape site`, `cluster`, `generate` or `validate` wrote into
            a folder and draws it into one HTML file that opens offline in any browser:
              site / cluster  power at every level (site, rows, racks) and resolution,
                              the load-duration curve, smoothing across levels
                              (coefficient of variation vs servers aggregated), racks
                              admitted vs row limit against nameplate sizing, the
                              baselines, power capping, the manifest (inputs, seed,
                              version) and a check of every output's SHA-256
              generate        the server's power at 250 ms, 1 s and 1 min, load
                              duration, busy fraction, latency CDFs, arrivals
              validate        scores, and per run the measured vs synthetic traces,
                              their CDFs and autocorrelations
            Long series are drawn as a line through the mean of each pixel column over
            a shaded min-max envelope, so short peaks stay visible. Times are interval
            starts in UTC. For a site, one server is re-simulated from the study spec
            (when it is still there, unchanged) for the server level of the smoothing
            figure.

            Examples:
              loadshape report site-run                     writes site-run/report.html
              loadshape report run --out server.html
              loadshape report validation/
              loadshape site --report                       the study, then its report
            """
    )

    @OptionGroup var config: ConfigOptions
    @Argument(help: "An output folder of loadshape site, cluster, generate or validate.") var dir: String
    @Option(help: "The HTML file to write (default: <dir>/report.html).") var out: String?
    @Flag(help: "Print nothing.") var quiet = false

    func run() throws {
        do {
            let path = try Self.write(dir: dir, out: out, configs: config.configs)
            if !quiet { print("report: \(path)") }
        } catch let e as IOError {
            throw CLIError(e.message)
        }
    }

    /// Writes the report of `dir`; for a site output, adds the server level from the study spec when it can.
    static func write(dir: String, out: String? = nil, configs: String?) throws -> String {
        var details = StudyDetails()
        if try HTMLReport.kind(of: dir) == .site { details = StudyDetailsFromSpec.load(dir: dir, configs: configs) }
        return try HTMLReport.write(dir: dir, to: out, details: details)
    }

    /// Writes `<dir>/report.html` after a command's outputs (`--report`), saying so unless quiet.
    static func afterRun(dir: String, details: StudyDetails? = nil, configs: String?, quiet: Bool) throws {
        do {
            let path: String
            if let d = details {
                path = try HTMLReport.write(dir: dir, details: d)
            } else {
                path = try write(dir: dir, configs: configs)
            }
            if !quiet { print("  report: \(path)") }
        } catch let e as IOError {
            throw CLIError("the outputs are written, but the report failed: \(e.message) (retry with `loadshape report \(dir)`)")
        }
    }
}
