import Foundation
import LoadshapeCore
import LoadshapeIO
import LoadshapeWorkload

/// One GPU's power samples from an nvidia-smi log, in file order (non-decreasing time).
public struct GPUPowerSeries: Sendable, Equatable {
    public var uuid: String
    /// nvidia-smi's device index on its node.
    public var index: Int
    /// Sample times, Unix epoch s.
    public var epochS: [Double]
    /// `power.draw`, W.
    public var watts: [Double]
    /// Rows of this GPU whose `power.draw` was `[N/A]` (left out of the series).
    public var unavailableSamples: Int

    public init(uuid: String, index: Int, epochS: [Double] = [], watts: [Double] = [], unavailableSamples: Int = 0) {
        self.uuid = uuid
        self.index = index
        self.epochS = epochS
        self.watts = watts
        self.unavailableSamples = unavailableSamples
    }

    public var count: Int { epochS.count }
    public var startEpochS: Double? { epochS.first }
    public var endEpochS: Double? { epochS.last }
}

/// All GPUs of one nvidia-smi log, in order of first appearance.
public struct NvidiaSmiTrace: Sendable, Equatable {
    public var file: String
    public var gpus: [GPUPowerSeries]
    /// Data rows read (one per GPU per sample).
    public var rows: Int

    public init(file: String, gpus: [GPUPowerSeries], rows: Int) {
        self.file = file
        self.gpus = gpus
        self.rows = rows
    }

    public func series(uuid: String) -> GPUPowerSeries? { gpus.first { $0.uuid == uuid } }
    public func series(index: Int) -> GPUPowerSeries? { gpus.first { $0.index == index } }
}

/// Reads `nvidia-smi --query-gpu=timestamp,index,uuid,power.draw,… --format=csv[,nounits]` logs.
///
/// - The header names the columns; `timestamp`, `index`, `uuid` and `power.draw` are required, in any order,
///   with or without units in brackets (`power.draw [W]`) and spaces after the commas. Other columns are
///   ignored, but every row must have as many fields as the header.
/// - One row per GPU per sample. `timestamp` is local wall time `YYYY/MM/DD HH:MM:SS[.fff]`, converted with
///   `epoch = naive_time_as_UTC − localUTCOffsetS` (the manifest's `clock.local_utc_offset_s`, e.g. −25200
///   for UTC−7).
/// - Values may carry units (`85.12 W`). A `power.draw` of `[N/A]` drops that sample (counted in
///   ``GPUPowerSeries/unavailableSamples``); a bad value is an error naming `file:line` and the column.
/// - LF or CRLF line ends; blank lines are skipped. Quoted fields are not supported (nvidia-smi writes none).
/// - Each GPU's timestamps must not go backwards.
public enum NvidiaSmiReader {
    public static func read(file: String, localUTCOffsetS: Double) throws(IOError) -> NvidiaSmiTrace {
        try parse(CSVBytes.load(file), localUTCOffsetS: localUTCOffsetS)
    }

    /// Parses log text; `file` names it in errors.
    public static func parse(_ bytes: [UInt8], file: String, localUTCOffsetS: Double) throws(IOError) -> NvidiaSmiTrace
    {
        try parse(CSVBytes(file: file, bytes: bytes), localUTCOffsetS: localUTCOffsetS)
    }

    public static func parse(_ text: String, file: String, localUTCOffsetS: Double) throws(IOError) -> NvidiaSmiTrace {
        try parse(Array(text.utf8), file: file, localUTCOffsetS: localUTCOffsetS)
    }

    static func parse(_ csv: CSVBytes, localUTCOffsetS: Double) throws(IOError) -> NvidiaSmiTrace {
        let file = csv.file
        guard localUTCOffsetS.isFinite, abs(localUTCOffsetS) <= 14 * 3600 else {
            throw IOError("\(file): local UTC offset \(localUTCOffsetS) s is not a time-zone offset")
        }
        var header: [String] = []
        var rawHeader: [String] = []
        var cTime = 0
        var cIndex = 0
        var cUUID = 0
        var cPower = 0
        var fields: [Range<Int>] = []
        fields.reserveCapacity(32)
        var gpus: [GPUPowerSeries] = []
        var rows = 0
        try csv.forEachLine { (lineNo, line) throws(IOError) in
            csv.split(line, into: &fields)
            if header.isEmpty {
                header = fields.map { csv.columnName($0) }
                rawHeader = fields.map { csv.string($0) }
                func column(_ name: String) throws(IOError) -> Int {
                    try CSVBytes.requireColumn(name, in: header, shown: rawHeader, file: file, line: lineNo)
                }
                cTime = try column("timestamp")
                cIndex = try column("index")
                cUUID = try column("uuid")
                cPower = try column("power.draw")
                return
            }
            guard fields.count == header.count else {
                throw IOError(
                    "\(file):\(lineNo): expected \(header.count) fields as in the header, found \(fields.count) (truncated row?)")
            }
            rows += 1
            let uuidRange = fields[cUUID]
            // Look the GPU up without allocating when it is the same as on a previous row.
            let slot: Int
            if let s = gpus.firstIndex(where: { csv.bytes[uuidRange].elementsEqual($0.uuid.utf8) }) {
                slot = s
            } else {
                let uuid = csv.string(uuidRange)
                guard !uuid.isEmpty else { throw IOError("\(file):\(lineNo): column '\(rawHeader[cUUID])' is empty") }
                guard let index = csv.integer(fields[cIndex]) else {
                    throw IOError(
                        "\(file):\(lineNo): column '\(rawHeader[cIndex])': '\(csv.string(fields[cIndex]))' is not a GPU index")
                }
                slot = gpus.count
                gpus.append(GPUPowerSeries(uuid: uuid, index: index))
            }
            guard let naive = parseWallTime(csv, fields[cTime]) else {
                throw IOError(
                    "\(file):\(lineNo): column '\(rawHeader[cTime])': '\(csv.string(fields[cTime]))' is not a time "
                        + "YYYY/MM/DD HH:MM:SS.fff")
            }
            let t = naive - localUTCOffsetS
            let powerRange = fields[cPower]
            if csv.isNotAvailable(powerRange) {
                gpus[slot].unavailableSamples += 1
                return
            }
            guard let w = csv.number(powerRange), w.isFinite, w >= 0 else {
                throw IOError(
                    "\(file):\(lineNo): column '\(rawHeader[cPower])': '\(csv.string(powerRange))' is not a power in W")
            }
            if let last = gpus[slot].epochS.last, t < last {
                throw IOError(
                    "\(file):\(lineNo): column '\(rawHeader[cTime])': time goes backwards for GPU \(gpus[slot].uuid) "
                        + "(\(csv.string(fields[cTime])))")
            }
            gpus[slot].epochS.append(t)
            gpus[slot].watts.append(w)
        }
        if header.isEmpty { throw IOError("\(file): empty file, expected an nvidia-smi CSV header") }
        return NvidiaSmiTrace(file: file, gpus: gpus, rows: rows)
    }

    /// `YYYY/MM/DD HH:MM:SS[.fff…]` (or with `-` between the date parts) as seconds since 1970-01-01 00:00:00,
    /// reading the wall time as if it were UTC.
    static func parseWallTime(_ csv: CSVBytes, _ r: Range<Int>) -> Double? {
        let b = csv.bytes
        guard r.count >= 19 else { return nil }
        let s = r.lowerBound
        func digits(_ at: Int, _ n: Int) -> Int? {
            var v = 0
            for i in at..<(at + n) {
                guard b[i] >= 0x30, b[i] <= 0x39 else { return nil }
                v = v * 10 + Int(b[i] - 0x30)
            }
            return v
        }
        let dateSep = b[s + 4]
        guard dateSep == UInt8(ascii: "/") || dateSep == UInt8(ascii: "-"), b[s + 7] == dateSep,
            b[s + 10] == 0x20 || b[s + 10] == UInt8(ascii: "T"), b[s + 13] == UInt8(ascii: ":"),
            b[s + 16] == UInt8(ascii: ":"),
            let year = digits(s, 4), let month = digits(s + 5, 2), let day = digits(s + 8, 2),
            let hour = digits(s + 11, 2), let minute = digits(s + 14, 2), let second = digits(s + 17, 2),
            (1...12).contains(month), (1...31).contains(day), hour < 24, minute < 60, second < 61
        else { return nil }
        var fraction = 0.0
        if r.count > 19 {
            // At most 9 fraction digits (ns) are read exactly; further digits are ignored.
            guard b[s + 19] == UInt8(ascii: "."), r.count > 20 else { return nil }
            var units = 0
            var scale = 1.0
            for i in (s + 20)..<r.upperBound {
                guard b[i] >= 0x30, b[i] <= 0x39 else { return nil }
                if scale < 1e9 {
                    units = units * 10 + Int(b[i] - 0x30)
                    scale *= 10
                }
            }
            fraction = Double(units) / scale
        }
        let days = CivilCalendar.daysFromCivil(year: year, month: month, day: day)
        return Double(((days * 24 + hour) * 60 + minute) * 60 + second) + fraction
    }

    /// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's `days_from_civil`).

}
