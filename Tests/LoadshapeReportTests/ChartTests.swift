import Foundation
import LoadshapeReport
import Testing

#if canImport(FoundationXML)
    import FoundationXML
#endif

/// Whether `svg` is well-formed XML (what a browser needs to draw it inline).
func wellFormed(_ svg: String) -> Bool {
    XMLParser(data: Data(svg.utf8)).parse()
}

@Suite struct EnvelopeTests {
    @Test func columnsKeepEachColumnsMinimumMaximumAndMean() {
        let x = (0..<1000).map(Double.init)
        var y = x.map { _ in 10.0 }
        y[503] = 99  // a one-point spike
        y[504] = -5
        let e = Envelope.columns(x: x, y: y, from: 0, to: 1000, columns: 10)
        #expect(e.x.count == 10)
        #expect(e.upper[5] == 99 && e.lower[5] == -5, "the spike survives in its column")
        #expect(abs(e.mean[5] - (98 * 10 + 99 - 5) / 100) < 1e-12)
        #expect(e.upper[4] == 10 && e.lower[4] == 10)
        #expect(abs(e.x[0] - 49.5) < 1e-12)
    }

    @Test func nonFiniteValuesAndEmptyColumnsAreLeftOut() {
        let e = Envelope.columns(x: [0, 1, 2, 90], y: [1, .nan, 3, 4], from: 0, to: 100, columns: 10)
        #expect(e.x.count == 2)
        #expect(e.mean[0] == 2 && e.lower[0] == 1 && e.upper[0] == 3)
        #expect(Envelope.columns(x: [], y: [], from: 0, to: 1, columns: 5).x.isEmpty)
    }

    @Test func aBandsLimitsAreUsedForTheColumnRange() {
        let e = Envelope.columns(x: [0, 1], y: [5, 6], lowerY: [1, 2], upperY: [8, 9], from: 0, to: 2, columns: 1)
        #expect(e.lower == [1] && e.upper == [9] && e.mean == [5.5])
    }
}

@Suite struct TickTests {
    @Test func linearTicksAreRoundAndCoverTheRange() {
        #expect(Ticks.linear(0, 10) == [0, 2, 4, 6, 8, 10])
        #expect(Ticks.linear(512, 838) == [550, 600, 650, 700, 750, 800])
        let t = Ticks.linear(0.0123, 0.0871)
        #expect(t.first! >= 0.0123 && t.last! <= 0.0871 && t.count >= 4)
        #expect(Ticks.label(0.25, step: 0.25) == "0.25")
        #expect(Ticks.label(1500, step: 500) == "1500")
        #expect(Ticks.label(-2, step: 1) == "−2")
    }

    @Test func logTicksAreDecadesWithMultiplesOnShortRanges() {
        #expect(Ticks.log(1, 1000) == [1, 10, 100, 1000])
        let short = Ticks.log(0.01, 0.3)
        #expect(short.count == 5 && zip(short, [0.01, 0.02, 0.05, 0.1, 0.2]).allSatisfy { abs($0 - $1) < 1e-12 })
        #expect(Ticks.logLabel(1000) == "1k")
    }

    @Test func timeTicksAreWholeUTCUnits() {
        let start = 1_715_817_600_000.0  // 2024-05-16T00:00:00Z
        let (ticks, step) = Ticks.time(start, start + 2 * 3_600_000)
        #expect(step == 900_000)
        #expect(ticks.first == start && ticks.count == 9)
        #expect(Ticks.timeLabel(start, stepMs: step, first: true) == ["00:00", "2024-05-16"])
        #expect(Ticks.timeLabel(start + 900_000, stepMs: step, first: false) == ["00:15"])
        #expect(Ticks.timeLabel(start + 5000, stepMs: 5000, first: false) == ["00:00:05"])
        #expect(Ticks.timeLabel(start, stepMs: 86_400_000 * 2, first: false) == ["05-16"])
        let (odd, _) = Ticks.time(start + 7000, start + 70_000)
        #expect(odd.allSatisfy { $0.truncatingRemainder(dividingBy: 10_000) == 0 })
    }

    @Test func resolutionLabelsParse() {
        #expect(Ticks.seconds(ofResolution: "250ms") == 0.25)
        #expect(Ticks.seconds(ofResolution: "1s") == 1)
        #expect(Ticks.seconds(ofResolution: "15min") == 900)
        #expect(Ticks.seconds(ofResolution: "1h") == 3600)
        #expect(Ticks.seconds(ofResolution: "fast") == nil)
    }
}

@Suite struct ChartTests {
    func timeChart(points: Int) -> Chart {
        var c = Chart(title: "power <test> & more", xLabel: "time (UTC)", yLabel: "power (kW)", xAxis: .timeUTC)
        let x = (0..<points).map { 1_715_817_600_000 + Double($0) * 1000 }
        c.add(.init("site", x: x, y: x.indices.map { 500 + 100 * sin(Double($0) / 50) }, color: Palette.color(0)))
        c.markers.append(.init(.horizontal, 650, label: "limit 650 kW"))
        return c
    }

    @Test func aLongSeriesIsDrawnAsAnEnvelope() {
        let long = timeChart(points: 86_400).svg(id: "a")
        #expect(wellFormed(long))
        #expect(long.contains("class=\"envelope\""))
        #expect(long.contains("min–max of the points in each pixel column"))
        #expect(long.utf8.count < 200_000, "a day at 1 s stays small: \(long.utf8.count) bytes")
        let short = timeChart(points: 500).svg(id: "b")
        #expect(wellFormed(short))
        #expect(!short.contains("class=\"envelope\""))
    }

    @Test func textIsEscapedAndAxesAreLabelled() {
        let svg = timeChart(points: 10).svg(id: "c")
        #expect(svg.contains("power &lt;test&gt; &amp; more"))
        #expect(svg.contains(">power (kW)<") && svg.contains(">time (UTC)<") && svg.contains(">limit 650 kW<"))
        #expect(svg.contains(">2024-05-16<"))
    }

    @Test func everyStyleRendersWellFormed() {
        var c = Chart(title: "styles", xLabel: "servers", yLabel: "CoV", xAxis: .log)
        c.yAxis = .log
        c.add(.init("points", x: [1, 4, 24, 240], y: [0.3, 0.15, 0.08, 0.04], color: Palette.color(0), style: .points))
        c.add(.init("line+points", x: [1, 240], y: [0.3, 0.04], color: Palette.color(1), style: .linePoints, dashed: true))
        c.add(.intervals("steps", starts: [1, 2, 3], values: [0.1, 0.2, 0.1], width: 1, color: Palette.color(2),
                         band: .init(lower: [0.05, 0.1, 0.05], upper: [0.2, 0.3, 0.2], name: "band")))
        c.markers.append(.init(.vertical, 60, label: "60"))
        let svg = c.svg(id: "d")
        #expect(wellFormed(svg))
        #expect(svg.contains("class=\"band\"") && svg.contains("<circle"))
        var empty = Chart(title: "nothing", xLabel: "x", yLabel: "y")
        empty.add(.init("none", x: [], y: [], color: "#000"))
        #expect(empty.svg(id: "e").contains("no data") && wellFormed(empty.svg(id: "e")))
        var bars = BarChart(title: "bars", valueLabel: "kW", groups: ["peak", "mean"])
        bars.series = [.init("a", color: Palette.color(0), values: [2, 1]), .init("b", color: Palette.color(1), values: [3, .nan])]
        #expect(wellFormed(bars.svg(id: "f")))
    }

    @Test func thePageIsSelfContained() {
        var page = ReportPage(title: "A & B", subtitle: "sub")
        page.section("One")
        page.facts([("seed", "42")])
        page.table(["a", "b"], [["1", "<2>"]], numeric: [0])
        page.chart(timeChart(points: 100), caption: "caption")
        page.section("Two")
        let html = page.html()
        #expect(html.hasPrefix("<!DOCTYPE html>"))
        #expect(html.contains("<title>A &amp; B</title>") && html.contains("&lt;2&gt;"))
        #expect(!html.contains("<script") && !html.contains("src=") && !html.contains("@import"))
        let external = html.components(separatedBy: "http").count - 1
        let namespaces = html.components(separatedBy: "http://www.w3.org/2000/svg").count - 1
        #expect(external == namespaces, "no link out of the page but the SVG namespace")
        #expect(html.contains("href=\"#s1\"") && html.contains("Figure 1."))
    }
}
