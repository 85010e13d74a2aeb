import LoadshapeSite

/// How much of a study one job is: a whole site, one row, or a group of consecutive racks of a row.
public enum ShardSize: Sendable, Equatable, CustomStringConvertible {
    case site
    case row
    case racks(Int)

    /// Parses `site`, `row` or `racks:N`.
    public init?(parsing s: String) {
        switch s {
        case "site": self = .site
        case "row": self = .row
        default:
            guard s.hasPrefix("racks:"), let n = Int(s.dropFirst(6)), n >= 1 else { return nil }
            self = .racks(n)
        }
    }

    public var description: String {
        switch self {
        case .site: return "site"
        case .row: return "row"
        case .racks(let n): return "racks:\(n)"
        }
    }
}

/// One shard: its place in the merge order, its name, and what it covers.
public struct Shard: Sendable, Equatable {
    public enum Scope: Sendable, Equatable {
        case site(Int)
        case row(site: Int, row: Int)
        /// Racks `racks` (indices within the row) of one row.
        case racks(site: Int, row: Int, racks: Range<Int>)
    }
    public var index: Int
    /// `site`, `site/row`, or `site/row/racks-F-L` (racks numbered from 1 within the row, inclusive).
    public var name: String
    public var scope: Scope
    public var site: Int {
        switch scope {
        case .site(let s), .row(let s, _), .racks(let s, _, _): return s
        }
    }
}

/// A study cut into shards, in merge order (sites, rows, racks in spec order). The cut never changes a result:
/// every server's seed comes from the root seed and the server's place in its site, and rows sum their racks in
/// rack order whichever shards computed them.
public struct ShardPlan: Sendable {
    public let size: ShardSize
    public let shards: [Shard]

    public init(spec: StudySpec, size: ShardSize) {
        self.size = size
        var out: [Shard] = []
        for (si, site) in spec.sites.enumerated() {
            switch size {
            case .site:
                out.append(Shard(index: out.count, name: site.name, scope: .site(si)))
            case .row:
                for (ri, row) in site.rows.enumerated() {
                    out.append(Shard(index: out.count, name: "\(site.name)/\(row.name)", scope: .row(site: si, row: ri)))
                }
            case .racks(let n):
                for (ri, row) in site.rows.enumerated() {
                    var start = 0
                    while start < row.racks.count {
                        let end = Swift.min(start + n, row.racks.count)
                        out.append(
                            Shard(
                                index: out.count, name: "\(site.name)/\(row.name)/racks-\(start + 1)-\(end)",
                                scope: .racks(site: si, row: ri, racks: start..<end)))
                        start = end
                    }
                }
            }
        }
        shards = out
    }

    /// The shards a list of names selects: a shard's full name, or a site or `site/row` prefix selecting every
    /// shard under it. An unknown name is an error that lists the shard names.
    public func select(_ names: [String]) throws(ClusterFailure) -> [Int] {
        var picked: Set<Int> = []
        for n in names {
            let hits = shards.filter { $0.name == n || $0.name.hasPrefix(n + "/") }
            guard !hits.isEmpty else {
                let some = shards.prefix(8).map(\.name).joined(separator: ", ")
                throw ClusterFailure(
                    "--shards: no shard is named '\(n)'; shards are named site, site/row or site/row/racks-F-L "
                        + "(this plan: \(some)\(shards.count > 8 ? ", …" : ""))")
            }
            for h in hits { picked.insert(h.index) }
        }
        return picked.sorted()
    }
}
