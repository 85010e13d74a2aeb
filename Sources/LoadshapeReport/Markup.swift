import Foundation

/// Text and numbers for HTML and SVG.
public enum Markup {
    /// Escapes `&`, `<`, `>`, `"` and `'` for element text and attribute values.
    public static func escape(_ s: String) -> String {
        var out = ""
        out.reserveCapacity(s.utf8.count)
        for c in s {
            switch c {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.append(c)
            }
        }
        return out
    }

    /// An SVG coordinate in viewBox units (1 unit = 1 px at the design width), to 0.1.
    static func coord(_ x: Double) -> String {
        let r = (x * 10).rounded() / 10
        if r == r.rounded(), abs(r) < 1e9 { return String(Int(r)) }
        return String(r)
    }

    /// A value for people: `digits` decimals, or "—" when it is not finite.
    public static func number(_ x: Double, _ digits: Int = 1) -> String {
        x.isFinite ? String(format: "%.\(digits)f", x) : "—"
    }

    /// A fraction as a percentage with `digits` decimals.
    public static func percent(_ x: Double, _ digits: Int = 1) -> String {
        x.isFinite ? String(format: "%.\(digits)f%%", 100 * x) : "—"
    }

    /// An integer with thin thousands separators (3 075 909).
    public static func count(_ n: Int) -> String {
        let s = String(abs(n))
        var out = ""
        for (i, c) in s.enumerated() {
            if i > 0 && (s.count - i) % 3 == 0 { out += "\u{202F}" }
            out.append(c)
        }
        return n < 0 ? "−" + out : out
    }
}
