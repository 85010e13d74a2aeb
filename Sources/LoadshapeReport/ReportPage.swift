import Foundation

/// One self-contained HTML page: inline CSS and SVG, no scripts, no fonts or images fetched from anywhere.
public struct ReportPage: Sendable {
    public var title: String
    public var subtitle: String
    private var blocks: [String] = []
    private var contents: [(id: String, heading: String)] = []
    private var figures = 0

    public init(title: String, subtitle: String = "") {
        self.title = title
        self.subtitle = subtitle
    }

    /// A numbered section heading, listed in the contents.
    public mutating func section(_ heading: String) {
        let id = "s\(contents.count + 1)"
        contents.append((id, heading))
        blocks.append("<h2 id=\"\(id)\">\(Markup.escape(heading))</h2>")
    }

    public mutating func subsection(_ heading: String) {
        blocks.append("<h3>\(Markup.escape(heading))</h3>")
    }

    public mutating func paragraph(_ text: String) {
        blocks.append("<p>\(Markup.escape(text))</p>")
    }

    /// A highlighted remark (a missing input, a file changed since the run).
    public mutating func note(_ text: String) {
        blocks.append("<p class=\"note\">\(Markup.escape(text))</p>")
    }

    /// A table; columns listed in `numeric` are right-aligned.
    public mutating func table(_ header: [String], _ rows: [[String]], numeric: Set<Int> = []) {
        var out = "<table><thead><tr>"
        for (i, h) in header.enumerated() { out += "<th\(numeric.contains(i) ? " class=\"num\"" : "")>\(Markup.escape(h))</th>" }
        out += "</tr></thead><tbody>"
        for r in rows {
            out += "<tr>"
            for (i, c) in r.enumerated() { out += "<td\(numeric.contains(i) ? " class=\"num\"" : "")>\(Markup.escape(c))</td>" }
            out += "</tr>"
        }
        blocks.append(out + "</tbody></table>")
    }

    /// Key–value pairs (the title block).
    public mutating func facts(_ pairs: [(String, String)]) {
        var out = "<dl class=\"facts\">"
        for (k, v) in pairs { out += "<dt>\(Markup.escape(k))</dt><dd>\(Markup.escape(v))</dd>" }
        blocks.append(out + "</dl>")
    }

    public mutating func chart(_ c: Chart, caption: String) {
        figures += 1
        figure(c.svg(id: "f\(figures)"), caption: caption)
    }

    public mutating func chart(_ c: BarChart, caption: String) {
        figures += 1
        figure(c.svg(id: "f\(figures)"), caption: caption)
    }

    mutating func figure(_ svg: String, caption: String) {
        blocks.append("<figure>\(svg)<figcaption>Figure \(figures). \(Markup.escape(caption))</figcaption></figure>")
    }

    public var figureCount: Int { figures }

    public func html() -> String {
        var out = "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
        out += "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
        out += "<title>\(Markup.escape(title))</title><style>\(Self.css)</style></head><body>\n"
        out += "<header><h1>\(Markup.escape(title))</h1>"
        if !subtitle.isEmpty { out += "<p class=\"subtitle\">\(Markup.escape(subtitle))</p>" }
        out += "</header>\n"
        if contents.count > 1 {
            out += "<nav><ol>"
            for c in contents { out += "<li><a href=\"#\(c.id)\">\(Markup.escape(c.heading))</a></li>" }
            out += "</ol></nav>\n"
        }
        for b in blocks { out += b + "\n" }
        out += "<footer>Written by Loadshape. Every figure is drawn from the output files beside this page; times are interval starts in UTC.</footer>\n"
        return out + "</body></html>\n"
    }

    static let css = """
        body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,"DejaVu Sans",sans-serif;color:#1b1b1b;\
        max-width:1240px;margin:0 auto;padding:20px 28px 40px;line-height:1.45;background:#fafafa}
        header h1{margin:0 0 4px;font-size:26px}.subtitle{margin:0 0 14px;color:#555}
        h2{margin:34px 0 10px;padding-top:8px;border-top:2px solid #ddd;font-size:20px}h3{font-size:16px;margin:22px 0 8px}
        nav ol{columns:3;margin:8px 0 0;padding-left:22px;font-size:14px}nav a{color:#0b5cad;text-decoration:none}
        figure{margin:14px 0 22px;background:#fff;border:1px solid #ddd;padding:6px}
        figure svg{display:block;width:100%;height:auto}svg text{font-family:inherit}
        .halo{paint-order:stroke;stroke:#fff;stroke-width:3px}
        figcaption{font-size:13px;color:#444;padding:4px 6px 2px}
        table{border-collapse:collapse;margin:8px 0 16px;font-size:13px;background:#fff}
        th,td{border:1px solid #d6d6d6;padding:3px 8px;text-align:left;vertical-align:top}
        th{background:#f0f0f0}td.num,th.num{text-align:right;font-variant-numeric:tabular-nums}
        dl.facts{display:grid;grid-template-columns:max-content 1fr;gap:2px 16px;font-size:14px;margin:8px 0 12px;\
        background:#fff;border:1px solid #ddd;padding:10px 14px}
        dl.facts dt{font-weight:600}dl.facts dd{margin:0;overflow-wrap:anywhere}
        .note{background:#fff6e0;border-left:4px solid #e69f00;padding:6px 10px;font-size:14px}
        footer{margin-top:36px;font-size:12px;color:#777}
        """
}
