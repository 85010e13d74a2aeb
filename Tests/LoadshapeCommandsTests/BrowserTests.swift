import Foundation
import LoadshapeTesting
import Testing

@testable import LoadshapeCommands

/// Headless Chromium, when installed (`scripts/report-screenshot` installs Debian's `chromium` when it is not).
enum Browser {
    static let path: String? = {
        let dirs = (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":").map(String.init)
        for name in ["chromium", "chromium-browser", "google-chrome"] {
            for d in dirs where FileManager.default.isExecutableFile(atPath: d + "/" + name) { return d + "/" + name }
        }
        return nil
    }()

    /// Whether a browser is there; when it is not, says so loudly (once) so the check never passes silently.
    static let available: Bool = {
        if path == nil {
            FileHandle.standardError.write(
                Data(
                    "\n*** SKIPPED: no chromium on PATH — the report was NOT rendered in a real browser. Run scripts/report-screenshot once (it installs chromium with apt-get), or apt-get install chromium. ***\n\n"
                        .utf8))
        }
        return path != nil
    }()
}

@Suite(.enabled(if: Browser.available, "no chromium on PATH: the report is NOT checked in a real browser"))
struct BrowserTests {
    @Test func theSiteReportRendersInHeadlessChromium() throws {
        let (dir, spec) = TinyStudy.write()
        let out = dir + "/out"
        try runLoadshape(["site", "--configs", TestPaths.configs, spec, "--out", out, "--quiet", "--report"])
        let png = dir + "/report.png"
        let r = try TestPaths.run(
            "/bin/bash", [TestPaths.packageRoot + "/scripts/report-screenshot", out + "/report.html", png, "1400,3000"],
            environment: ["REPORT_SCREENSHOT_NO_INSTALL": "1", "CHROMIUM": Browser.path ?? ""])
        #expect(r.status == 0, "scripts/report-screenshot failed: \(r.stderr)")
        let bytes = (try? FileManager.default.attributesOfItem(atPath: png)[.size] as? Int) ?? 0
        #expect(bytes > 60_000, "a drawn page compresses to far more than a blank one: \(bytes) bytes")
        #expect(r.stdout.contains("1400x3000"), "\(r.stdout)")
        // "…, 41.2% of pixels drawn, 812 colours": the figures and text cover a good share of the page.
        let drawn = r.stdout.split(separator: ",").first { $0.contains("of pixels drawn") }
            .flatMap { Double($0.trimmingCharacters(in: .whitespaces).split(separator: "%").first ?? "") }
        #expect((drawn ?? 0) >= 10, "\(r.stdout)")
    }
}
