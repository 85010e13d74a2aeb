import Foundation
import LoadshapeIO
import LoadshapeWorkload

/// A CSV table as Loadshape writes it: a header line, then one row per line of numbers, with interval starts as
/// ISO-8601 UTC times in `interval_start_utc` and, in `power.csv` and `requests.csv`, some text columns.
///
/// Reading checks what a plot relies on and names the file and line of anything else: a missing column, a row
/// with the wrong number of fields, a value that is not a number, a time that is not ISO-8601 UTC, interval
/// starts that go backwards, a table without rows.
public struct OutputTable: Sendable {
    public static let timeColumn = "interval_start_utc"

    public let file: String
    /// The header's names, in file order.
    public let header: [String]
    /// The numeric columns read, in the order asked for (or file order).
    public let names: [String]
    public let values: [[Double]]
    /// Interval starts, ms since 1970-01-01T00:00:00Z, when the table has `interval_start_utc`.
    public let timesMs: [Double]?

    public var rows: Int { values.first?.count ?? timesMs?.count ?? 0 }

    /// Reads `path`. `numeric` names the number columns to read (default: every column but the time column);
    /// values in `optional` columns may be empty (read as NaN).
    public static func read(_ path: String, numeric: [String]? = nil, optional: Set<String> = []) throws(IOError)
        -> OutputTable
    {
        let csv = try CSVBytes.load(path)
        var header: [String]?
        var wanted: [Int] = []
        var timeIndex: Int?
        var columns: [[Double]] = []
        var times: [Double] = []
        var fields: [Range<Int>] = []
        var names: [String] = []
        try csv.forEachLine { (lineNo, line) throws(IOError) in
            csv.split(line, into: &fields)
            guard let h = header else {
                let found = fields.map { csv.string($0) }
                if let dup = found.enumerated().first(where: { found[..<$0.offset].contains($0.element) }) {
                    throw IOError("\(path):\(lineNo): column '\(dup.element)' appears twice in the header")
                }
                timeIndex = found.firstIndex(of: timeColumn)
                names = numeric ?? found.filter { $0 != timeColumn }
                for n in names {
                    wanted.append(try CSVBytes.requireColumn(n, in: found, shown: found, file: path, line: lineNo))
                }
                columns = names.map { _ in [] }
                header = found
                return
            }
            guard fields.count == h.count else {
                throw IOError("\(path):\(lineNo): expected \(h.count) fields (as the header has), found \(fields.count)")
            }
            if let t = timeIndex {
                guard let ms = UTCTimestamp.parse(csv.string(fields[t])) else {
                    throw IOError(
                        "\(path):\(lineNo): field '\(timeColumn)': '\(csv.string(fields[t]))' is not an ISO-8601 UTC time (e.g. 2025-01-01T00:00:00.000Z)"
                    )
                }
                if let last = times.last, Double(ms) <= last {
                    throw IOError("\(path):\(lineNo): field '\(timeColumn)': \(csv.string(fields[t])) is not after the row above")
                }
                times.append(Double(ms))
            }
            for (k, i) in wanted.enumerated() {
                let r = fields[i]
                if r.isEmpty && optional.contains(names[k]) {
                    columns[k].append(.nan)
                    continue
                }
                guard let v = csv.number(r), v.isFinite else {
                    throw IOError("\(path):\(lineNo): field '\(names[k])': '\(csv.string(r))' is not a number")
                }
                columns[k].append(v)
            }
        }
        guard let h = header else { throw IOError("\(path): empty file (expected a header line, then rows)") }
        guard !(columns.first?.isEmpty ?? times.isEmpty) else { throw IOError("\(path): no rows after the header") }
        return OutputTable(file: path, header: h, names: names, values: columns, timesMs: timeIndex == nil ? nil : times)
    }

    /// The values of column `name`.
    public func column(_ name: String) throws(IOError) -> [Double] {
        guard let i = names.firstIndex(of: name) else {
            throw IOError("\(file): no column '\(name)' (columns: \(names.joined(separator: ", ")))")
        }
        return values[i]
    }

    /// The interval starts, or an error naming the file when the table has none.
    public func times() throws(IOError) -> [Double] {
        guard let t = timesMs else { throw IOError("\(file):1: header has no '\(Self.timeColumn)' column") }
        return t
    }
}
