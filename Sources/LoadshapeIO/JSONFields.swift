import Foundation
import LoadshapeWorkload

/// Reads fields of one JSON object, naming the file and the field path in every error, and rejecting unknown keys.
public struct JSONFields {
    public let file: String
    public let path: String
    let object: [String: Any]
    private var used: Set<String> = []

    public init(file: String, path: String = "", object: [String: Any]) {
        self.file = file
        self.path = path
        self.object = object
    }

    /// Parses `data` as a JSON object.
    public static func parse(_ data: Data, file: String) throws(IOError) -> JSONFields {
        let root: Any
        do {
            root = try JSONSerialization.jsonObject(with: data)
        } catch {
            throw syntaxError(error, data: data, file: file)
        }
        guard let o = root as? [String: Any] else { throw IOError("\(file): expected a JSON object at the top level") }
        return JSONFields(file: file, object: o)
    }

    /// A JSON syntax error as `file:line: not valid JSON (…)`, with the line and column of the character
    /// Foundation names (its messages say "around character N", a 0-based UTF-8 offset), else `file: …`.
    public static func syntaxError(_ error: any Error, data: Data, file: String) -> IOError {
        let detail = ((error as NSError).userInfo[NSDebugDescriptionErrorKey] as? String) ?? error.localizedDescription
        if let r = detail.range(of: "character "),
            let offset = Int(detail[r.upperBound...].prefix(while: { $0.isNumber }))
        {
            var line = 1
            var column = 1
            for b in data.prefix(offset) {
                if b == 0x0A {
                    line += 1
                    column = 1
                } else {
                    column += 1
                }
            }
            return IOError("\(file):\(line): not valid JSON at column \(column) (\(detail))")
        }
        return IOError("\(file): not valid JSON (\(detail))")
    }

    public static func load(_ file: String) throws(IOError) -> JSONFields {
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: file))
        } catch {
            throw IOError("\(file): cannot read the file (\(error.localizedDescription))")
        }
        return try parse(data, file: file)
    }

    func name(_ key: String) -> String { path.isEmpty ? key : "\(path).\(key)" }

    public func fail(_ key: String, _ why: String) -> IOError { IOError("\(file): field '\(name(key))': \(why)") }

    public func has(_ key: String) -> Bool { object[key] != nil && !(object[key] is NSNull) }

    public var keys: [String] { object.keys.sorted() }

    public mutating func double(_ key: String, min: Double? = nil, max: Double? = nil, above: Double? = nil)
        throws(IOError) -> Double
    {
        guard let v = object[key] else { throw fail(key, "missing (a number is required)") }
        used.insert(key)
        guard let d = Self.number(v), d.isFinite else { throw fail(key, "expected a finite number, got \(Self.show(v))") }
        if let lo = min, d < lo { throw fail(key, "must be ≥ \(lo), got \(d)") }
        if let hi = max, d > hi { throw fail(key, "must be ≤ \(hi), got \(d)") }
        if let a = above, d <= a { throw fail(key, "must be > \(a), got \(d)") }
        return d
    }

    public mutating func optionalDouble(_ key: String, min: Double? = nil, max: Double? = nil) throws(IOError)
        -> Double?
    {
        guard has(key) else {
            used.insert(key)
            return nil
        }
        return try double(key, min: min, max: max)
    }

    public mutating func int(_ key: String, min: Int? = nil, max: Int? = nil) throws(IOError) -> Int {
        guard let v = object[key] else { throw fail(key, "missing (an integer is required)") }
        used.insert(key)
        guard let d = Self.number(v), d.rounded() == d, abs(d) < 1e15 else {
            throw fail(key, "expected an integer, got \(Self.show(v))")
        }
        let i = Int(d)
        if let lo = min, i < lo { throw fail(key, "must be ≥ \(lo), got \(i)") }
        if let hi = max, i > hi { throw fail(key, "must be ≤ \(hi), got \(i)") }
        return i
    }

    public mutating func optionalInt(_ key: String, min: Int? = nil, max: Int? = nil, default value: Int)
        throws(IOError) -> Int
    {
        guard has(key) else {
            used.insert(key)
            return value
        }
        return try int(key, min: min, max: max)
    }

    public mutating func string(_ key: String, allowed: [String]? = nil) throws(IOError) -> String {
        guard let v = object[key] else { throw fail(key, "missing (a string is required)") }
        used.insert(key)
        guard let s = v as? String else { throw fail(key, "expected a string, got \(Self.show(v))") }
        if let a = allowed, !a.contains(s) { throw fail(key, "must be one of \(a.joined(separator: ", ")), got '\(s)'") }
        return s
    }

    public mutating func bool(_ key: String, default value: Bool) throws(IOError) -> Bool {
        used.insert(key)
        guard let v = object[key] else { return value }
        if let b = v as? Bool, Self.isBool(v) { return b }
        throw fail(key, "expected true or false, got \(Self.show(v))")
    }

    public mutating func strings(_ key: String, default value: [String]? = nil) throws(IOError) -> [String] {
        guard let v = object[key] else {
            if let d = value {
                used.insert(key)
                return d
            }
            throw fail(key, "missing (a list of strings is required)")
        }
        used.insert(key)
        guard let l = v as? [Any] else { throw fail(key, "expected a list of strings") }
        var out: [String] = []
        for (i, e) in l.enumerated() {
            guard let s = e as? String else { throw fail("\(key)[\(i)]", "expected a string, got \(Self.show(e))") }
            out.append(s)
        }
        return out
    }

    public mutating func ints(_ key: String) throws(IOError) -> [Int] {
        guard let v = object[key] else { throw fail(key, "missing (a list of integers is required)") }
        used.insert(key)
        guard let l = v as? [Any] else { throw fail(key, "expected a list of integers") }
        var out: [Int] = []
        for (i, e) in l.enumerated() {
            guard let d = Self.number(e), d.rounded() == d, abs(d) < 1e15 else {
                throw fail("\(key)[\(i)]", "expected an integer, got \(Self.show(e))")
            }
            out.append(Int(d))
        }
        return out
    }

    public mutating func doubles(_ key: String) throws(IOError) -> [Double] {
        guard let v = object[key] else { throw fail(key, "missing (a list of numbers is required)") }
        used.insert(key)
        guard let l = v as? [Any] else { throw fail(key, "expected a list of numbers") }
        var out: [Double] = []
        for (i, e) in l.enumerated() {
            guard let d = Self.number(e), d.isFinite else {
                throw fail("\(key)[\(i)]", "expected a finite number, got \(Self.show(e))")
            }
            out.append(d)
        }
        return out
    }

    public mutating func object(_ key: String) throws(IOError) -> JSONFields {
        guard let v = object[key] else { throw fail(key, "missing (an object is required)") }
        used.insert(key)
        guard let o = v as? [String: Any] else { throw fail(key, "expected an object, got \(Self.show(v))") }
        return JSONFields(file: file, path: name(key), object: o)
    }

    /// A list of objects, each named `key[i]` in errors.
    public mutating func objects(_ key: String) throws(IOError) -> [JSONFields] {
        guard let v = object[key] else { throw fail(key, "missing (a list of objects is required)") }
        used.insert(key)
        guard let l = v as? [Any] else { throw fail(key, "expected a list of objects, got \(Self.show(v))") }
        var out: [JSONFields] = []
        for (i, e) in l.enumerated() {
            guard let o = e as? [String: Any] else { throw fail("\(key)[\(i)]", "expected an object, got \(Self.show(e))") }
            out.append(JSONFields(file: file, path: name("\(key)[\(i)]"), object: o))
        }
        return out
    }

    /// A string if present (nil when missing or null).
    public mutating func optionalString(_ key: String) throws(IOError) -> String? {
        guard has(key) else {
            used.insert(key)
            return nil
        }
        return try string(key)
    }

    public mutating func optionalObject(_ key: String) throws(IOError) -> JSONFields? {
        guard has(key) else {
            used.insert(key)
            return nil
        }
        return try object(key)
    }

    /// The raw value (for provenance blocks copied into manifests).
    public mutating func raw(_ key: String) -> Any? {
        used.insert(key)
        return object[key]
    }

    /// Fails on any key that was never read.
    public func finish() throws(IOError) {
        if let unknown = object.keys.sorted().first(where: { !used.contains($0) }) {
            throw IOError("\(file): unknown field '\(name(unknown))' (known here: \(used.sorted().joined(separator: ", ")))")
        }
    }

    static func isBool(_ v: Any) -> Bool { JSONNumbers.isBool(v) }

    static func number(_ v: Any) -> Double? { JSONNumbers.number(v) }

    static func show(_ v: Any) -> String {
        if v is NSNull { return "null" }
        if let s = v as? String { return "'\(s)'" }
        if isBool(v) { return "\(v)" }
        if v is [Any] { return "a list" }
        if v is [String: Any] { return "an object" }
        return "\(v)"
    }
}
