import Foundation
import LoadshapeCore
import LoadshapeIO

/// Human-readable summaries for the terminal.
enum Report {
    static func fmt(_ x: Double, _ digits: Int = 1) -> String { String(format: "%.\(digits)f", x) }

    static func generateSummary(
        _ s: [String: Any], resolved: ResolvedConfiguration, method: PowerMethod, requests: Int, out: String
    ) -> String {
        func d(_ k: String) -> Double { (s[k] as? Double) ?? .nan }
        var lines: [String] = []
        lines.append(
            "\(resolved.model.record.name) on \(resolved.gpusPerNode) × \(resolved.hardware.record.name) (TP \(resolved.tp)), "
                + "power: \(method == .surface ? resolved.powerModel.record.name : method.name + " baseline")"
                + (resolved.violations.isEmpty ? "" : "  [UNSUPPORTED EXTRAPOLATION]"))
        lines.append("  requests        \(requests) over \(fmt(d("duration_s") / 3600, 2)) h")
        lines.append("  energy          \(fmt(d("energy_wh") / 1000, 3)) kWh (node GPU)")
        lines.append("  mean power      \(fmt(d("mean_w"))) W")
        lines.append("  peak (250 ms)   \(fmt(d("peak_w"))) W    peak (1 s) \(fmt(d("peak_1s_w"))) W")
        lines.append("  P95 / P99       \(fmt(d("p95_w"))) / \(fmt(d("p99_w"))) W")
        lines.append(
            "  TTFT median     \(fmt(d("ttft_median_s") * 1000)) ms   end-to-end median \(fmt(d("e2e_median_s"), 2)) s")
        lines.append("  outputs         \(out)/power.csv, requests.csv, manifest.json")
        return lines.joined(separator: "\n")
    }
}

/// Progress on stderr: a rewritten line with ETA on a terminal, nothing otherwise.
final class Progress: @unchecked Sendable {
    // Used from one thread only (the command's); @unchecked because the closure capturing it is not @Sendable-checked.
    let enabled: Bool
    let label: String
    let started = Date()
    var last = Date.distantPast
    var shown = false

    init(enabled: Bool, label: String) {
        self.enabled = enabled && isatty(2) == 1
        self.label = label
    }

    func update(fraction: Double, detail: String) {
        guard enabled else { return }
        let now = Date()
        guard now.timeIntervalSince(last) > 0.25 else { return }
        last = now
        let f = min(max(fraction, 0), 1)
        let elapsed = now.timeIntervalSince(started)
        let eta = f > 0.001 ? elapsed * (1 - f) / f : .nan
        let etaText = eta.isFinite ? "ETA \(Int(eta.rounded())) s" : ""
        FileHandle.standardError.write(Data("\r\(label): \(Int(f * 100))% \(detail) \(etaText)    ".utf8))
        shown = true
    }

    func finish() {
        if shown { FileHandle.standardError.write(Data("\r\u{1B}[K".utf8)) }
    }
}
