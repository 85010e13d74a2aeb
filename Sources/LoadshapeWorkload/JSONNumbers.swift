import Foundation

/// Classifies values from `JSONSerialization`, where on Linux booleans and numbers are both `NSNumber`.
public enum JSONNumbers {
    /// Whether `v` is a JSON `true`/`false` (not a number).
    public static func isBool(_ v: Any) -> Bool {
        #if canImport(Darwin)
            if let n = v as? NSNumber { return CFGetTypeID(n) == CFBooleanGetTypeID() }
            return v is Bool
        #else
            if let n = v as? NSNumber { return String(cString: n.objCType) == "c" }
            return v is Bool
        #endif
    }

    /// The number `v` holds, or nil for anything else (booleans included).
    public static func number(_ v: Any?) -> Double? {
        guard let v, !isBool(v) else { return nil }
        if let n = v as? NSNumber { return n.doubleValue }
        if let d = v as? Double { return d }
        if let i = v as? Int { return Double(i) }
        return nil
    }

    /// The integer `v` holds exactly, or nil.
    public static func integer(_ v: Any?) -> Int? {
        guard let d = number(v), d.rounded() == d, abs(d) < 1e15 else { return nil }
        return Int(d)
    }
}
