import Foundation

/// Horizontal grouped bars (one group per quantity, one bar per method) with the value printed at each bar.
public struct BarChart: Sendable {
    public struct Series: Sendable {
        public var name: String
        public var color: String
        /// One value per group (NaN: no bar).
        public var values: [Double]
        public init(_ name: String, color: String, values: [Double]) {
            self.name = name
            self.color = color
            self.values = values
        }
    }

    public var title: String
    public var valueLabel: String
    public var groups: [String]
    public var series: [Series] = []
    /// Decimals of the printed values.
    public var digits = 0
    public var width = 1200.0

    public init(title: String, valueLabel: String, groups: [String]) {
        self.title = title
        self.valueLabel = valueLabel
        self.groups = groups
    }

    public func svg(id: String) -> String {
        let bar = 18.0
        let gap = 16.0
        let left = 170.0
        let right = width - 110
        let top = 58.0
        let groupHeight = Double(series.count) * bar + gap
        let height = top + Double(groups.count) * groupHeight + 52
        let maxValue = series.flatMap(\.values).filter(\.isFinite).max() ?? 0
        let hi = maxValue > 0 ? maxValue * 1.04 : 1
        let sx = Scale(lo: 0, hi: hi, from: left, to: right, log: false)
        var out = "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"chart\" viewBox=\"0 0 \(Markup.coord(width)) \(Markup.coord(height))\" role=\"img\" aria-labelledby=\"\(id)-t\">"
        out += "<title id=\"\(id)-t\">\(Markup.escape(title))</title>"
        out += "<rect x=\"0\" y=\"0\" width=\"\(Markup.coord(width))\" height=\"\(Markup.coord(height))\" fill=\"#ffffff\"/>"
        out += "<text x=\"\(Markup.coord(left))\" y=\"24\" font-size=\"16\" font-weight=\"600\">\(Markup.escape(title))</text>"
        var legend: [(String, String, Chart.LegendMark)] = []
        for s in series { legend.append((s.name, s.color, .box)) }
        let rows = Chart.layoutLegend(legend.map(\.0), width: right - left)
        out += Chart.legendSVG(legend, rows: [rows.flatMap { $0 }], left: left, top: 44)
        let bottom = height - 52
        let step = Ticks.linearStep(0, hi)
        for t in Ticks.linear(0, hi) {
            let x = Markup.coord(sx(t))
            out += "<line x1=\"\(x)\" x2=\"\(x)\" y1=\"\(Markup.coord(top))\" y2=\"\(Markup.coord(bottom))\" stroke=\"#e3e3e3\"/>"
            out += "<text x=\"\(x)\" y=\"\(Markup.coord(bottom + 18))\" text-anchor=\"middle\" font-size=\"12\">\(Ticks.label(t, step: step))</text>"
        }
        for (g, name) in groups.enumerated() {
            let y0 = top + Double(g) * groupHeight + gap / 2
            out += "<text x=\"\(Markup.coord(left - 10))\" y=\"\(Markup.coord(y0 + Double(series.count) * bar / 2 + 4))\" text-anchor=\"end\" font-size=\"13\">\(Markup.escape(name))</text>"
            for (k, s) in series.enumerated() where g < s.values.count && s.values[g].isFinite {
                let v = s.values[g]
                let y = y0 + Double(k) * bar
                out += "<rect class=\"bar\" x=\"\(Markup.coord(left))\" y=\"\(Markup.coord(y + 1))\" width=\"\(Markup.coord(max(sx(v) - left, 0.5)))\" height=\"\(Markup.coord(bar - 3))\" fill=\"\(s.color)\"/>"
                out += "<text x=\"\(Markup.coord(sx(v) + 5))\" y=\"\(Markup.coord(y + bar - 5))\" font-size=\"12\">\(Markup.number(v, digits))</text>"
            }
        }
        out += "<line x1=\"\(Markup.coord(left))\" x2=\"\(Markup.coord(left))\" y1=\"\(Markup.coord(top))\" y2=\"\(Markup.coord(bottom))\" stroke=\"#333\"/>"
        out += "<text x=\"\(Markup.coord((left + right) / 2))\" y=\"\(Markup.coord(height - 10))\" text-anchor=\"middle\" font-size=\"13\">\(Markup.escape(valueLabel))</text>"
        return out + "</svg>"
    }
}
