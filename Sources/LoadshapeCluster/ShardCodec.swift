import LoadshapeSite
import LoadshapeTransport

/// What one shard produced: whole rows (site and row shards) or single racks (rack-group shards), plus its site's
/// traffic totals.
public struct ShardResult: Sendable {
    public var rows: [StudyRunner.RowPartial]
    public var racks: [StudyRunner.RackPartial]
    public var totals: (requests: Int, inputTokens: Int, outputTokens: Int)

    public init(
        rows: [StudyRunner.RowPartial], racks: [StudyRunner.RackPartial], totals: (requests: Int, inputTokens: Int, outputTokens: Int)
    ) {
        self.rows = rows
        self.racks = racks
        self.totals = totals
    }
}

/// Encodes a shard's partial aggregates as protocol series — arrays at the requested resolutions (rows: native
/// 250 ms sums plus each rack at the rack resolutions; racks: native sums) and one-value counters — and back,
/// checking every array against the shape the spec implies.
public enum ShardCodec {
    public static func series(_ r: ShardResult) -> [SeriesPayload] {
        var s: [SeriesPayload] = []
        for p in r.rows {
            let pre = "row.\(p.row)."
            s.append(SeriesPayload(name: pre + "gpu", resolutionS: 0.25, values: p.gpu))
            s.append(SeriesPayload(name: pre + "it", resolutionS: 0.25, values: p.it))
            s.append(SeriesPayload(name: pre + "flat", resolutionS: 0.25, values: p.flat))
            for (c, v) in p.capped.enumerated() { s.append(SeriesPayload(name: pre + "capped.\(c)", resolutionS: 0.25, values: v)) }
            for (j, racks) in p.rackSeries.enumerated() {
                for (k, v) in racks.enumerated() { s.append(SeriesPayload(name: pre + "rack.\(j).\(k)", resolutionS: 1, values: v)) }
            }
            for (k, v) in p.racks1s.enumerated() { s.append(SeriesPayload(name: pre + "rack1s.\(k)", resolutionS: 1, values: v)) }
            s.append(SeriesPayload(name: pre + "nameplate", resolutionS: 1, values: p.rackNameplateW))
            s.append(SeriesPayload(name: pre + "served", resolutionS: 1, values: [Double(p.served)]))
            s.append(SeriesPayload(name: pre + "clipped", resolutionS: 1, values: p.clippedWh))
            s.append(SeriesPayload(name: pre + "delayed", resolutionS: 1, values: p.tokensDelayed))
        }
        for p in r.racks {
            let pre = "rack.\(p.rack)."
            s.append(SeriesPayload(name: pre + "gpu", resolutionS: 0.25, values: p.gpu))
            s.append(SeriesPayload(name: pre + "it", resolutionS: 0.25, values: p.it))
            s.append(SeriesPayload(name: pre + "flat", resolutionS: 0.25, values: p.flat))
            for (c, v) in p.capped.enumerated() { s.append(SeriesPayload(name: pre + "capped.\(c)", resolutionS: 0.25, values: v)) }
            s.append(SeriesPayload(name: pre + "nameplate", resolutionS: 1, values: [p.nameplateW]))
            s.append(SeriesPayload(name: pre + "served", resolutionS: 1, values: [Double(p.served)]))
            s.append(SeriesPayload(name: pre + "clipped", resolutionS: 1, values: p.clippedWh))
            s.append(SeriesPayload(name: pre + "delayed", resolutionS: 1, values: p.tokensDelayed))
        }
        let t = r.totals
        s.append(SeriesPayload(name: "totals", resolutionS: 1, values: [Double(t.0), Double(t.1), Double(t.2)]))
        return s
    }

    public struct DecodeError: Error, CustomStringConvertible {
        public let description: String
    }

    /// Rebuilds a shard's result, rejecting a missing, extra or wrongly sized series or an impossible counter.
    public static func decode(_ series: [SeriesPayload], shard: Shard, runner: StudyRunner) throws(DecodeError) -> ShardResult {
        let spec = runner.spec
        var byName: [String: [Double]] = [:]
        for x in series {
            guard byName[x.name] == nil else { throw DecodeError(description: "shard \(shard.name): series '\(x.name)' appears twice") }
            byName[x.name] = x.values
        }
        var used: Set<String> = []
        func get(_ n: String, count: Int) throws(DecodeError) -> [Double] {
            guard let v = byName[n] else { throw DecodeError(description: "shard \(shard.name): series '\(n)' is missing") }
            guard v.count == count else {
                throw DecodeError(description: "shard \(shard.name): series '\(n)' has \(v.count) values, expected \(count)")
            }
            used.insert(n)
            return v
        }
        func counter(_ n: String) throws(DecodeError) -> Int {
            let v = try get(n, count: 1)[0]
            guard v.isFinite, v >= 0, v < 1e15, v == v.rounded() else {
                throw DecodeError(description: "shard \(shard.name): counter '\(n)' is \(v)")
            }
            return Int(v)
        }
        let nb = runner.bins
        let caps = spec.powerCapsW.count
        let si = shard.site
        let keep1s = spec.sites[si].rows.contains { $0.limitKW != nil }
        func row(_ ri: Int) throws(DecodeError) -> StudyRunner.RowPartial {
            let pre = "row.\(ri)."
            let racks = spec.sites[si].rows[ri].racks.count
            var rackSeries: [[[Double]]] = []
            for (j, res) in spec.rackResolutions.enumerated() {
                let n = StudyRunner.downsampledCount(nb, res)
                var list: [[Double]] = []
                for k in 0..<racks { list.append(try get(pre + "rack.\(j).\(k)", count: n)) }
                rackSeries.append(list)
            }
            var racks1s: [[Double]] = []
            let n1 = StudyRunner.downsampledCount(nb, 1)
            if keep1s { for k in 0..<racks { racks1s.append(try get(pre + "rack1s.\(k)", count: n1)) } }
            var capped: [[Double]] = []
            for c in 0..<caps { capped.append(try get(pre + "capped.\(c)", count: nb)) }
            return StudyRunner.RowPartial(
                site: si, row: ri, gpu: try get(pre + "gpu", count: nb), it: try get(pre + "it", count: nb),
                flat: try get(pre + "flat", count: nb), capped: capped, rackSeries: rackSeries, racks1s: racks1s,
                rackNameplateW: try get(pre + "nameplate", count: racks), served: try counter(pre + "served"),
                clippedWh: try get(pre + "clipped", count: caps), tokensDelayed: try get(pre + "delayed", count: caps),
                violations: [], inputs: [])
        }
        var result = ShardResult(rows: [], racks: [], totals: (0, 0, 0))
        switch shard.scope {
        case .site(let s):
            for ri in spec.sites[s].rows.indices { result.rows.append(try row(ri)) }
        case .row(_, let ri):
            result.rows.append(try row(ri))
        case .racks(_, let ri, let range):
            for k in range {
                let pre = "rack.\(k)."
                var capped: [[Double]] = []
                for c in 0..<caps { capped.append(try get(pre + "capped.\(c)", count: nb)) }
                result.racks.append(
                    StudyRunner.RackPartial(
                        site: si, row: ri, rack: k, gpu: try get(pre + "gpu", count: nb), it: try get(pre + "it", count: nb),
                        flat: try get(pre + "flat", count: nb), capped: capped,
                        clippedWh: try get(pre + "clipped", count: caps), tokensDelayed: try get(pre + "delayed", count: caps),
                        served: try counter(pre + "served"), nameplateW: try get(pre + "nameplate", count: 1)[0]))
            }
        }
        let t = try get("totals", count: 3)
        guard t.allSatisfy({ $0.isFinite && $0 >= 0 && $0 < 1e15 && $0 == $0.rounded() }) else {
            throw DecodeError(description: "shard \(shard.name): traffic totals \(t) are not counts")
        }
        result.totals = (Int(t[0]), Int(t[1]), Int(t[2]))
        guard used.count == byName.count else {
            let extra = byName.keys.filter { !used.contains($0) }.sorted().first ?? ""
            throw DecodeError(description: "shard \(shard.name): \(byName.count - used.count) unexpected series (e.g. '\(extra)')")
        }
        return result
    }
}
