import Foundation
import LoadshapeIO

/// Axis ticks: round linear steps (1, 2, 2.5, 5 × 10ⁿ), decades on log axes, whole UTC units on time axes.
public enum Ticks {
    /// About `target` round values covering [lo, hi].
    public static func linear(_ lo: Double, _ hi: Double, target: Int = 6) -> [Double] {
        guard lo.isFinite, hi.isFinite, hi > lo else { return lo.isFinite ? [lo] : [] }
        let step = linearStep(lo, hi, target: target)
        var out: [Double] = []
        var k = (lo / step - 1e-9).rounded(.up)
        while k * step <= hi + step * 1e-9 {
            let t = k * step
            out.append(abs(t) < step * 1e-9 ? 0 : t)
            k += 1
        }
        return out
    }

    /// The step ``linear(_:_:target:)`` uses.
    /// The smallest of 1, 2, 2.5, 5 × 10ⁿ that gives at most `target` + 1 intervals.
    public static func linearStep(_ lo: Double, _ hi: Double, target: Int = 6) -> Double {
        let span = hi - lo
        let magnitude = pow(10, (log10(span / Double(max(target, 1)))).rounded(.down))
        for m in [magnitude / 10, magnitude, magnitude * 10] {
            for c in [1.0, 2, 2.5, 5] where span / (c * m) <= Double(target + 1) { return c * m }
        }
        return 10 * magnitude
    }

    /// A tick label with as many decimals as the step needs.
    public static func label(_ v: Double, step: Double) -> String {
        guard step > 0, step.isFinite else { return Markup.number(v, 0) }
        var decimals = max(0, Int((-log10(step)).rounded(.up)))
        if (step * pow(10, Double(decimals))).rounded() != step * pow(10, Double(decimals)) { decimals += 1 }
        let text = String(format: "%.\(min(decimals, 6))f", v)
        return text == "-0" ? "0" : text.replacingOccurrences(of: "-", with: "−")
    }

    /// Decades in [lo, hi] (lo > 0), with 2× and 5× when fewer than three decades show.
    public static func log(_ lo: Double, _ hi: Double) -> [Double] {
        guard lo > 0, hi > lo else { return lo > 0 ? [lo] : [] }
        var out: [Double] = []
        let a = Int((log10(lo) - 1e-9).rounded(.down))
        let b = Int((log10(hi) + 1e-9).rounded(.up))
        let multiples: [Double] = log10(hi) - log10(lo) <= 2.5 ? [1, 2, 5] : [1]
        for e in a...b {
            for m in multiples {
                let v = m * pow(10, Double(e))
                if v >= lo * (1 - 1e-9) && v <= hi * (1 + 1e-9) { out.append(v) }
            }
        }
        return out
    }

    /// A log-axis label: 1, 10, 100, 1k, 10k …
    public static func logLabel(_ v: Double) -> String {
        if v >= 1000 && v < 1e6 { return Markup.number(v / 1000, v.truncatingRemainder(dividingBy: 1000) == 0 ? 0 : 1) + "k" }
        if v >= 1 { return Markup.number(v, 0) }
        return String(format: "%g", v)
    }

    /// Steps for time axes, ms.
    static let timeSteps: [Int64] = [
        1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400, 172_800, 604_800,
        1_209_600, 2_592_000,
    ].map { Int64($0) * 1000 }

    /// Ticks at whole multiples of a UTC step (epoch-aligned, so days start at 00:00 UTC) over [lo, hi] ms.
    public static func time(_ loMs: Double, _ hiMs: Double, target: Int = 8) -> (ticks: [Double], stepMs: Int64) {
        guard loMs.isFinite, hiMs.isFinite, hiMs > loMs else { return ([loMs], 1000) }
        let raw = (hiMs - loMs) / Double(max(target, 1))
        let step = timeSteps.first { Double($0) >= raw } ?? timeSteps.last!
        var t = (loMs / Double(step)).rounded(.up) * Double(step)
        var out: [Double] = []
        while t <= hiMs + 1e-6 {
            out.append(t)
            t += Double(step)
        }
        return (out, step)
    }

    /// A time tick's label lines: `HH:MM` (or `HH:MM:SS`, or `MM-DD` for steps of a day or more), and the date
    /// under the first tick and under every midnight.
    public static func timeLabel(_ ms: Double, stepMs: Int64, first: Bool) -> [String] {
        let iso = UTCTimestamp.format(epochMillis: Int64(ms.rounded()))  // 2024-05-16T00:00:00.000Z
        let chars = Array(iso)
        func part(_ a: Int, _ b: Int) -> String { String(chars[a..<b]) }
        if stepMs >= 86_400_000 { return [part(5, 10)] }
        let clock = stepMs < 60_000 ? part(11, 19) : part(11, 16)
        let midnight = part(11, 19) == "00:00:00"
        return first || midnight ? [clock, part(0, 10)] : [clock]
    }

    /// Seconds of a resolution label (`250ms`, `1s`, `15min`, `1h`, `1d`), or nil.
    public static func seconds(ofResolution label: String) -> Double? {
        let digits = label.prefix(while: { $0.isNumber || $0 == "." })
        guard let v = Double(digits), v > 0 else { return nil }
        switch label.dropFirst(digits.count) {
        case "ms": return v / 1000
        case "s": return v
        case "min", "m": return v * 60
        case "h": return v * 3600
        case "d": return v * 86400
        default: return nil
        }
    }
}

/// Maps data values to pixels on a linear or log scale.
struct Scale {
    var lo: Double
    var hi: Double
    var from: Double
    var to: Double
    var log: Bool

    func callAsFunction(_ v: Double) -> Double {
        let t: Double
        if log {
            t = (log10(max(v, 1e-300)) - log10(lo)) / (log10(hi) - log10(lo))
        } else {
            t = (v - lo) / (hi - lo)
        }
        return from + t * (to - from)
    }
}
