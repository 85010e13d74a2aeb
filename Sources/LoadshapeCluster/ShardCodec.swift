import LoadshapeSite
import LoadshapeTransport

/// Encodes a row shard's partial aggregates as protocol series (arrays at the requested resolutions and the
/// native bin, plus one-value counters), and back.
public enum ShardCodec {
    public static func series(_ p: StudyRunner.RowPartial, totals: (Int, Int, Int)) -> [SeriesPayload] {
        var s: [SeriesPayload] = [
            SeriesPayload(name: "gpu", resolutionS: 0.25, values: p.gpu),
            SeriesPayload(name: "it", resolutionS: 0.25, values: p.it),
            SeriesPayload(name: "flat", resolutionS: 0.25, values: p.flat),
        ]
        for (c, v) in p.capped.enumerated() { s.append(SeriesPayload(name: "capped.\(c)", resolutionS: 0.25, values: v)) }
        for (j, racks) in p.rackSeries.enumerated() {
            for (r, v) in racks.enumerated() { s.append(SeriesPayload(name: "rack.\(j).\(r)", resolutionS: 1, values: v)) }
        }
        for (r, v) in p.racks1s.enumerated() { s.append(SeriesPayload(name: "rack1s.\(r)", resolutionS: 1, values: v)) }
        s.append(SeriesPayload(name: "nameplate", resolutionS: 1, values: p.rackNameplateW))
        s.append(SeriesPayload(name: "served", resolutionS: 1, values: [Double(p.served)]))
        s.append(SeriesPayload(name: "clipped", resolutionS: 1, values: p.clippedWh))
        s.append(SeriesPayload(name: "delayed", resolutionS: 1, values: p.tokensDelayed))
        s.append(SeriesPayload(name: "totals", resolutionS: 1, values: [Double(totals.0), Double(totals.1), Double(totals.2)]))
        return s
    }

    public struct DecodeError: Error, CustomStringConvertible {
        public let description: String
    }

    public static func partial(
        site: Int, row: Int, series: [SeriesPayload], spec: StudySpec
    ) throws(DecodeError) -> (StudyRunner.RowPartial, (Int, Int, Int)) {
        var byName: [String: [Double]] = [:]
        for x in series { byName[x.name] = x.values }
        func get(_ n: String) throws(DecodeError) -> [Double] {
            guard let v = byName[n] else { throw DecodeError(description: "partial for shard \(site)/\(row) lacks '\(n)'") }
            return v
        }
        let racks = spec.sites[site].rows[row].racks.count
        let keep1s = spec.sites[site].rows.contains { $0.limitKW != nil }
        var rackSeries: [[[Double]]] = []
        for j in spec.rackResolutions.indices {
            var list: [[Double]] = []
            for r in 0..<racks { list.append(try get("rack.\(j).\(r)")) }
            rackSeries.append(list)
        }
        var racks1s: [[Double]] = []
        if keep1s { for r in 0..<racks { racks1s.append(try get("rack1s.\(r)")) } }
        var capped: [[Double]] = []
        for c in spec.powerCapsW.indices { capped.append(try get("capped.\(c)")) }
        let totals = try get("totals")
        guard totals.count == 3 else { throw DecodeError(description: "totals must hold 3 values") }
        let p = StudyRunner.RowPartial(
            site: site, row: row, gpu: try get("gpu"), it: try get("it"), flat: try get("flat"), capped: capped,
            rackSeries: rackSeries, racks1s: racks1s, rackNameplateW: try get("nameplate"),
            served: Int(try get("served").first ?? 0), clippedWh: try get("clipped"), tokensDelayed: try get("delayed"),
            violations: [], inputs: [])
        return (p, (Int(totals[0]), Int(totals[1]), Int(totals[2])))
    }
}
