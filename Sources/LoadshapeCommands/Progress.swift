import Foundation

/// Progress of a long command, on stderr only (stdout stays the command's result):
/// - on a terminal, one line rewritten in place (at most 4 times a second) with the share done and the ETA,
///   cleared when the command finishes;
/// - otherwise (a pipe, a log file, CI), a plain line every `$LOADSHAPE_PROGRESS_INTERVAL` seconds (default
///   10) with the share done, the time elapsed and the ETA, and a last line with the total time — nothing at all
///   for a run shorter than the interval;
/// - nothing with `--quiet`.
final class Progress: @unchecked Sendable {
    // Used from one thread at a time (the command's, or the one thread running a study's shards): @unchecked
    // because the closures capturing it are not checked for Sendable.
    enum Mode: Equatable {
        case off
        case terminal
        case log(intervalS: Double)
    }

    let mode: Mode
    let label: String
    private let clock: () -> Double
    private let write: (String) -> Void
    private let started: Double
    private var lastDraw = -Double.infinity
    private var lastLog: Double
    private var drawn = false
    private var logged = false

    /// The progress of a command: off when `quiet`, else by whether stderr is a terminal.
    convenience init(quiet: Bool, label: String) {
        let env = ProcessInfo.processInfo.environment["LOADSHAPE_PROGRESS_INTERVAL"].flatMap(Double.init)
        let mode: Mode = quiet ? .off : (isatty(2) == 1 ? .terminal : .log(intervalS: max(env ?? 10, 0.01)))
        self.init(mode: mode, label: label)
    }

    init(
        mode: Mode, label: String, clock: @escaping () -> Double = { ProcessInfo.processInfo.systemUptime },
        write: @escaping (String) -> Void = { FileHandle.standardError.write(Data($0.utf8)) }
    ) {
        self.mode = mode
        self.label = label
        self.clock = clock
        self.write = write
        started = clock()
        lastLog = started
    }

    /// Reports `fraction` (0…1) done, with `detail` (e.g. "120/240 servers").
    func update(fraction: Double, detail: String) {
        guard mode != .off else { return }
        let now = clock()
        let f = min(max(fraction.isFinite ? fraction : 0, 0), 1)
        let elapsed = now - started
        let eta = f > 0.001 ? elapsed * (1 - f) / f : .nan
        let percent = "\(Int((f * 100).rounded(.down)))%"
        switch mode {
        case .off: return
        case .terminal:
            guard now - lastDraw >= 0.25 else { return }
            lastDraw = now
            let etaText = eta.isFinite ? ", ETA \(Self.duration(eta))" : ""
            write("\r\u{1B}[K\(label): \(percent) \(detail)\(etaText)")
            drawn = true
        case .log(let interval):
            guard now - lastLog >= interval else { return }
            lastLog = now
            let etaText = eta.isFinite ? ", ETA \(Self.duration(eta))" : ""
            write("\(label): \(percent) \(detail), \(Self.duration(elapsed)) elapsed\(etaText)\n")
            logged = true
        }
    }

    /// Ends the progress: clears the terminal line, or logs the total time when anything was logged.
    func finish() {
        switch mode {
        case .terminal where drawn: write("\r\u{1B}[K")
        case .log where logged: write("\(label): done in \(Self.duration(clock() - started))\n")
        default: break
        }
        drawn = false
        logged = false
    }

    /// `42 s`, `3 min 05 s`, `2 h 07 min`.
    static func duration(_ s: Double) -> String {
        guard s.isFinite, s >= 0 else { return "?" }
        let t = Int(s.rounded())
        if t < 60 { return "\(t) s" }
        if t < 3600 { return "\(t / 60) min \(String(format: "%02d", t % 60)) s" }
        return "\(t / 3600) h \(String(format: "%02d", (t % 3600) / 60)) min"
    }
}
