import Foundation
import LoadshapeIO
import Yams

/// Reads one YAML mapping, naming the file, line and key in every error and rejecting unknown keys.
struct YAMLFields {
    let file: String
    let path: String
    let node: Node
    let pairs: [(String, Node)]
    private var used: Set<String> = []

    init(file: String, path: String, node: Node) throws(IOError) {
        self.file = file
        self.path = path
        self.node = node
        guard let m = node.mapping else {
            throw IOError("\(file):\(Self.line(node)): '\(path.isEmpty ? "top level" : path)' must be a mapping of keys")
        }
        var ps: [(String, Node)] = []
        for (k, v) in m {
            guard let s = k.scalar?.string else { throw IOError("\(file):\(Self.line(k)): keys must be plain strings") }
            if ps.contains(where: { $0.0 == s }) { throw IOError("\(file):\(Self.line(k)): key '\(s)' appears twice") }
            ps.append((s, v))
        }
        pairs = ps
    }

    static func load(_ file: String) throws(IOError) -> YAMLFields {
        let text: String
        do { text = try String(contentsOfFile: file, encoding: .utf8) } catch {
            throw IOError(
                "\(file): cannot read the file (\(error.localizedDescription)); give a study spec such as Configs/sites/paper-site.yaml (format: docs/site-spec.md)")
        }
        return try parse(text, file: file)
    }

    static func parse(_ text: String, file: String) throws(IOError) -> YAMLFields {
        let root: Node?
        do { root = try Yams.compose(yaml: text) } catch {
            throw IOError("\(file): not valid YAML (\(error))")
        }
        guard let r = root else { throw IOError("\(file): empty document") }
        return try YAMLFields(file: file, path: "", node: r)
    }

    static func line(_ n: Node) -> String { n.mark.map { String($0.line) } ?? "?" }

    func name(_ key: String) -> String { path.isEmpty ? key : "\(path).\(key)" }

    func value(_ key: String) -> Node? { pairs.first { $0.0 == key }?.1 }

    func fail(_ key: String, _ why: String) -> IOError {
        let n = value(key) ?? node
        return IOError("\(file):\(Self.line(n)): '\(name(key))': \(why)")
    }

    func has(_ key: String) -> Bool { value(key) != nil }

    func isList(_ key: String) -> Bool { value(key)?.sequence != nil }

    func isMapping(_ key: String) -> Bool { value(key)?.mapping != nil }

    mutating func take(_ key: String) -> Node? {
        used.insert(key)
        return value(key)
    }

    mutating func string(_ key: String, default d: String? = nil) throws(IOError) -> String {
        guard let v = take(key) else {
            if let d { return d }
            throw IOError("\(file):\(Self.line(node)): '\(name(key))' is missing")
        }
        guard let s = v.scalar?.string, !s.isEmpty else { throw fail(key, "expected a text value") }
        return s
    }

    mutating func double(_ key: String, default d: Double? = nil, min: Double? = nil, above: Double? = nil, max: Double? = nil)
        throws(IOError) -> Double
    {
        guard let v = take(key) else {
            if let d { return d }
            throw IOError("\(file):\(Self.line(node)): '\(name(key))' is missing (a number is required)")
        }
        guard let s = v.scalar?.string, let x = Double(s), x.isFinite else {
            throw fail(key, "expected a number, got '\(v.scalar?.string ?? "a list or mapping")'")
        }
        if let lo = min, x < lo { throw fail(key, "must be ≥ \(lo), got \(x)") }
        if let a = above, x <= a { throw fail(key, "must be > \(a), got \(x)") }
        if let hi = max, x > hi { throw fail(key, "must be ≤ \(hi), got \(x)") }
        return x
    }

    mutating func optionalDouble(_ key: String, min: Double? = nil, above: Double? = nil) throws(IOError) -> Double? {
        guard has(key) else {
            used.insert(key)
            return nil
        }
        return try double(key, min: min, above: above)
    }

    mutating func int(_ key: String, default d: Int? = nil, min: Int? = nil, max: Int? = nil) throws(IOError) -> Int {
        guard let v = take(key) else {
            if let d { return d }
            throw IOError("\(file):\(Self.line(node)): '\(name(key))' is missing (an integer is required)")
        }
        guard let s = v.scalar?.string, let x = Int(s) else {
            throw fail(key, "expected an integer, got '\(v.scalar?.string ?? "a list or mapping")'")
        }
        if let lo = min, x < lo { throw fail(key, "must be ≥ \(lo), got \(x)") }
        if let hi = max, x > hi { throw fail(key, "must be ≤ \(hi), got \(x)") }
        return x
    }

    mutating func doubles(_ key: String) throws(IOError) -> [Double] {
        guard let v = take(key), let seq = v.sequence else { throw fail(key, "expected a list of numbers") }
        var out: [Double] = []
        for (i, e) in seq.enumerated() {
            guard let s = e.scalar?.string, let x = Double(s), x.isFinite else {
                throw IOError("\(file):\(Self.line(e)): '\(name(key))[\(i)]': expected a number")
            }
            out.append(x)
        }
        return out
    }

    mutating func strings(_ key: String, default d: [String]) throws(IOError) -> [String] {
        guard let v = take(key) else { return d }
        guard let seq = v.sequence else { throw fail(key, "expected a list") }
        var out: [String] = []
        for (i, e) in seq.enumerated() {
            guard let s = e.scalar?.string else {
                throw IOError("\(file):\(Self.line(e)): '\(name(key))[\(i)]': expected a text value")
            }
            out.append(s)
        }
        return out
    }

    mutating func object(_ key: String) throws(IOError) -> YAMLFields? {
        guard let v = take(key) else { return nil }
        return try YAMLFields(file: file, path: name(key), node: v)
    }

    mutating func list(_ key: String) throws(IOError) -> [YAMLFields] {
        guard let v = take(key) else { throw IOError("\(file):\(Self.line(node)): '\(name(key))' is missing (a list is required)") }
        guard let seq = v.sequence, !seq.isEmpty else { throw fail(key, "expected a non-empty list") }
        var out: [YAMLFields] = []
        for (i, e) in seq.enumerated() { out.append(try YAMLFields(file: file, path: "\(name(key))[\(i)]", node: e)) }
        return out
    }

    func finish() throws(IOError) {
        for (k, v) in pairs where !used.contains(k) {
            throw IOError(
                "\(file):\(Self.line(v)): unknown key '\(name(k))' (known here: \(used.sorted().joined(separator: ", ")))")
        }
    }
}
