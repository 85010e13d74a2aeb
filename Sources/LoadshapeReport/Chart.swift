import Foundation

/// Colour-blind-safe series colours (Okabe–Ito), in the order series take them.
public enum Palette {
    public static let colors = ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000", "#999999"]
    public static func color(_ i: Int) -> String { colors[((i % colors.count) + colors.count) % colors.count] }
}

/// An x–y chart drawn as one inline SVG element: lines (with a min–max envelope when a series has more points
/// than the plot has pixel columns), steps (CDFs), points, shaded bands, and labelled reference lines.
public struct Chart: Sendable {
    public enum Axis: Sendable { case linear, log, timeUTC }
    public enum Style: Sendable { case line, step, points, linePoints }

    /// A shaded range under a series, e.g. the lowest to highest rack at each time.
    public struct Band: Sendable {
        public var lower: [Double]
        public var upper: [Double]
        public var name: String
        public init(lower: [Double], upper: [Double], name: String) {
            self.lower = lower
            self.upper = upper
            self.name = name
        }
    }

    public struct Series: Sendable {
        public var name: String
        public var x: [Double]
        public var y: [Double]
        public var color: String
        public var style: Style
        public var dashed: Bool
        public var band: Band?
        /// Stroke width, px.
        public var lineWidth = 1.6

        public init(
            _ name: String, x: [Double], y: [Double], color: String, style: Style = .line, dashed: Bool = false,
            band: Band? = nil
        ) {
            self.name = name
            self.x = x
            self.y = y
            self.color = color
            self.style = style
            self.dashed = dashed
            self.band = band
        }
    }

    /// A labelled horizontal (at a y value) or vertical (at an x value) reference line.
    public struct Marker: Sendable {
        public enum Kind: Sendable { case horizontal, vertical }
        public var kind: Kind
        public var value: Double
        public var label: String
        public var color: String
        public init(_ kind: Kind, _ value: Double, label: String, color: String = "#444444") {
            self.kind = kind
            self.value = value
            self.label = label
            self.color = color
        }
    }

    public var title: String
    public var xLabel: String
    public var yLabel: String
    public var xAxis: Axis
    public var yAxis: Axis = .linear
    public var series: [Series] = []
    public var markers: [Marker] = []
    /// Extend the y range down (or up) to 0.
    public var yIncludesZero = false
    public var xRange: ClosedRange<Double>?
    public var yRange: ClosedRange<Double>?
    public var width = 1200.0
    public var height = 400.0

    public init(title: String, xLabel: String, yLabel: String, xAxis: Axis = .linear) {
        self.title = title
        self.xLabel = xLabel
        self.yLabel = yLabel
        self.xAxis = xAxis
    }

    public mutating func add(_ s: Series) { series.append(s) }

    static let left = 84.0
    static let right = 28.0
    static let bottom = 64.0

    /// The SVG element; `id` must be unique in the page (it names the clip path).
    public func svg(id: String) -> String {
        var legend: [(String, String, LegendMark)] = series.map { ($0.name, $0.color, $0.style == .points ? .dot : ($0.dashed ? .dash : .line)) }
        for s in series { if let b = s.band { legend.append((b.name, s.color, .shade)) } }
        let plotLeft = Self.left
        let plotRight = width - Self.right
        let plotWidth = plotRight - plotLeft
        let columns = Int(plotWidth)
        let enveloped = series.contains { ($0.style == .line || $0.style == .step) && $0.x.count > columns && $0.band == nil }
        if enveloped {
            legend.append(("shaded: min–max of the points in each pixel column; line: their mean", "#777777", .shade))
        }
        let legendRows = Self.layoutLegend(legend.map(\.0), width: plotWidth)
        let plotTop = 40.0 + Double(legendRows.count) * 18 + 10
        let plotBottom = height - Self.bottom
        var out = ""
        out += "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"chart\" viewBox=\"0 0 \(Markup.coord(width)) \(Markup.coord(height))\" role=\"img\" aria-labelledby=\"\(id)-t\">"
        out += "<title id=\"\(id)-t\">\(Markup.escape(title))</title>"
        out += "<rect x=\"0\" y=\"0\" width=\"\(Markup.coord(width))\" height=\"\(Markup.coord(height))\" fill=\"#ffffff\"/>"
        out += "<text x=\"\(Markup.coord(plotLeft))\" y=\"24\" font-size=\"16\" font-weight=\"600\">\(Markup.escape(title))</text>"
        out += Self.legendSVG(legend, rows: legendRows, left: plotLeft, top: 40)

        guard let (xs, ys) = ranges(), xs.upperBound > xs.lowerBound, ys.upperBound > ys.lowerBound else {
            out += "<text x=\"\(Markup.coord(width / 2))\" y=\"\(Markup.coord((plotTop + plotBottom) / 2))\" text-anchor=\"middle\" fill=\"#777\">no data</text></svg>"
            return out
        }
        let sx = Scale(lo: xs.lowerBound, hi: xs.upperBound, from: plotLeft, to: plotRight, log: xAxis == .log)
        let sy = Scale(lo: ys.lowerBound, hi: ys.upperBound, from: plotBottom, to: plotTop, log: yAxis == .log)
        out += axesSVG(sx: sx, sy: sy, top: plotTop, bottom: plotBottom, left: plotLeft, right: plotRight)
        out += "<clipPath id=\"\(id)-c\"><rect x=\"\(Markup.coord(plotLeft))\" y=\"\(Markup.coord(plotTop))\" width=\"\(Markup.coord(plotWidth))\" height=\"\(Markup.coord(plotBottom - plotTop))\"/></clipPath>"
        out += "<g clip-path=\"url(#\(id)-c)\">"
        for s in series { out += seriesSVG(s, sx: sx, sy: sy, x0: xs.lowerBound, x1: xs.upperBound, columns: columns) }
        out += "</g>"
        for m in markers { out += markerSVG(m, sx: sx, sy: sy, top: plotTop, bottom: plotBottom, left: plotLeft, right: plotRight) }
        out += "<rect x=\"\(Markup.coord(plotLeft))\" y=\"\(Markup.coord(plotTop))\" width=\"\(Markup.coord(plotWidth))\" height=\"\(Markup.coord(plotBottom - plotTop))\" fill=\"none\" stroke=\"#333\" stroke-width=\"1\"/>"
        out += "</svg>"
        return out
    }

    /// The data ranges (with the markers), padded, or nil when there is nothing to draw.
    func ranges() -> (ClosedRange<Double>, ClosedRange<Double>)? {
        var x0 = Double.infinity
        var x1 = -Double.infinity
        var y0 = Double.infinity
        var y1 = -Double.infinity
        func okX(_ v: Double) -> Bool { v.isFinite && (xAxis != .log || v > 0) }
        func okY(_ v: Double) -> Bool { v.isFinite && (yAxis != .log || v > 0) }
        for s in series {
            let n = min(s.x.count, s.y.count)
            for i in 0..<n where okX(s.x[i]) {
                if okY(s.y[i]) {
                    y0 = min(y0, s.y[i])
                    y1 = max(y1, s.y[i])
                }
                if let b = s.band {
                    if i < b.lower.count, okY(b.lower[i]) { y0 = min(y0, b.lower[i]) }
                    if i < b.upper.count, okY(b.upper[i]) { y1 = max(y1, b.upper[i]) }
                }
                x0 = min(x0, s.x[i])
                x1 = max(x1, s.x[i])
            }
        }
        for m in markers {
            switch m.kind {
            case .horizontal where okY(m.value):
                y0 = min(y0, m.value)
                y1 = max(y1, m.value)
            case .vertical where okX(m.value):
                x0 = min(x0, m.value)
                x1 = max(x1, m.value)
            default: break
            }
        }
        guard x0.isFinite, x1.isFinite, y0.isFinite, y1.isFinite else { return nil }
        if let r = xRange { (x0, x1) = (r.lowerBound, r.upperBound) }
        if x1 == x0 { (x0, x1) = xAxis == .log ? (x0 / 2, x1 * 2) : (x0 - 1, x1 + 1) }
        if xAxis == .log || series.contains(where: { $0.style == .points || $0.style == .linePoints }) {
            if xAxis == .log {
                x0 /= 1.35
                x1 *= 1.35
            } else if xRange == nil {
                let pad = 0.03 * (x1 - x0)
                x0 -= pad
                x1 += pad
            }
        }
        if let r = yRange { return (x0...x1, r) }
        if yIncludesZero && yAxis != .log {
            y0 = min(y0, 0)
            y1 = max(y1, 0)
        }
        if y1 == y0 { (y0, y1) = yAxis == .log ? (y0 / 2, y1 * 2) : (y0 - max(abs(y0) * 0.1, 1), y1 + max(abs(y1) * 0.1, 1)) }
        if yAxis == .log {
            y0 /= 1.25
            y1 *= 1.25
        } else {
            let pad = 0.06 * (y1 - y0)
            if !(yIncludesZero && y0 == 0) { y0 -= pad }
            y1 += pad
        }
        return (x0...x1, y0...y1)
    }

    func axesSVG(sx: Scale, sy: Scale, top: Double, bottom: Double, left: Double, right: Double) -> String {
        var out = "<g class=\"axes\" font-size=\"12\" fill=\"#222\">"
        // y ticks and grid
        let yTicks: [(Double, String)]
        if yAxis == .log {
            yTicks = Ticks.log(sy.lo, sy.hi).map { ($0, Ticks.logLabel($0)) }
        } else {
            let step = Ticks.linearStep(sy.lo, sy.hi)
            yTicks = Ticks.linear(sy.lo, sy.hi).map { ($0, Ticks.label($0, step: step)) }
        }
        for (v, text) in yTicks {
            let y = Markup.coord(sy(v))
            out += "<line x1=\"\(Markup.coord(left))\" x2=\"\(Markup.coord(right))\" y1=\"\(y)\" y2=\"\(y)\" stroke=\"#e3e3e3\"/>"
            out += "<text x=\"\(Markup.coord(left - 6))\" y=\"\(y)\" dy=\"4\" text-anchor=\"end\">\(Markup.escape(text))</text>"
        }
        // x ticks and grid
        var xTicks: [(Double, [String])] = []
        switch xAxis {
        case .log: xTicks = Ticks.log(sx.lo, sx.hi).map { ($0, [Ticks.logLabel($0)]) }
        case .linear:
            let step = Ticks.linearStep(sx.lo, sx.hi, target: 8)
            xTicks = Ticks.linear(sx.lo, sx.hi, target: 8).map { ($0, [Ticks.label($0, step: step)]) }
        case .timeUTC:
            let (ticks, step) = Ticks.time(sx.lo, sx.hi)
            xTicks = ticks.enumerated().map { ($1, Ticks.timeLabel($1, stepMs: step, first: $0 == 0)) }
        }
        for (v, lines) in xTicks {
            let px = sx(v)
            let x = Markup.coord(px)
            // Labels at the plot's edges are anchored inside the figure, never cut off.
            let anchor = px > right - 30 ? "end" : (px < left + 10 && lines.count > 1 ? "start" : "middle")
            out += "<line x1=\"\(x)\" x2=\"\(x)\" y1=\"\(Markup.coord(top))\" y2=\"\(Markup.coord(bottom))\" stroke=\"#eeeeee\"/>"
            out += "<line x1=\"\(x)\" x2=\"\(x)\" y1=\"\(Markup.coord(bottom))\" y2=\"\(Markup.coord(bottom + 5))\" stroke=\"#333\"/>"
            for (k, line) in lines.enumerated() {
                out += "<text x=\"\(x)\" y=\"\(Markup.coord(bottom + 18 + 14 * Double(k)))\" text-anchor=\"\(anchor)\"\(k > 0 ? " fill=\"#666\"" : "")>\(Markup.escape(line))</text>"
            }
        }
        out += "<text x=\"\(Markup.coord((left + right) / 2))\" y=\"\(Markup.coord(height - 8))\" text-anchor=\"middle\" font-size=\"13\">\(Markup.escape(xLabel))</text>"
        let mid = Markup.coord((top + bottom) / 2)
        out += "<text transform=\"translate(18 \(mid)) rotate(-90)\" text-anchor=\"middle\" font-size=\"13\">\(Markup.escape(yLabel))</text>"
        return out + "</g>"
    }

    func seriesSVG(_ s: Series, sx: Scale, sy: Scale, x0: Double, x1: Double, columns: Int) -> String {
        var out = ""
        let n = min(s.x.count, s.y.count)
        let dash = s.dashed ? " stroke-dasharray=\"6 4\"" : ""
        let long = n > columns
        if let b = s.band {
            var e = Envelope()
            if long {
                e = Envelope.columns(x: s.x, y: s.y, lowerY: b.lower, upperY: b.upper, from: x0, to: x1, columns: columns)
            } else {
                for i in 0..<min(n, b.lower.count, b.upper.count)
                where s.x[i].isFinite && b.lower[i].isFinite && b.upper[i].isFinite {
                    e.x.append(s.x[i])
                    e.lower.append(b.lower[i])
                    e.upper.append(b.upper[i])
                    e.mean.append(s.y[i])
                }
            }
            if s.style == .step && !long { e = e.stepped() }
            out += "<path class=\"band\" d=\"\(Self.area(e, sx: sx, sy: sy))\" fill=\"\(s.color)\" fill-opacity=\"0.18\" stroke=\"none\"/>"
        }
        switch s.style {
        case .line where long, .step where long:
            let e = Envelope.columns(x: s.x, y: s.y, from: x0, to: x1, columns: columns)
            if s.band == nil {
                out += "<path class=\"envelope\" d=\"\(Self.area(e, sx: sx, sy: sy))\" fill=\"\(s.color)\" fill-opacity=\"0.28\" stroke=\"none\"/>"
            }
            out += "<path class=\"series\" d=\"\(Self.line(e.x, e.mean, sx: sx, sy: sy))\" fill=\"none\" stroke=\"\(s.color)\" stroke-width=\"\(Markup.coord(s.lineWidth - 0.2))\"\(dash)/>"
        case .line:
            out += "<path class=\"series\" d=\"\(Self.line(s.x, s.y, sx: sx, sy: sy))\" fill=\"none\" stroke=\"\(s.color)\" stroke-width=\"\(Markup.coord(s.lineWidth))\"\(dash)/>"
        case .linePoints:
            out += "<path class=\"series\" d=\"\(Self.line(s.x, s.y, sx: sx, sy: sy))\" fill=\"none\" stroke=\"\(s.color)\" stroke-width=\"\(Markup.coord(s.lineWidth))\"\(dash)/>"
            out += Self.dots(s, sx: sx, sy: sy, radius: 3.5)
        case .points:
            out += Self.dots(s, sx: sx, sy: sy, radius: 3)
        case .step:
            out += "<path class=\"series\" d=\"\(Self.steps(s.x, s.y, sx: sx, sy: sy))\" fill=\"none\" stroke=\"\(s.color)\" stroke-width=\"\(Markup.coord(s.lineWidth))\"\(dash)/>"
        }
        return out
    }

    static func dots(_ s: Series, sx: Scale, sy: Scale, radius: Double) -> String {
        var out = "<g class=\"points\" fill=\"\(s.color)\" fill-opacity=\"0.75\">"
        for i in 0..<min(s.x.count, s.y.count) where s.x[i].isFinite && s.y[i].isFinite {
            out += "<circle cx=\"\(Markup.coord(sx(s.x[i])))\" cy=\"\(Markup.coord(sy(s.y[i])))\" r=\"\(Markup.coord(radius))\"/>"
        }
        return out + "</g>"
    }

    /// A polyline, broken where a value is not finite.
    static func line(_ x: [Double], _ y: [Double], sx: Scale, sy: Scale) -> String {
        var d = ""
        var pen = false
        for i in 0..<min(x.count, y.count) {
            guard x[i].isFinite, y[i].isFinite else {
                pen = false
                continue
            }
            d += (pen ? "L" : "M") + Markup.coord(sx(x[i])) + "," + Markup.coord(sy(y[i]))
            pen = true
        }
        return d
    }

    /// A right-continuous staircase: y[i] from x[i] to x[i+1].
    static func steps(_ x: [Double], _ y: [Double], sx: Scale, sy: Scale) -> String {
        var d = ""
        for i in 0..<min(x.count, y.count) where x[i].isFinite && y[i].isFinite {
            if d.isEmpty {
                d = "M" + Markup.coord(sx(x[i])) + "," + Markup.coord(sy(y[i]))
            } else {
                d += "H" + Markup.coord(sx(x[i])) + "V" + Markup.coord(sy(y[i]))
            }
        }
        return d
    }

    /// The closed area between the envelope's upper and lower values.
    static func area(_ e: Envelope, sx: Scale, sy: Scale) -> String {
        guard !e.x.isEmpty else { return "" }
        var d = ""
        for i in 0..<e.x.count { d += (i == 0 ? "M" : "L") + Markup.coord(sx(e.x[i])) + "," + Markup.coord(sy(e.upper[i])) }
        for i in stride(from: e.x.count - 1, through: 0, by: -1) { d += "L" + Markup.coord(sx(e.x[i])) + "," + Markup.coord(sy(e.lower[i])) }
        return d + "Z"
    }

    func markerSVG(_ m: Marker, sx: Scale, sy: Scale, top: Double, bottom: Double, left: Double, right: Double) -> String {
        let text = Markup.escape(m.label)
        switch m.kind {
        case .horizontal:
            let y = sy(m.value)
            guard y >= top - 0.5, y <= bottom + 0.5 else { return "" }
            return "<line class=\"marker\" x1=\"\(Markup.coord(left))\" x2=\"\(Markup.coord(right))\" y1=\"\(Markup.coord(y))\" y2=\"\(Markup.coord(y))\" stroke=\"\(m.color)\" stroke-width=\"1.2\" stroke-dasharray=\"3 3\"/>"
                + "<text x=\"\(Markup.coord(right - 6))\" y=\"\(Markup.coord(y - 5))\" text-anchor=\"end\" font-size=\"12\" fill=\"\(m.color)\" class=\"halo\">\(text)</text>"
        case .vertical:
            let x = sx(m.value)
            guard x >= left - 0.5, x <= right + 0.5 else { return "" }
            let anchor = x > (left + right) * 0.7 ? "end" : "start"
            let dx = anchor == "end" ? -5.0 : 5.0
            return "<line class=\"marker\" x1=\"\(Markup.coord(x))\" x2=\"\(Markup.coord(x))\" y1=\"\(Markup.coord(top))\" y2=\"\(Markup.coord(bottom))\" stroke=\"\(m.color)\" stroke-width=\"1.2\" stroke-dasharray=\"3 3\"/>"
                + "<text x=\"\(Markup.coord(x + dx))\" y=\"\(Markup.coord(top + 15))\" text-anchor=\"\(anchor)\" font-size=\"12\" fill=\"\(m.color)\" class=\"halo\">\(text)</text>"
        }
    }

    enum LegendMark { case line, dash, dot, shade, box }

    /// Legend entries wrapped into rows that fit `width` (about 6.6 px a character at 12 px).
    static func layoutLegend(_ names: [String], width: Double) -> [[Int]] {
        var rows: [[Int]] = []
        var current: [Int] = []
        var used = 0.0
        for (i, n) in names.enumerated() {
            let w = 42 + 6.6 * Double(n.count)
            if !current.isEmpty && used + w > width {
                rows.append(current)
                current = []
                used = 0
            }
            current.append(i)
            used += w
        }
        if !current.isEmpty { rows.append(current) }
        return rows
    }

    static func legendSVG(_ items: [(String, String, LegendMark)], rows: [[Int]], left: Double, top: Double) -> String {
        var out = "<g class=\"legend\" font-size=\"12\">"
        for (r, row) in rows.enumerated() {
            var x = left
            let y = top + 18 * Double(r)
            for i in row {
                let (name, color, mark) = items[i]
                switch mark {
                case .line, .dash:
                    out += "<line x1=\"\(Markup.coord(x))\" x2=\"\(Markup.coord(x + 22))\" y1=\"\(Markup.coord(y - 4))\" y2=\"\(Markup.coord(y - 4))\" stroke=\"\(color)\" stroke-width=\"2.2\"\(mark == .dash ? " stroke-dasharray=\"6 4\"" : "")/>"
                case .dot:
                    out += "<circle cx=\"\(Markup.coord(x + 11))\" cy=\"\(Markup.coord(y - 4))\" r=\"4\" fill=\"\(color)\"/>"
                case .shade, .box:
                    out += "<rect x=\"\(Markup.coord(x))\" y=\"\(Markup.coord(y - 10))\" width=\"22\" height=\"12\" fill=\"\(color)\" fill-opacity=\"\(mark == .box ? "1" : "0.3")\"/>"
                }
                out += "<text x=\"\(Markup.coord(x + 28))\" y=\"\(Markup.coord(y))\">\(Markup.escape(name))</text>"
                x += 42 + 6.6 * Double(name.count)
            }
        }
        return out + "</g>"
    }
}

extension Chart.Series {
    /// Interval data (a mean over each interval, labelled by its start): `values[i]` holds from `starts[i]` to
    /// `starts[i + 1]`, and the last interval is `width` long, or ends at `until` (a trailing partial interval).
    /// Drawn as a staircase, or as an envelope when long.
    public static func intervals(
        _ name: String, starts: [Double], values: [Double], width: Double, until: Double? = nil, color: String,
        dashed: Bool = false, band: Chart.Band? = nil
    ) -> Chart.Series {
        var x = starts
        var y = values
        var b = band
        if let last = x.last, let v = y.last {
            x.append(min(last + width, max(until ?? .infinity, last)))
            y.append(v)
            if let lo = b?.lower.last, let hi = b?.upper.last {
                b?.lower.append(lo)
                b?.upper.append(hi)
            }
        }
        return Chart.Series(name, x: x, y: y, color: color, style: .step, dashed: dashed, band: b)
    }
}
