import Foundation
import LoadshapeTesting
import Testing

@testable import LoadshapeCommands

/// pandas (scripts/test installs it with pip when missing).
enum Pandas {
    static let available: Bool = {
        let ok = (try? TestPaths.run("/usr/bin/env", ["python3", "-c", "import pandas, numpy"]).status) == 0
        if !ok {
            FileHandle.standardError.write(
                Data(
                    "\n*** SKIPPED: python3 with pandas not found — the outputs were NOT checked with pandas. Run scripts/test (it installs pandas with pip). ***\n\n"
                        .utf8))
        }
        return ok
    }()

    /// Runs `script` with python3 and `args`; the script prints problems one per line and exits 1 when any.
    static func check(_ script: String, _ args: [String]) throws -> (ok: Bool, report: String) {
        let path = TestPaths.temporaryDirectory("loadshape-py") + "/check.py"
        try script.write(toFile: path, atomically: true, encoding: .utf8)
        let r = try TestPaths.run("/usr/bin/env", ["python3", path] + args)
        return (r.status == 0, r.stdout + r.stderr)
    }
}

/// Outputs as pandas and REopt-style tools read them.
@Suite(.enabled(if: Pandas.available, "python3 with pandas not found: outputs NOT checked with pandas"))
struct InteropOutputTests {
    static let outputsScript = #"""
        import glob, json, os, re, sys
        import numpy as np, pandas as pd
        site, gen, hours, steps = sys.argv[1], sys.argv[2], float(sys.argv[3]), int(sys.argv[4])
        problems = []
        def check(ok, msg):
            if not ok: problems.append(msg)
        def plain_csv(path):
            raw = open(path, 'rb').read()
            check(not raw.startswith(b'\xef\xbb\xbf'), f'{path}: starts with a byte-order mark')
            check(b'\r' not in raw and b'"' not in raw, f'{path}: CR or quotes')
            check(raw.endswith(b'\n'), f'{path}: no final newline')
        # Every interval table: ISO-8601 UTC interval starts, evenly spaced at the resolution in the name, kW columns.
        tables = sorted(glob.glob(os.path.join(site, '*.csv')))
        check(len(tables) >= 7, f'only {len(tables)} CSVs in {site}')
        for path in tables:
            name = os.path.basename(path)
            plain_csv(path)
            if name.startswith('utility-8760-') or name.startswith('reopt-'):
                continue
            df = pd.read_csv(path, parse_dates=['interval_start_utc'])
            t = df['interval_start_utc']
            check(isinstance(t.dtype, pd.DatetimeTZDtype) and str(t.dt.tz) == 'UTC', f'{name}: interval_start_utc parsed as {t.dtype}')
            check(t.is_monotonic_increasing and t.is_unique, f'{name}: interval starts not increasing')
            res = next(part for part in name[:-4].split('-') if re.fullmatch(r'\d+(ms|s|min|h)', part))
            gaps = t.diff().dropna().unique()
            check(len(gaps) == 1 and gaps[0] == pd.Timedelta(res), f'{name}: steps {gaps[:3]} vs {res}')
            check(t.iloc[0] == pd.Timestamp('2024-05-16T00:00:00Z'), f'{name}: starts at {t.iloc[0]}')
            for c in df.columns[1:]:
                check(c.endswith('_kw'), f'{name}: column {c} has no unit')
                check(pd.api.types.is_float_dtype(df[c]) and df[c].notna().all(), f'{name}: column {c} is not all numbers')
        # The single-column export and its REopt twin (ElectricLoad.path_to_csv: readdlm(path, ',', Float64), no header).
        fine = pd.read_csv(os.path.join(site, 'site-tiny-1min.csv'), parse_dates=['interval_start_utc'])
        for path in glob.glob(os.path.join(site, 'utility-8760-*.csv')):
            df = pd.read_csv(path)
            check(list(df.columns) == ['kw'], f'{path}: columns {list(df.columns)}')
            check(pd.api.types.is_float_dtype(df['kw']) and df['kw'].notna().all(), f'{path}: not all numbers')
            check(len(df) == round(hours * steps), f'{path}: {len(df)} rows for {hours} h at {steps} per hour')
            block = fine.groupby(fine.index // (60 // steps))['facility_kw'].mean().to_numpy()
            check(np.allclose(df['kw'].to_numpy(), block, rtol=1e-6), f'{path}: not the facility means per step')
            reopt = path.replace('utility-8760-', 'reopt-loads-kw-')
            loads = np.loadtxt(reopt, delimiter=',', dtype=float, ndmin=1)
            check(loads.ndim == 1 and np.array_equal(loads, df['kw'].to_numpy()), f'{reopt}: not the same values without a header')
            check(len(loads) / steps == hours, f'{reopt}: REopt checks length / time_steps_per_hour == 8760 for a year')
        for j in ['metrics.json', 'manifest.json']:
            json.load(open(os.path.join(site, j)))
        m = pd.json_normalize(json.load(open(os.path.join(site, 'metrics.json')))['sites'][0]['levels']['facility'])
        check('peak_kw' in m.columns and len(m) == 3, 'metrics.json facility levels do not tabulate')
        # One server: 250 ms interval starts in UTC, units in every numeric header.
        p = pd.read_csv(os.path.join(gen, 'power.csv'), parse_dates=['interval_start_utc'])
        check(isinstance(p['interval_start_utc'].dtype, pd.DatetimeTZDtype), 'power.csv: interval_start_utc is not UTC')
        check((p['interval_start_utc'].diff().dropna() == pd.Timedelta('250ms')).all(), 'power.csv: not 250 ms bins')
        unitless = {'busy_fraction', 'prefill_duty', 'decode_duty', 'decode_batch', 'state'}
        for c in p.columns[1:]:
            check(c in unitless or c.endswith('_w') or c.endswith('_s'), f'power.csv: column {c} has no unit')
            check(c == 'state' or pd.api.types.is_numeric_dtype(p[c]), f'power.csv: column {c} is not numeric')
        check(set(p['state']) <= {'idle', 'decode', 'prefill'}, 'power.csv: unknown states')
        r = pd.read_csv(os.path.join(gen, 'requests.csv'))
        for c in r.columns[1:]:
            check(c.endswith('_s') or c.endswith('_tokens') or c == 'preemptions', f'requests.csv: column {c} has no unit')
            check(pd.api.types.is_numeric_dtype(r[c]), f'requests.csv: column {c} is not numeric')
        plain_csv(os.path.join(gen, 'power.csv'))
        print('\n'.join(problems))
        sys.exit(1 if problems else 0)
        """#

    @Test func pandasReadsEveryOutputAndTheHourlyExportIsREoptShaped() throws {
        let (dir, spec) = TinyStudy.write(TinyStudy.spec(duration: "2h", outputs: "  utility_steps_per_hour: 2"))
        try runLoadshape(["site", "--configs", TestPaths.configs, spec, "--out", dir + "/site", "--quiet"])
        try runLoadshape(["generate", "--configs", TestPaths.configs, "--duration", "2m", "--out", dir + "/gen", "--quiet"])
        let r = try Pandas.check(Self.outputsScript, [dir + "/site", dir + "/gen", "2", "2"])
        #expect(r.ok, "\(r.report)")
    }
}

/// Inputs in the formats users already have, each through the CLI on a small file written here.
@Suite struct InteropInputTests {
    static func write(_ name: String, _ text: String) -> String {
        let path = TestPaths.temporaryDirectory("loadshape-in") + "/" + name
        FileManager.default.createFile(atPath: path, contents: Data(text.utf8))
        return path
    }

    /// Runs `generate --requests path` and returns (manifest workload, requests.csv input tokens by arrival).
    static func generate(_ path: String, _ extra: [String] = []) throws -> ([String: Any], [String]) {
        let out = TestPaths.temporaryDirectory() + "/run"
        try runLoadshape(["generate", "--configs", TestPaths.configs, "--requests", path, "--out", out, "--quiet"] + extra)
        let m = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: out + "/manifest.json"))) as! [String: Any]
        return (m["workload"] as! [String: Any], csvColumn(try read(out + "/requests.csv"), "input_tokens"))
    }

    static let azure = """
        TIMESTAMP,ContextTokens,GeneratedTokens
        2023-11-16 18:15:46.6805900,374,44
        2023-11-16 18:15:50.9951690,396,109
        2023-11-16 18:15:51.2510220,879,56

        """
    static let vllm = #"{"date": "20260718-160104", "backend": "vllm", "request_timestamps": [1784415675.5, 1784415678.0, 1784415676.25], "input_lens": [759, 34, 120], "output_lens": [16, 626, 40], "ttfts": [0.058, 0.019, 0.03]}"#
    static let mooncake = """
        {"timestamp": 0, "input_length": 6755, "output_length": 500, "hash_ids": [0, 1, 2]}
        {"timestamp": 2500, "input_length": 312, "output_length": 20, "hash_ids": [47]}
        {"timestamp": 1000, "input_length": 90, "output_length": 7, "hash_ids": []}

        """

    @Test func anAzureTraceCSVIsAcceptedAndToldFromItsHeader() throws {
        let (w, inputs) = try Self.generate(Self.write("AzureLLMInferenceTrace_conv.csv", Self.azure))
        #expect(w["format"] as? String == "azure" && w["requests"] as? Int == 3)
        #expect(inputs == ["374", "396", "879"])
    }

    @Test func aVLLMBenchmarkResultIsAcceptedInArrivalOrder() throws {
        let (w, inputs) = try Self.generate(Self.write("benchmark.json", Self.vllm))
        #expect(w["format"] as? String == "vllm" && w["requests"] as? Int == 3)
        #expect(inputs == ["759", "120", "34"])
    }

    @Test func aMooncakeJSONLTraceIsAccepted() throws {
        let (w, inputs) = try Self.generate(Self.write("mooncake_trace.jsonl", Self.mooncake))
        #expect(w["format"] as? String == "mooncake")
        #expect(inputs == ["6755", "90", "312"])
        // A .json name does not hide JSONL: the first line tells.
        let (w2, _) = try Self.generate(Self.write("trace.json", Self.mooncake))
        #expect(w2["format"] as? String == "mooncake")
        let (w3, _) = try Self.generate(Self.write("t.txt", Self.mooncake), ["--requests-format", "mooncake"])
        #expect(w3["format"] as? String == "mooncake")
    }

    @Test func aMalformedTraceNamesFileLineAndField() {
        let bad = Self.write("bad.csv", "TIMESTAMP,ContextTokens,GeneratedTokens\n2023-11-16 18:15:46.68,374,many\n")
        #expect { try Self.generate(bad) } throws: { e in "\(e)".contains("bad.csv:2: field 'GeneratedTokens'") }
        let badJSONL = Self.write("bad.jsonl", "{\"timestamp\": 0, \"input_length\": 5, \"output_length\": 1}\n{\"timestamp\": 1}\n")
        #expect { try Self.generate(badJSONL) } throws: { e in "\(e)".contains("bad.jsonl:2: field 'input_length'") }
    }

    @Test(arguments: [("azure", "trace.csv", azure), ("vllm", "trace.json", vllm), ("mooncake", "trace.jsonl", mooncake)])
    func aSiteReplaysEachTraceFormat(format: String, name: String, text: String) throws {
        let trace = Self.write(name, text)
        let yaml = TinyStudy.yaml.replacingOccurrences(
            of: "      profile: azure-conv-2023\n      mean_rate_per_s: 3",
            with: "      trace: \(trace)\n      format: \(format)\n      mean_rate_per_s: 0.5")
        #expect(yaml.contains("trace: "))
        let (dir, spec) = TinyStudy.write(yaml)
        try runLoadshape(["site", "--configs", TestPaths.configs, spec, "--out", dir + "/out", "--quiet"])
        let manifest = try read(dir + "/out/manifest.json")
        #expect(manifest.contains("\"role\" : \"trace\""))
        let m = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: dir + "/out/metrics.json"))) as! [String: Any]
        let site = (m["sites"] as! [[String: Any]])[0]
        // 0.5 req/s for 20 min is 600; a 3-request trace loops at (n − 1)/n of that (the loop period adds one mean gap).
        #expect((site["requests"] as? Int ?? 0) >= 350, "looped to 20 min: \(site["requests"] ?? "none") requests")
    }

    /// A measured run as the harness writes it: nvidia-smi CSV (local wall time), a vLLM benchmark summary and a
    /// manifest; `validate` replays and scores it.
    @Test func aMeasuredRunOfNvidiaSmiAndVLLMFilesIsScored() throws {
        let run = TestPaths.temporaryDirectory("loadshape-measured") + "/a100_smoke_tp1"
        try FileManager.default.createDirectory(atPath: run, withIntermediateDirectories: true)
        let uuid = "GPU-03a84180-d660-dbdc-17f4-0e0655717066"
        let t0 = 1_784_415_664.0  // 2026-07-18T23:01:04Z; local wall time is UTC−7
        let manifest: [String: Any] = [
            "run_id": "a100_smoke_tp1", "model": "Qwen/Qwen3-8B", "hardware": "A100", "tp": 1,
            "clock": ["local_utc_offset_s": -25200, "power_timestamp_basis": "local_wall_time", "request_timestamp_basis": "unix_epoch"],
            "server": ["max_num_seqs": 256, "max_num_batched_tokens": 8192, "enable_prefix_caching": false, "active_gpu_uuids": [uuid]],
        ]
        try JSONSerialization.data(withJSONObject: manifest).write(to: URL(fileURLWithPath: run + "/manifest.json"))
        var csv = "timestamp, index, uuid, power.draw [W], utilization.gpu [%]\r\n"
        for k in 0..<(90 * 4) {
            let local = Date(timeIntervalSince1970: t0 + Double(k) * 0.25 - 25200)
            let f = DateFormatter()
            f.locale = Locale(identifier: "en_US_POSIX")
            f.timeZone = TimeZone(identifier: "UTC")
            f.dateFormat = "yyyy/MM/dd HH:mm:ss.SSS"
            let busy = k >= 40 && k < 320
            let w = busy ? 240 + 30 * sin(Double(k) / 7) : 83 + 0.3 * sin(Double(k))
            csv += "\(f.string(from: local)), 0, \(uuid), \(String(format: "%.2f W", w)), \(busy ? 100 : 0) %\r\n"
        }
        try csv.write(toFile: run + "/power.csv", atomically: true, encoding: .utf8)
        let n = 60
        let requests: [String: Any] = [
            "backend": "vllm", "request_timestamps": (0..<n).map { t0 + 10 + Double($0) }, "input_lens": [Int](repeating: 300, count: n),
            "output_lens": [Int](repeating: 120, count: n), "ttfts": [Double](repeating: 0.04, count: n),
        ]
        try JSONSerialization.data(withJSONObject: requests).write(to: URL(fileURLWithPath: run + "/requests-summary.json"))
        let out = TestPaths.temporaryDirectory() + "/val"
        try runLoadshape(["validate", "--configs", TestPaths.configs, run, "--power-model", "qwen3-8b-a100-tp1", "--out", out, "--quiet"])
        let v = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: out + "/validation.json"))) as! [String: Any]
        let rows = v["per_run"] as! [[String: Any]]
        #expect(rows.count == 4 && rows.allSatisfy { $0["run"] as? String == "a100_smoke_tp1" })
        let trace = try read(out + "/trace-a100_smoke_tp1.csv").split(separator: "\n")
        #expect(trace.count >= 85, "about 90 s of 1 s means: \(trace.count) lines")
    }
}
