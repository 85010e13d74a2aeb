import LoadshapeCore

/// Fast ISO-8601 UTC timestamps with milliseconds (`2024-05-16T00:00:00.250Z`), for interval-start labels.
public enum UTCTimestamp {
    /// Formats `epochMillis` (ms since 1970-01-01T00:00:00Z, may be negative).
    public static func format(epochMillis: Int64) -> String {
        var days = epochMillis >= 0 ? epochMillis / 86_400_000 : (epochMillis - 86_399_999) / 86_400_000
        let msOfDay = epochMillis - days * 86_400_000
        // Civil-from-days (H. Hinnant).
        days += 719_468
        let era = (days >= 0 ? days : days - 146_096) / 146_097
        let doe = days - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365
        var y = yoe + era * 400
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        if m <= 2 { y += 1 }
        let h = msOfDay / 3_600_000
        let mi = (msOfDay / 60_000) % 60
        let s = (msOfDay / 1000) % 60
        let ms = msOfDay % 1000
        func pad(_ v: Int64, _ w: Int) -> String {
            let t = String(v)
            return t.count >= w ? t : String(repeating: "0", count: w - t.count) + t
        }
        return "\(pad(y, 4))-\(pad(m, 2))-\(pad(d, 2))T\(pad(h, 2)):\(pad(mi, 2)):\(pad(s, 2)).\(pad(ms, 3))Z"
    }

    /// Parses `YYYY-MM-DDTHH:MM:SS[.fff]Z` (or `+00:00`) to epoch milliseconds.
    public static func parse(_ text: String) -> Int64? {
        let u = Array(text.utf8)
        func num(_ a: Int, _ n: Int) -> Int64? {
            guard a + n <= u.count else { return nil }
            var v: Int64 = 0
            for i in a..<(a + n) {
                guard u[i] >= 48 && u[i] <= 57 else { return nil }
                v = v * 10 + Int64(u[i] - 48)
            }
            return v
        }
        guard u.count >= 10, let y = num(0, 4), u[4] == 45, let mo = num(5, 2), u[7] == 45, let d = num(8, 2),
            (1...12).contains(mo), (1...31).contains(d)
        else { return nil }
        var h: Int64 = 0
        var mi: Int64 = 0
        var s: Int64 = 0
        var ms: Int64 = 0
        var i = 10
        if u.count > 10 {
            guard u[10] == 84 || u[10] == 32, let hh = num(11, 2), u.count > 13, u[13] == 58, let mm = num(14, 2) else {
                return nil
            }
            h = hh
            mi = mm
            i = 16
            if i < u.count && u[i] == 58 {
                guard let ss = num(17, 2) else { return nil }
                s = ss
                i = 19
                if i < u.count && u[i] == 46 {
                    var j = i + 1
                    var frac: Int64 = 0
                    var digits = 0
                    while j < u.count && u[j] >= 48 && u[j] <= 57 {
                        if digits < 3 {
                            frac = frac * 10 + Int64(u[j] - 48)
                            digits += 1
                        }
                        j += 1
                    }
                    while digits < 3 {
                        frac *= 10
                        digits += 1
                    }
                    ms = frac
                    i = j
                }
            }
            guard h < 24, mi < 60, s < 61 else { return nil }
        }
        let rest = String(decoding: u[i...], as: UTF8.self)
        guard rest == "" || rest == "Z" || rest == "+00:00" else { return nil }
        let days = Int64(CivilCalendar.daysFromCivil(year: Int(y), month: Int(mo), day: Int(d)))
        return ((days * 24 + h) * 60 + mi) * 60_000 + s * 1000 + ms
    }
}
