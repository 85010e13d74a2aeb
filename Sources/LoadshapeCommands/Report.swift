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
