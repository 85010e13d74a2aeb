import Foundation

/// Byte-level CSV scanning shared by every fast reader (request traces, nvidia-smi logs, engine scrapes): unquoted
/// fields only, UTF-8 bytes, LF or CRLF line ends, spaces around fields ignored.
public struct CSVBytes: Sendable {
    public let file: String
    public let bytes: [UInt8]

    public init(file: String, bytes: [UInt8]) {
        self.file = file
        self.bytes = bytes
    }

    /// Calls `body` with each non-blank line's 1-based number and byte range (without the line end).
    public func forEachLine<E: Error>(_ body: (Int, Range<Int>) throws(E) -> Void) throws(E) {
        var lineNo = 0
        var start = 0
        let n = bytes.count
        while start < n {
            lineNo += 1
            var end = start
            while end < n && bytes[end] != 0x0A { end += 1 }
            var stop = end
            if stop > start && bytes[stop - 1] == 0x0D { stop -= 1 }
            if !isBlank(start..<stop) { try body(lineNo, start..<stop) }
            start = end + 1
        }
    }

    private func isBlank(_ r: Range<Int>) -> Bool {
        r.allSatisfy { bytes[$0] == 0x20 || bytes[$0] == 0x09 }
    }

    /// Splits `line` at commas into trimmed field ranges, reusing `fields`.
    public func split(_ line: Range<Int>, into fields: inout [Range<Int>]) {
        fields.removeAll(keepingCapacity: true)
        var s = line.lowerBound
        var i = s
        while i <= line.upperBound {
            if i == line.upperBound || bytes[i] == 0x2C {
                fields.append(trim(s..<i))
                s = i + 1
            }
            i += 1
        }
    }

    public func trim(_ r: Range<Int>) -> Range<Int> {
        var lo = r.lowerBound
        var hi = r.upperBound
        while lo < hi && (bytes[lo] == 0x20 || bytes[lo] == 0x09) { lo += 1 }
        while hi > lo && (bytes[hi - 1] == 0x20 || bytes[hi - 1] == 0x09) { hi -= 1 }
        return lo..<hi
    }

    public func string(_ r: Range<Int>) -> String { String(decoding: bytes[r], as: UTF8.self) }

    /// A header field's name: trimmed, lower-cased, without a trailing unit in brackets (`power.draw [W]` →
    /// `power.draw`).
    public func columnName(_ r: Range<Int>) -> String {
        var name = string(r).lowercased()
        if name.hasSuffix("]"), let open = name.lastIndex(of: "[") {
            name = String(name[..<open])
        }
        return name.trimmingCharacters(in: .whitespaces)
    }

    /// Whether the field says the value is unavailable: `[N/A]`, `N/A`, `[Not Supported]`, `[Unknown Error]`.
    public func isNotAvailable(_ r: Range<Int>) -> Bool {
        guard let first = r.first else { return false }
        if bytes[first] == UInt8(ascii: "[") { return true }
        return r.count == 3 && bytes[first] == UInt8(ascii: "N") && bytes[first + 1] == UInt8(ascii: "/")
    }

    /// A decimal number, optionally followed by a unit (`85.12`, `85.12 W`, `1410 MHz`, `7 %`); nil if the
    /// field is anything else.
    ///
    /// Plain decimals with at most 15 significant digits and 22 fraction digits are converted exactly (one
    /// correctly rounded division of two exact doubles, Clinger's fast path); others go through
    /// `Double(String)`.
    public func number(_ r: Range<Int>) -> Double? {
        var i = r.lowerBound
        let end = r.upperBound
        guard i < end else { return nil }
        var negative = false
        if bytes[i] == UInt8(ascii: "-") || bytes[i] == UInt8(ascii: "+") {
            negative = bytes[i] == UInt8(ascii: "-")
            i += 1
        }
        var mantissa: UInt64 = 0
        var digits = 0
        var fraction = 0
        var sawDigit = false
        while i < end, bytes[i] >= 0x30, bytes[i] <= 0x39 {
            if digits > 0 || bytes[i] != 0x30 { digits += 1 }
            if digits <= 18 { mantissa = mantissa &* 10 &+ UInt64(bytes[i] - 0x30) }
            sawDigit = true
            i += 1
        }
        if i < end, bytes[i] == UInt8(ascii: ".") {
            i += 1
            while i < end, bytes[i] >= 0x30, bytes[i] <= 0x39 {
                if digits > 0 || bytes[i] != 0x30 { digits += 1 }
                if digits <= 18 { mantissa = mantissa &* 10 &+ UInt64(bytes[i] - 0x30) }
                fraction += 1
                sawDigit = true
                i += 1
            }
        }
        guard sawDigit else { return nil }
        var hasExponent = false
        if i < end, bytes[i] == UInt8(ascii: "e") || bytes[i] == UInt8(ascii: "E") {
            var j = i + 1
            if j < end, bytes[j] == UInt8(ascii: "-") || bytes[j] == UInt8(ascii: "+") { j += 1 }
            if j < end, bytes[j] >= 0x30, bytes[j] <= 0x39 {
                hasExponent = true
                i = j
                while i < end, bytes[i] >= 0x30, bytes[i] <= 0x39 { i += 1 }
            }
        }
        let numberEnd = i
        // An optional unit: spaces, then letters, '%' or '/'.
        while i < end, bytes[i] == 0x20 { i += 1 }
        while i < end {
            let c = bytes[i]
            let isLetter = (c >= 0x41 && c <= 0x5A) || (c >= 0x61 && c <= 0x7A)
            guard isLetter || c == UInt8(ascii: "%") || c == UInt8(ascii: "/") else { return nil }
            i += 1
        }
        if !hasExponent, digits <= 15, fraction <= 22 {
            let v = Double(mantissa) / Self.powersOfTen[fraction]
            return negative ? -v : v
        }
        return Double(string(r.lowerBound..<numberEnd))
    }

    /// A non-negative integer without a unit.
    public func integer(_ r: Range<Int>) -> Int? {
        guard !r.isEmpty, r.count <= 18 else { return nil }
        var v = 0
        for i in r {
            guard bytes[i] >= 0x30, bytes[i] <= 0x39 else { return nil }
            v = v * 10 + Int(bytes[i] - 0x30)
        }
        return v
    }

    private static let powersOfTen: [Double] = (0...22).map { k in
        var p = 1.0
        for _ in 0..<k { p *= 10 }
        return p
    }
}
