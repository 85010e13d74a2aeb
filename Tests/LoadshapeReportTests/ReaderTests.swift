import Foundation
import LoadshapeIO
import LoadshapeReport
import LoadshapeTesting
import Testing

/// Writes `text` to a fresh file named `name` and returns its path.
func file(_ name: String, _ text: String) -> String {
    let path = TestPaths.temporaryDirectory("loadshape-report") + "/" + name
    FileManager.default.createFile(atPath: path, contents: Data(text.utf8))
    return path
}

@Suite struct OutputTableTests {
    @Test func aWideTableReadsTimesAndColumns() throws {
        let p = file("site-a-1min.csv", "interval_start_utc,gpu_kw,it_kw\r\n2024-05-16T00:00:00.000Z,1.5,2\r\n2024-05-16T00:01:00.000Z,2.5,3\r\n")
        let t = try OutputTable.read(p)
        #expect(t.names == ["gpu_kw", "it_kw"] && t.rows == 2)
        #expect(try t.times() == [1_715_817_600_000, 1_715_817_660_000])
        #expect(try t.column("it_kw") == [2, 3])
        #expect(throwsMessage(["site-a-1min.csv", "no column 'x'"]) { _ = try t.column("x") })
    }

    @Test(arguments: [
        ("interval_start_utc,kw\n2024-05-16T00:00:00Z,1\n2024-05-16T00:15:00Z,abc\n", ":3: field 'kw': 'abc' is not a number"),
        ("interval_start_utc,kw\n2024-05-16T00:00:00Z,1,2\n", ":2: expected 2 fields"),
        ("interval_start_utc,kw\n16/05/2024 00:00,1\n", ":2: field 'interval_start_utc': '16/05/2024 00:00' is not an ISO-8601 UTC time"),
        ("interval_start_utc,kw\n2024-05-16T00:15:00Z,1\n2024-05-16T00:00:00Z,1\n", ":3: field 'interval_start_utc': 2024-05-16T00:00:00Z is not after"),
        ("interval_start_utc,kw,kw\n2024-05-16T00:00:00Z,1,2\n", ":1: column 'kw' appears twice"),
        ("interval_start_utc,kw\n", "no rows after the header"),
        ("", "empty file"),
        ("interval_start_utc,kw\n2024-05-16T00:00:00Z,\n", ":2: field 'kw': '' is not a number"),
    ])
    func malformedTablesNameTheFileAndLine(text: String, message: String) {
        let p = file("t.csv", text)
        #expect(throwsMessage(["t.csv", message]) { _ = try OutputTable.read(p) })
    }

    @Test func requiredColumnsAndOptionalBlanks() throws {
        let p = file("power.csv", "interval_start_utc,t_start_s,state,e2e\n2025-01-01T00:00:00Z,0,idle,\n")
        let t = try OutputTable.read(p, numeric: ["t_start_s", "e2e"], optional: ["e2e"])
        #expect(try t.column("e2e")[0].isNaN && t.column("t_start_s") == [0])
        #expect(throwsMessage(["power.csv:1: header has no 'node_gpu_power_w' column", "found: interval_start_utc, t_start_s"]) {
            _ = try OutputTable.read(p, numeric: ["node_gpu_power_w"])
        })
        #expect(throwsMessage(["/nonexistent/x.csv", "cannot read the file"]) { _ = try OutputTable.read("/nonexistent/x.csv") })
    }
}

@Suite struct JSONReaderTests {
    @Test func aSyntaxErrorNamesTheLine() {
        let p = file("metrics.json", "{\n  \"study\": \"s\",\n  \"sites\": [1,, 2]\n}\n")
        #expect(throwsMessage(["metrics.json:3: not valid JSON"]) { _ = try StudyMetrics.load(p) })
    }

    @Test func aMissingOrWrongFieldIsNamedByItsPath() {
        let p = file("metrics.json", "{\"study\": \"s\", \"sites\": [{\"site\": \"a\", \"levels\": {\"gpu\": [{\"resolution\": \"1s\"}]}}]}")
        #expect(throwsMessage(["metrics.json", "'sites[0].levels.gpu[0].energy_kwh'", "missing"]) { _ = try StudyMetrics.load(p) })
        let q = file("metrics.json", "{\"study\": 3, \"sites\": []}")
        #expect(throwsMessage(["metrics.json", "field 'study'", "expected a string, got 3"]) { _ = try StudyMetrics.load(q) })
    }

    @Test func aFolderThatIsNoOutputIsExplained() {
        let dir = TestPaths.temporaryDirectory("loadshape-report")
        #expect(throwsMessage([dir, "neither manifest.json", "validation.json"]) { _ = try HTMLReport.kind(of: dir) })
        #expect(throwsMessage(["no such folder"]) { _ = try HTMLReport.kind(of: dir + "/missing") })
        FileManager.default.createFile(atPath: dir + "/manifest.json", contents: Data("{\"schema\": \"other\"}".utf8))
        #expect(throwsMessage(["schema 'other' is not one the report knows"]) { _ = try HTMLReport.kind(of: dir) })
    }
}
