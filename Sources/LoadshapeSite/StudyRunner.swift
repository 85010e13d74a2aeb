import Foundation
import HeapModule
import LoadshapeCore
import LoadshapeIO
import LoadshapeWorkload

/// A power series at one resolution, W, labelled by interval start.
public struct Series: Sendable {
    public var resolutionS: Double
    public var watts: [Double]
}

/// What a study produced for one site.
public struct SiteResult: Sendable {
    public var name: String
    public var rowNames: [String]
    public var rackNames: [String]
    /// Site GPU, IT and facility power at each site resolution.
    public var gpu: [Series]
    public var it: [Series]
    public var facility: [Series]
    /// Row IT power at each row resolution: [resolution][row].
    public var rows: [[Series]]
    /// Rack IT power at each rack resolution: [resolution][rack].
    public var racks: [[Series]]
    /// Rack IT power at 1 s for the oversubscription draws: every rack, or at most
    /// ``StudyRunner/StudyMerger/rackPoolSize`` evenly spaced in rack order (empty when no row has a limit).
    public var racks1s: [[Double]]
    /// Every rack's 1 s peak, W, in rack order, and the sum of the racks' 1 s traces (when a row has a limit).
    public var rackPeaks1sW: [Double]
    public var it1sFromRacks: [Double]
    /// Site IT power under the flat per-state baseline (SplitwiseSim watts on the same serving model), native.
    public var flatStateITNative: [Double]
    /// Site IT power under each per-GPU cap, native, and what each cap clipped.
    public var cappedITNative: [[Double]]
    public var capClippedEnergyWh: [Double]
    public var capTokensDelayed: [Double]
    public var itNative: [Double]
    public var nameplateITW: Double
    public var rackNameplateITW: [Double]
    public var servers: Int
    public var requests: Int
    public var inputTokens: Int
    public var outputTokens: Int
    public var servedRequests: Int
    public var supportViolations: [String]
    public var facilityNative: [Double]
}

public struct StudyResult: Sendable {
    public var spec: StudySpec
    public var sites: [SiteResult]
    /// Region facility power at each site resolution (the sum of the sites' facility power).
    public var regionFacility: [Series]
    public var inputs: [[String: String]]
}

/// Runs a study on one process, streaming each server's trace into its rack as it is produced and folding racks
/// into rows, rows into the site and sites into the region in a fixed order (bit-for-bit reproducible).
public struct StudyRunner {
    public var spec: StudySpec
    public var catalog: Catalog
    public var allowUnsupported: Bool
    /// Called once per server simulated (from the thread running the shard).
    public var progress: (() -> Void)?
    /// The most requests of a site held at once (``SiteTraffic``): a memory budget, never a result.
    public var blockRequestBudget = SiteTraffic.defaultBlockRequestBudget

    public init(spec: StudySpec, catalog: Catalog, allowUnsupported: Bool = false) {
        self.spec = spec
        self.catalog = catalog
        self.allowUnsupported = allowUnsupported
    }

    static let nativeS = 0.25

    public var bins: Int { Int((spec.durationS / Self.nativeS).rounded(.up)) }

    /// Where a site's requests come from: a generator regenerated on demand (profile, rate series) or a replayed
    /// trace held in memory (its size is the trace file's, not the site's).
    enum RequestSource {
        case generated(TimeVaryingArrivals.Stream, expected: Double)
        case replay([Request])

        var expectedCount: Double {
            switch self {
            case .generated(_, let e): return e
            case .replay(let r): return Double(r.count)
            }
        }
    }

    /// The site's request source (arrivals in s from the study start), recording the files it reads.
    func trafficSource(_ site: SiteSpec, inputs: inout [[String: String]]) throws -> RequestSource {
        let t = site.traffic
        let seed = SeedDerivation.derive(root: spec.seed, stream: "traffic/" + site.name)
        switch t.source {
        case .profile(let name):
            let path = catalog.root + "/workloads/" + name + ".json"
            guard FileManager.default.fileExists(atPath: path) else {
                throw IOError("\(spec.file): site '\(site.name)': traffic profile '\(name)' not found at \(path)")
            }
            inputs.append(["role": "workload_profile", "path": path, "sha256": try Checksum.sha256(file: path)])
            let profile = try WorkloadProfile.load(path: path)
            let mean = t.meanRatePerS ?? profile.meanRatePerS
            let rates = try minuteRates(site, shape: profile.rateShape, shapeIntervalS: profile.rateShapeIntervalS, mean: mean)
            let stream = try TimeVaryingArrivals.Stream(
                profile: rates, durationS: spec.durationS, burstiness: t.burstiness, tokens: profile.tokens, seed: seed)
            return .generated(stream, expected: rates.meanRatePerS * spec.durationS)
        case .rateSeries(let path, let interval, let tokens):
            inputs.append(["role": "rate_series", "path": path, "sha256": try Checksum.sha256(file: path)])
            let profilePath = catalog.root + "/workloads/" + tokens + ".json"
            inputs.append(["role": "workload_profile", "path": profilePath, "sha256": try Checksum.sha256(file: profilePath)])
            let profile = try WorkloadProfile.load(path: profilePath)
            var rates = try Self.readRateSeries(path)
            if let mean = t.meanRatePerS {
                rates = try RateProfile(intervalS: interval, ratesPerS: rates).scaled(toMean: mean).ratesPerS
            }
            let rp = try RateProfile(intervalS: interval, ratesPerS: rates)
            let stream = try TimeVaryingArrivals.Stream(
                profile: rp, durationS: spec.durationS, burstiness: t.burstiness, tokens: profile.tokens, seed: seed)
            return .generated(stream, expected: rp.meanRatePerS * spec.durationS)
        case .trace(let path, let format):
            inputs.append(["role": "trace", "path": path, "sha256": try Checksum.sha256(file: path)])
            let source: [Request]
            switch format {
            case "vllm": source = try VLLMBenchmarkReader.read(path: path)
            case "mooncake": source = try MooncakeTraceReader.read(path: path)
            default: source = try AzureTraceReader.read(path: path)
            }
            guard let first = source.first, let last = source.last, last.arrivalS > first.arrivalS, source.count > 1 else {
                throw IOError("\(path): the trace has no time span")
            }
            // The replay's rate: n − 1 gaps per pass span (TraceReplay loops with period span·n/(n−1)).
            let traceRate = Double(source.count - 1) / (last.arrivalS - first.arrivalS)
            let replay = try TraceReplay(rateScale: (t.meanRatePerS ?? traceRate) / traceRate, durationS: spec.durationS)
            return .replay(try replay.schedule(source).requests)
        }
    }

    /// Reads a single-column CSV of rates (header `rate_per_s`), one value per interval.
    static func readRateSeries(_ path: String) throws(IOError) -> [Double] {
        guard let data = FileManager.default.contents(atPath: path) else { throw IOError("\(path): cannot read the file") }
        let csv = CSVBytes(file: path, bytes: [UInt8](data))
        var rates: [Double] = []
        var header = true
        try csv.forEachLine { (line, r) throws(IOError) in
            if header {
                header = false
                guard csv.string(csv.trim(r)).lowercased() == "rate_per_s" else {
                    throw IOError("\(path):\(line): expected the header 'rate_per_s'")
                }
                return
            }
            guard let v = csv.number(csv.trim(r)), v >= 0, v.isFinite else {
                throw IOError("\(path):\(line): field 'rate_per_s': '\(csv.string(r))' is not a rate ≥ 0")
            }
            rates.append(v)
        }
        guard !rates.isEmpty, rates.contains(where: { $0 > 0 }) else { throw IOError("\(path): no positive rates") }
        return rates
    }

    /// Per-minute rates over the study: the profile's shape (looped), times the diurnal multiplier of the site's
    /// local hour, scaled to `mean`.
    func minuteRates(_ site: SiteSpec, shape: [Double], shapeIntervalS: Double, mean: Double) throws -> RateProfile {
        let minutes = Int((spec.durationS / 60).rounded(.up))
        let tz = TimeZone(identifier: site.timeZone)!
        let diurnal = site.traffic.diurnal.isEmpty ? [Double](repeating: 1, count: 24) : site.traffic.diurnal
        let dMean = diurnal.reduce(0, +) / 24
        var rates: [Double] = []
        rates.reserveCapacity(minutes)
        for m in 0..<minutes {
            let t = Double(m) * 60
            let s = shape.isEmpty ? 1 : shape[Int((t / shapeIntervalS).rounded(.down)) % shape.count]
            let h = localHour(tz, offsetS: t)
            rates.append(s * diurnal[h] / dMean)
        }
        return try RateProfile(intervalS: 60, ratesPerS: rates).scaled(toMean: mean)
    }

    func localHour(_ tz: TimeZone, offsetS: Double) -> Int {
        let epoch = Double(spec.startEpochMillis) / 1000 + offsetS
        let local = epoch + Double(tz.secondsFromGMT(for: Date(timeIntervalSince1970: epoch)))
        let h = Int((local / 3600).rounded(.down)) % 24
        return h < 0 ? h + 24 : h
    }

    /// Accumulates one rack's GPU and IT power at the native bin.
    final class RackAccumulator {
        // Raw buffers, not arrays: the per-bin adds run ~10⁸ times a site-day, and array properties of a class
        // pay a dynamic exclusivity check and a uniqueness check on every write (callgrind: ~15% of a site run).
        let bins: Int
        let caps: Int
        let gpu: UnsafeMutableBufferPointer<Double>
        let it: UnsafeMutableBufferPointer<Double>
        let flat: UnsafeMutableBufferPointer<Double>
        /// Cap c's power at bin k is at `capped[c * bins + k]`.
        let capped: UnsafeMutableBufferPointer<Double>
        let clippedWh: UnsafeMutableBufferPointer<Double>
        let tokensDelayed: UnsafeMutableBufferPointer<Double>
        init(bins: Int, caps: Int) {
            self.bins = bins
            self.caps = caps
            func zeros(_ n: Int) -> UnsafeMutableBufferPointer<Double> {
                let b = UnsafeMutableBufferPointer<Double>.allocate(capacity: n)
                b.initialize(repeating: 0)
                return b
            }
            gpu = zeros(bins)
            it = zeros(bins)
            flat = zeros(bins)
            capped = zeros(bins * caps)
            clippedWh = zeros(caps)
            tokensDelayed = zeros(caps)
        }
        deinit {
            for b in [gpu, it, flat, capped, clippedWh, tokensDelayed] { b.deallocate() }
        }
        func cappedSeries() -> [[Double]] { (0..<caps).map { Array(capped[($0 * bins)..<(($0 + 1) * bins)]) } }
    }

    /// Folds one server's bins into its rack: GPU and IT power, the flat per-state baseline on the same bins, and
    /// the power under each per-GPU cap (the excess over the cap is clipped; the tokens of a clipped bin are
    /// delayed in proportion to the dynamic power removed).
    struct ServerSink: PowerSink {
        let acc: RackAccumulator
        let idleW: Double
        let perUtilW: Double
        let tp: Double
        let others: Double
        let flat: HardwareRecord.FlatStateWatts
        let gpuIdleW: Double
        let caps: [Double]
        func consume(_ b: PowerBin) {
            let k = b.index
            guard k < acc.bins else { return }
            let nonGpu = idleW + perUtilW * b.busy
            acc.gpu[k] += b.nodeGpuW
            acc.it[k] += b.nodeGpuW + nonGpu
            let decode = Swift.max(0, b.busy - b.prefillDuty)
            let f = flat.idle * Swift.max(0, 1 - b.busy) + flat.prefill * b.prefillDuty + flat.decode * decode
            acc.flat[k] += tp * f + others * flat.idle + nonGpu
            let unused = b.nodeGpuW - tp * b.gpuW
            for (c, cap) in caps.enumerated() {
                let g = Swift.min(b.gpuW, cap)
                acc.capped[c * acc.bins + k] += tp * g + unused + nonGpu
                if b.gpuW > cap {
                    acc.clippedWh[c] += tp * (b.gpuW - cap) * 0.25 / 3600
                    let dynamic = Swift.max(b.gpuW - gpuIdleW, 1e-9)
                    let tokens = (b.prefillTokensPerS + b.decodeTokensPerS) * 0.25
                    acc.tokensDelayed[c] += tokens * Swift.min(1, (b.gpuW - cap) / dynamic)
                }
            }
        }
    }

    /// A site's requests, routed to its servers, served a block of servers at a time.
    ///
    /// Routing needs the whole site stream, in order; holding it all would make memory grow with the site. So the
    /// stream is regenerated (it is a pure function of the spec and the root seed) and routed once per block of
    /// consecutive servers, keeping only that block's requests — at most about the runner's `blockRequestBudget`.
    /// Which block a server falls in never changes what it receives. Servers are asked for in increasing order
    /// within a shard; asking out of order only costs another pass.
    public final class SiteTraffic: @unchecked Sendable {
        // @unchecked: used by one thread at a time (a shard's compute thread); nothing is shared across threads.
        /// The most requests one block holds by default (24 bytes each: ≈ 0.4 GB).
        public static let defaultBlockRequestBudget = 16_000_000

        /// A kept request, compactly: a generated one by its index in the stream (its id is formatted only when a
        /// server asks for it), a replayed one by its index in the trace (the rest unused).
        struct Kept {
            var arrivalS: Double
            var index: Int
            var inputTokens: Int32
            var outputTokens: Int32
        }

        let source: RequestSource
        let router: SiteRouter
        public let servers: Int
        public let inputs: [[String: String]]
        /// Servers per block.
        public let blockServers: Int
        private var block = -1
        private var perServer: [[Kept]] = []
        private var counted: (requests: Int, inputTokens: Int, outputTokens: Int)?
        /// Passes over the site stream so far (for the benchmark).
        public private(set) var passes = 0

        init(source: RequestSource, router: SiteRouter, servers: Int, inputs: [[String: String]], budget: Int) {
            self.source = source
            self.router = router
            self.servers = servers
            self.inputs = inputs
            let perServer = Swift.max(source.expectedCount / Double(Swift.max(servers, 1)), 1e-9)
            blockServers = Swift.max(1, Swift.min(servers, Int((Double(budget) / (perServer * 1.2)).rounded(.down))))
        }

        /// The site's requests and prompt and output tokens (one pass over the stream, if none was made yet).
        public func totals() -> (requests: Int, inputTokens: Int, outputTokens: Int) {
            if counted == nil { load(block: -1) }
            return counted!
        }

        /// The requests routed to server `index` (in the site's row, rack, server order), in arrival order.
        public func requests(forServer index: Int) -> [Request] {
            let b = index / blockServers
            if b != block { load(block: b) }
            let kept = perServer[index - b * blockServers]
            switch source {
            case .generated:
                return kept.map {
                    Request(
                        id: ScheduleReader.defaultID($0.index), arrivalS: $0.arrivalS, inputTokens: Int($0.inputTokens),
                        outputTokens: Int($0.outputTokens))
                }
            case .replay(let all):
                return kept.map { all[$0.index] }
            }
        }

        /// One pass: route every request; keep block `b`'s (none for b < 0) and count the totals.
        private func load(block b: Int) {
            passes += 1
            let lo = b < 0 ? 0 : b * blockServers
            let hi = b < 0 ? 0 : Swift.min(servers, lo + blockServers)
            perServer = []  // release the last block before the next one is built
            perServer = [[Kept]](repeating: [], count: hi - lo)
            var router = self.router
            var n = 0
            var inTokens = 0
            var outTokens = 0
            // Generated token counts fit 32 bits (JointTokenHistogram caps its edges at 10⁹ tokens); a replayed
            // request's are read from the trace, never from here.
            func keep(_ index: Int, _ arrivalS: Double, _ input: Int, _ output: Int, server s: Int) {
                perServer[s - lo].append(
                    Kept(arrivalS: arrivalS, index: index, inputTokens: Int32(clamping: input), outputTokens: Int32(clamping: output)))
            }
            // Counts the request into the totals, routes it, and keeps it if it is this block's.
            func take(_ r: Request, index: Int) {
                n += 1
                inTokens += r.inputTokens
                outTokens += r.outputTokens
                let s = router.route(r)
                if s >= lo && s < hi { keep(index, r.arrivalS, r.inputTokens, r.outputTokens, server: s) }
            }
            switch source {
            case .generated(var stream, _) where counted != nil && !router.needsRequest:
                // Totals are known and the rule routes blind: draw tokens only for this block's requests.
                while let a = stream.nextArrival() {
                    let s = router.routeBlind()
                    if s >= lo && s < hi {
                        let (input, output) = stream.drawTokens()
                        keep(a.index, a.arrivalS, input, output, server: s)
                    } else {
                        stream.skipTokens()
                    }
                }
                block = b
                return
            case .generated(var stream, _):
                while let r = stream.nextUnnamed() {
                    take(Request(id: "", arrivalS: r.arrivalS, inputTokens: r.inputTokens, outputTokens: r.outputTokens), index: r.index)
                }
            case .replay(let all):
                for (i, r) in all.enumerated() { take(r, index: i) }
            }
            counted = (n, inTokens, outTokens)
            block = b
        }
    }

    /// Assigns each request of a site's stream, in order, to one of its servers (in row, rack, server order).
    ///
    /// uniform: a seeded draw per request; round-robin: in turn; join-shortest-queue: the server with the fewest
    /// requests in flight, where a request stays in flight for its unloaded service time on that server's
    /// configuration (prefill at the 2048-token chunk rate, then one batch-1 decode iteration per output token);
    /// ties go to the lowest index.
    struct SiteRouter {
        enum Rule {
            case uniform(Xoshiro256StarStar)
            case roundRobin
            case joinShortestQueue(prefillPerToken: [Double], decodePerToken: [Double])
        }
        var rule: Rule
        let servers: Int
        var count = 0
        var inFlight: [Int] = []
        var departures: [Heap<Double>] = []

        /// Whether the rule looks at the request (join-shortest-queue does; uniform and round-robin do not).
        var needsRequest: Bool {
            if case .joinShortestQueue = rule { return true }
            return false
        }

        /// The next request's server under a rule that does not look at the request (`needsRequest` is false).
        mutating func routeBlind() -> Int {
            defer { count += 1 }
            switch rule {
            case .roundRobin:
                return count % servers
            case .uniform(var rng):
                let s = Int(rng.nextBounded(UInt64(servers)))
                rule = .uniform(rng)
                return s
            case .joinShortestQueue:
                preconditionFailure("join-shortest-queue routing needs the request")
            }
        }

        mutating func route(_ r: Request) -> Int {
            guard case .joinShortestQueue(let prefill, let decode) = rule else { return routeBlind() }
            defer { count += 1 }
            do {
                if inFlight.isEmpty {
                    inFlight = [Int](repeating: 0, count: servers)
                    departures = (0..<servers).map { _ in Heap() }
                }
                var best = 0
                var bestCount = Int.max
                for s in 0..<servers {
                    while let d = departures[s].min, d <= r.arrivalS {
                        _ = departures[s].removeMin()
                        inFlight[s] -= 1
                    }
                    if inFlight[s] < bestCount {
                        bestCount = inFlight[s]
                        best = s
                    }
                }
                let service = Double(r.executedInputTokens) * prefill[best] + Double(r.outputTokens) * decode[best]
                departures[best].insert(r.arrivalS + service)
                inFlight[best] += 1
                return best
            }
        }
    }

    /// One shard's work: every server of one row of one site, folded into its racks and the row.
    public struct RowPartial: Sendable, PowerSums {
        public var site: Int
        public var row: Int
        public var gpu: [Double]
        public var it: [Double]
        public var flat: [Double]
        public var capped: [[Double]]
        /// Rack IT power at each rack resolution: [resolution][rack of the row].
        public var rackSeries: [[[Double]]]
        public var racks1s: [[Double]]
        public var rackNameplateW: [Double]
        public var served: Int
        public var clippedWh: [Double]
        public var tokensDelayed: [Double]
        public var violations: [String]
        public var inputs: [[String: String]]

        public init(
            site: Int, row: Int, gpu: [Double], it: [Double], flat: [Double], capped: [[Double]],
            rackSeries: [[[Double]]], racks1s: [[Double]], rackNameplateW: [Double], served: Int, clippedWh: [Double],
            tokensDelayed: [Double], violations: [String], inputs: [[String: String]]
        ) {
            self.site = site
            self.row = row
            self.gpu = gpu
            self.it = it
            self.flat = flat
            self.capped = capped
            self.rackSeries = rackSeries
            self.racks1s = racks1s
            self.rackNameplateW = rackNameplateW
            self.served = served
            self.clippedWh = clippedWh
            self.tokensDelayed = tokensDelayed
            self.violations = violations
            self.inputs = inputs
        }
    }

    /// The site's traffic, routed: a pure function of the spec and the root seed, so any process can recompute it.
    public func siteTraffic(_ siteIndex: Int) throws -> SiteTraffic {
        let site = spec.sites[siteIndex]
        var inputs: [[String: String]] = []
        let source = try trafficSource(site, inputs: &inputs)
        let racks = site.rows.flatMap { $0.racks }
        let n = racks.reduce(0) { $0 + $1.servers }
        return SiteTraffic(
            source: source, router: try router(site, racks: racks, servers: n), servers: n, inputs: inputs,
            budget: blockRequestBudget)
    }

    /// The power sums every level carries at the native bin — GPU, IT, flat-state and per-cap power, and what each
    /// cap clipped and delayed — so racks fold into rows and rows into sites by one loop.
    protocol PowerSums {
        var gpu: [Double] { get set }
        var it: [Double] { get set }
        var flat: [Double] { get set }
        var capped: [[Double]] { get set }
        var clippedWh: [Double] { get set }
        var tokensDelayed: [Double] { get set }
    }

    /// One rack's result at the native bin: what a rack-group shard sends back, and what rows fold.
    public struct RackPartial: Sendable, PowerSums {
        public var site: Int
        public var row: Int
        /// The rack's index within its row.
        public var rack: Int
        public var gpu: [Double]
        public var it: [Double]
        public var flat: [Double]
        public var capped: [[Double]]
        public var clippedWh: [Double]
        public var tokensDelayed: [Double]
        public var served: Int
        public var nameplateW: Double
        public var violations: [String]
        public var inputs: [[String: String]]

        public init(
            site: Int, row: Int, rack: Int, gpu: [Double], it: [Double], flat: [Double], capped: [[Double]],
            clippedWh: [Double], tokensDelayed: [Double], served: Int, nameplateW: Double, violations: [String] = [],
            inputs: [[String: String]] = []
        ) {
            self.site = site
            self.row = row
            self.rack = rack
            self.gpu = gpu
            self.it = it
            self.flat = flat
            self.capped = capped
            self.clippedWh = clippedWh
            self.tokensDelayed = tokensDelayed
            self.served = served
            self.nameplateW = nameplateW
            self.violations = violations
            self.inputs = inputs
        }
    }

    /// Folds a row's racks, in rack order, into the row: the one place a row's sums are formed, so a row computed
    /// whole and a row assembled from rack groups computed anywhere are the same bits.
    public struct RowFolder {
        public private(set) var partial: RowPartial
        public private(set) var racksFolded = 0
        let rackResolutions: [Double]
        let keepRacks1s: Bool
        private var violations: Set<String> = []

        public init(runner: StudyRunner, site: Int, row: Int) {
            let nb = runner.bins
            let caps = runner.spec.powerCapsW.count
            rackResolutions = runner.spec.rackResolutions
            keepRacks1s = runner.spec.sites[site].rows.contains { $0.limitKW != nil }
            partial = RowPartial(
                site: site, row: row, gpu: [Double](repeating: 0, count: nb), it: [Double](repeating: 0, count: nb),
                flat: [Double](repeating: 0, count: nb), capped: (0..<caps).map { _ in [Double](repeating: 0, count: nb) },
                rackSeries: rackResolutions.map { _ in [] }, racks1s: [], rackNameplateW: [], served: 0,
                clippedWh: [Double](repeating: 0, count: caps), tokensDelayed: [Double](repeating: 0, count: caps),
                violations: [], inputs: [])
        }

        /// Adds the next rack of the row (racks must come in order).
        public mutating func add(_ r: RackPartial) {
            precondition(r.rack == racksFolded, "racks fold in order")
            partial.addSums(r)
            for (j, res) in rackResolutions.enumerated() { partial.rackSeries[j].append(StudyRunner.downsample(r.it, res)) }
            if keepRacks1s { partial.racks1s.append(StudyRunner.downsample(r.it, 1)) }
            partial.rackNameplateW.append(r.nameplateW)
            partial.served += r.served
            for v in r.violations { violations.insert(v) }
            for i in r.inputs where !partial.inputs.contains(where: { $0["path"] == i["path"] }) { partial.inputs.append(i) }
            racksFolded += 1
        }

        public func finish() -> RowPartial {
            var p = partial
            p.violations = violations.sorted()
            return p
        }
    }

    /// Computes one row of one site (a shard) from the site's traffic.
    public func runRow(site siteIndex: Int, row rowIndex: Int, traffic: SiteTraffic) throws -> RowPartial {
        var folder = RowFolder(runner: self, site: siteIndex, row: rowIndex)
        var cache: [String: (ServerModel, ResolvedConfiguration)] = [:]
        for r in spec.sites[siteIndex].rows[rowIndex].racks.indices {
            folder.add(try runRack(site: siteIndex, row: rowIndex, rack: r, traffic: traffic, models: &cache))
        }
        return folder.finish()
    }

    /// Computes racks `racks` of one row (a rack-group shard), each at the native bin.
    public func runRacks(site siteIndex: Int, row rowIndex: Int, racks: Range<Int>, traffic: SiteTraffic) throws
        -> [RackPartial]
    {
        var cache: [String: (ServerModel, ResolvedConfiguration)] = [:]
        return try racks.map { try runRack(site: siteIndex, row: rowIndex, rack: $0, traffic: traffic, models: &cache) }
    }

    /// Simulates every server of one rack, streaming each server's bins into the rack's sums.
    func runRack(
        site siteIndex: Int, row rowIndex: Int, rack rackIndex: Int, traffic: SiteTraffic,
        models: inout [String: (ServerModel, ResolvedConfiguration)]
    ) throws -> RackPartial {
        let site = spec.sites[siteIndex]
        let row = site.rows[rowIndex]
        let rack = row.racks[rackIndex]
        let nb = bins
        let caps = spec.powerCapsW
        var serverIndex = site.rows[..<rowIndex].reduce(0) { $0 + $1.racks.reduce(0) { $0 + $1.servers } }
        serverIndex += row.racks[..<rackIndex].reduce(0) { $0 + $1.servers }
        var inputs: [[String: String]] = []
        let key = "\(rack.model)|\(rack.gpu)|\(rack.tp)|\(rack.gpusPerServer)|\(rack.powerModel ?? "")"
        if models[key] == nil {
            let r = try resolve(rack, in: row)
            let pm = r.powerModel.record
            let server = try ServerModel(
                architecture: r.model.record, hardware: r.hardware.record, tp: rack.tp,
                gpusPerNode: rack.gpusPerServer, timing: pm.timing, engine: .vllmDefault, surface: pm.surface,
                noise: pm.noise)
            models[key] = (server, r)
        }
        let (server, resolved) = models[key]!
        for (path, sha) in [
            (resolved.model.path, resolved.model.sha256), (resolved.hardware.path, resolved.hardware.sha256),
            (resolved.powerModel.path, resolved.powerModel.sha256),
        ] where !inputs.contains(where: { $0["path"] == path }) {
            inputs.append(["role": "record", "path": path, "sha256": sha])
        }
        let acc = RackAccumulator(bins: nb, caps: caps.count)
        var served = 0
        for _ in 0..<rack.servers {
            let mine = traffic.requests(forServer: serverIndex)
            let seed = SeedDerivation.derive(root: spec.seed, stream: "fluctuation/\(site.name)", index: UInt64(serverIndex))
            let sink = ServerSink(
                acc: acc, idleW: rack.nonGpuIdleW, perUtilW: rack.nonGpuPerUtilW, tp: Double(rack.tp),
                others: Double(rack.gpusPerServer - rack.tp), flat: server.hardware.flatStateW,
                gpuIdleW: server.surface.idleW, caps: caps)
            let r = try server.run(mine, noiseSeed: seed, horizonBins: nb, sink: sink)
            served += r.result.outcomes.filter { $0.lastTokenS.isFinite && $0.lastTokenS < spec.durationS }.count
            serverIndex += 1
            progress?()
        }
        return RackPartial(
            site: siteIndex, row: rowIndex, rack: rackIndex, gpu: Array(acc.gpu), it: Array(acc.it), flat: Array(acc.flat),
            capped: acc.cappedSeries(), clippedWh: Array(acc.clippedWh), tokensDelayed: Array(acc.tokensDelayed), served: served,
            nameplateW: Double(rack.servers)
                * (Double(rack.gpusPerServer) * server.hardware.tdpW + rack.nonGpuIdleW + rack.nonGpuPerUtilW),
            violations: resolved.violations, inputs: inputs)
    }

    /// The serving configuration of a rack, or an error naming where the rack is written.
    func resolve(_ rack: RackSpec, in row: RowSpec) throws(IOError) -> ResolvedConfiguration {
        do {
            return try catalog.resolve(
                model: rack.model, gpu: rack.gpu, tp: rack.tp, gpusPerNode: rack.gpusPerServer,
                powerModel: rack.powerModel, allowUnsupported: allowUnsupported)
        } catch {
            throw IOError("\(rack.location): rack '\(row.name)/\(rack.name)': \(error.message)")
        }
    }

    /// The shards of the study, in merge order: (site, row) for every row of every site.
    public var shards: [(site: Int, row: Int)] {
        spec.sites.enumerated().flatMap { si, s in s.rows.indices.map { (site: si, row: $0) } }
    }

    /// Merges row partials (in any arrival order; they are sorted into shard order first) into the study result.
    /// Rows add into their site, and sites into the region, always in spec order, so the result does not depend
    /// on which process computed which shard.
    public func merge(_ partials: [RowPartial], traffic totals: [(requests: Int, inputTokens: Int, outputTokens: Int)])
        -> StudyResult
    {
        var merger = StudyMerger(runner: self)
        for p in partials.sorted(by: { ($0.site, $0.row) < ($1.site, $1.row) }) { merger.add(p) }
        return merger.finish(traffic: totals)
    }

    /// Folds rows into their site, and sites into the region, as rows arrive in spec order — holding only each
    /// site's sums and the series the outputs need, never the rows' 250 ms arrays, so memory does not grow with
    /// the number of rows.
    public struct StudyMerger {
        /// At most this many racks' 1 s traces are kept per site for the oversubscription draws (evenly spaced in
        /// rack order; every rack when the site has fewer). Every rack still counts in the 1 s diversity figures.
        public static let rackPoolSize = 64

        let runner: StudyRunner
        var results: [SiteResult] = []
        var region: [Double]
        var inputs: [[String: String]]
        var site: Accumulator?

        struct Accumulator: PowerSums {
            var index: Int
            var nextRow = 0
            var gpu: [Double]
            var it: [Double]
            var flat: [Double]
            var capped: [[Double]]
            var clippedWh: [Double]
            var tokensDelayed: [Double]
            var rowSeries: [[Series]]
            var rackSeries: [[Series]]
            var pool: [[Double]] = []
            var poolIndices: Set<Int>
            var rackPeaks1s: [Double] = []
            var it1sFromRacks: [Double] = []
            var racksSeen = 0
            var rackNameplate: [Double] = []
            var violations: Set<String> = []
            var served = 0
        }

        public init(runner: StudyRunner) {
            self.runner = runner
            region = [Double](repeating: 0, count: runner.bins)
            inputs = [["role": "study", "path": runner.spec.file, "sha256": (try? Checksum.sha256(file: runner.spec.file)) ?? ""]]
        }

        func fresh(_ si: Int) -> Accumulator {
            let nb = runner.bins
            let caps = runner.spec.powerCapsW.count
            let m = runner.spec.sites[si].rows.reduce(0) { $0 + $1.racks.count }
            let k = StudyMerger.rackPoolSize
            let pool = m <= k ? Set(0..<m) : Set((0..<k).map { $0 * m / k })
            return Accumulator(
                index: si, gpu: [Double](repeating: 0, count: nb), it: [Double](repeating: 0, count: nb),
                flat: [Double](repeating: 0, count: nb), capped: (0..<caps).map { _ in [Double](repeating: 0, count: nb) },
                clippedWh: [Double](repeating: 0, count: caps), tokensDelayed: [Double](repeating: 0, count: caps),
                rowSeries: runner.spec.rowResolutions.map { _ in [] }, rackSeries: runner.spec.rackResolutions.map { _ in [] },
                poolIndices: pool)
        }

        /// Adds the next row; rows must come in spec order (sites, then rows), each exactly once.
        public mutating func add(_ p: RowPartial) {
            if site == nil || site!.index != p.site {
                if site != nil { closeSite() }
                while results.count < p.site { site = fresh(results.count); closeSite() }
                site = fresh(p.site)
            }
            precondition(site!.nextRow == p.row, "rows merge in spec order")
            let nb = runner.bins
            for i in p.inputs where !inputs.contains(where: { $0["path"] == i["path"] }) { inputs.append(i) }
            var a = site!
            site = nil
            a.addSums(p)
            for (j, res) in runner.spec.rowResolutions.enumerated() {
                a.rowSeries[j].append(Series(resolutionS: res, watts: StudyRunner.downsample(p.it, res)))
            }
            for (j, res) in runner.spec.rackResolutions.enumerated() {
                a.rackSeries[j] += p.rackSeries[j].map { Series(resolutionS: res, watts: $0) }
            }
            for r in p.racks1s {
                if a.it1sFromRacks.isEmpty { a.it1sFromRacks = [Double](repeating: 0, count: r.count) }
                for k in 0..<Swift.min(r.count, a.it1sFromRacks.count) { a.it1sFromRacks[k] += r[k] }
                a.rackPeaks1s.append(r.max() ?? 0)
                if a.poolIndices.contains(a.racksSeen) { a.pool.append(r) }
                a.racksSeen += 1
            }
            a.rackNameplate += p.rackNameplateW
            a.served += p.served
            for v in p.violations { a.violations.insert(v) }
            a.nextRow += 1
            site = a
        }

        mutating func closeSite() {
            guard let a = site else { return }
            site = nil
            let si = a.index
            let s = runner.spec.sites[si]
            let res = runner.spec.siteResolutions
            let facility = runner.facilityPower(s, it: a.it)
            for k in 0..<region.count { region[k] += facility[k] }
            results.append(
                SiteResult(
                    name: s.name, rowNames: s.rows.map(\.name),
                    rackNames: s.rows.flatMap { r in r.racks.map { "\(r.name)/\($0.name)" } },
                    gpu: res.map { Series(resolutionS: $0, watts: StudyRunner.downsample(a.gpu, $0)) },
                    it: res.map { Series(resolutionS: $0, watts: StudyRunner.downsample(a.it, $0)) },
                    facility: res.map { Series(resolutionS: $0, watts: StudyRunner.downsample(facility, $0)) },
                    rows: a.rowSeries, racks: a.rackSeries, racks1s: a.pool, rackPeaks1sW: a.rackPeaks1s,
                    it1sFromRacks: a.it1sFromRacks, flatStateITNative: a.flat,
                    cappedITNative: a.capped, capClippedEnergyWh: a.clippedWh, capTokensDelayed: a.tokensDelayed, itNative: a.it,
                    nameplateITW: a.rackNameplate.reduce(0, +), rackNameplateITW: a.rackNameplate,
                    servers: s.rows.reduce(0) { $0 + $1.racks.reduce(0) { $0 + $1.servers } }, requests: 0,
                    inputTokens: 0, outputTokens: 0, servedRequests: a.served, supportViolations: a.violations.sorted(),
                    facilityNative: facility))
        }

        /// Closes the last site and returns the study result, with each site's traffic totals.
        public mutating func finish(traffic totals: [(requests: Int, inputTokens: Int, outputTokens: Int)]) -> StudyResult {
            closeSite()
            while results.count < runner.spec.sites.count { site = fresh(results.count); closeSite() }
            for i in results.indices where i < totals.count {
                (results[i].requests, results[i].inputTokens, results[i].outputTokens) = totals[i]
            }
            return StudyResult(
                spec: runner.spec, sites: results,
                regionFacility: runner.spec.siteResolutions.map { Series(resolutionS: $0, watts: StudyRunner.downsample(region, $0)) },
                inputs: inputs)
        }
    }

    /// Facility power: IT × the PUE of each bin's local hour.
    func facilityPower(_ site: SiteSpec, it: [Double]) -> [Double] {
        let tz = TimeZone(identifier: site.timeZone)!
        var facility = [Double](repeating: 0, count: it.count)
        var hourCache: [Int: Double] = [:]
        for k in 0..<it.count {
            let pue: Double
            if site.pue.count == 1 {
                pue = site.pue[0]
            } else {
                let hourIndex = k / 14_400
                if let c = hourCache[hourIndex] { pue = c } else {
                    let c = site.pue[localHour(tz, offsetS: Double(hourIndex) * 3600)]
                    hourCache[hourIndex] = c
                    pue = c
                }
            }
            facility[k] = it[k] * pue
        }
        return facility
    }

    /// The inputs a run records (the spec, every record, every traffic file, with SHA-256) and each site's support
    /// violations, without simulating anything; in the order `run()` records them.
    public func resolveInputs() throws -> (inputs: [[String: String]], violations: [[String]]) {
        var inputs: [[String: String]] = [["role": "study", "path": spec.file, "sha256": (try? Checksum.sha256(file: spec.file)) ?? ""]]
        var violations: [[String]] = []
        for site in spec.sites {
            var v: Set<String> = []
            for row in site.rows {
                for rack in row.racks {
                    let r = try resolve(rack, in: row)
                    for x in r.violations { v.insert(x) }
                    for (path, sha) in [(r.model.path, r.model.sha256), (r.hardware.path, r.hardware.sha256), (r.powerModel.path, r.powerModel.sha256)]
                    where !inputs.contains(where: { $0["path"] == path }) {
                        inputs.append(["role": "record", "path": path, "sha256": sha])
                    }
                }
            }
            violations.append(v.sorted())
        }
        for site in spec.sites {
            var files: [(String, String)] = []
            switch site.traffic.source {
            case .profile(let name): files = [("workload_profile", catalog.root + "/workloads/" + name + ".json")]
            case .trace(let path, _): files = [("trace", path)]
            case .rateSeries(let path, _, let tokens):
                files = [("rate_series", path), ("workload_profile", catalog.root + "/workloads/" + tokens + ".json")]
            }
            for (role, path) in files where !inputs.contains(where: { $0["path"] == path }) {
                inputs.append(["role": role, "path": path, "sha256": try Checksum.sha256(file: path)])
            }
        }
        return (inputs, violations)
    }

    /// Runs every shard in this process, then merges: the single-process study.
    public func run() throws -> StudyResult {
        var merger = StudyMerger(runner: self)
        var totals: [(requests: Int, inputTokens: Int, outputTokens: Int)] = []
        var trafficInputs: [[String: String]] = []
        for si in spec.sites.indices {
            let t = try siteTraffic(si)
            trafficInputs += t.inputs
            for ri in spec.sites[si].rows.indices { merger.add(try runRow(site: si, row: ri, traffic: t)) }
            totals.append(t.totals())
        }
        var result = merger.finish(traffic: totals)
        for i in trafficInputs where !result.inputs.contains(where: { $0["path"] == i["path"] }) { result.inputs.append(i) }
        return result
    }

    /// The site's routing rule, with the per-server service-time constants join-shortest-queue needs.
    func router(_ site: SiteSpec, racks: [RackSpec], servers n: Int) throws -> SiteRouter {
        switch site.traffic.routing {
        case "round-robin":
            return SiteRouter(rule: .roundRobin, servers: n)
        case "join-shortest-queue":
            var prefillPerToken: [Double] = []
            var decodePerToken: [Double] = []
            var cache: [String: (Double, Double)] = [:]
            for rack in racks {
                let key = "\(rack.model)|\(rack.gpu)|\(rack.tp)|\(rack.gpusPerServer)|\(rack.powerModel ?? "")"
                if cache[key] == nil {
                    let r = try catalog.resolve(
                        model: rack.model, gpu: rack.gpu, tp: rack.tp, gpusPerNode: rack.gpusPerServer,
                        powerModel: rack.powerModel, allowUnsupported: allowUnsupported)
                    let cost = try IterationCostModel(
                        architecture: r.model.record, hardware: r.hardware.record, timing: r.powerModel.record.timing,
                        tp: rack.tp)
                    cache[key] = (
                        cost.prefillIterationTime(tokens: 2048).duration / 2048,
                        cost.decodeIterationTime(batch: 1, context: 1000).duration
                    )
                }
                for _ in 0..<rack.servers {
                    prefillPerToken.append(cache[key]!.0)
                    decodePerToken.append(cache[key]!.1)
                }
            }
            return SiteRouter(rule: .joinShortestQueue(prefillPerToken: prefillPerToken, decodePerToken: decodePerToken), servers: n)
        default:
            let rng = Xoshiro256StarStar(seed: SeedDerivation.derive(root: spec.seed, stream: "routing/" + site.name))
            return SiteRouter(rule: .uniform(rng), servers: n)
        }
    }

    /// Means of consecutive native bins covering `resolutionS` each (a trailing partial interval is the mean of
    /// the bins it has).
    public static func downsample(_ native: [Double], _ resolutionS: Double) -> [Double] {
        let f = downsampleFactor(resolutionS)
        guard f > 1 else { return native }
        var out: [Double] = []
        out.reserveCapacity(native.count / f + 1)
        var i = 0
        while i < native.count {
            let e = Swift.min(i + f, native.count)
            var s = 0.0
            for k in i..<e { s += native[k] }
            out.append(s / Double(e - i))
            i = e
        }
        return out
    }

    /// How many values `downsample` makes of `nativeCount` native bins at `resolutionS`.
    public static func downsampledCount(_ nativeCount: Int, _ resolutionS: Double) -> Int {
        let f = downsampleFactor(resolutionS)
        return f > 1 ? (nativeCount + f - 1) / f : nativeCount
    }

    private static func downsampleFactor(_ resolutionS: Double) -> Int { Int((resolutionS / nativeS).rounded()) }
}

extension StudyRunner.PowerSums {
    /// Adds `o`'s sums into these, bin by bin (the order of the adds is the order of the calls).
    mutating func addSums(_ o: some StudyRunner.PowerSums) {
        let nb = gpu.count
        for k in 0..<nb {
            gpu[k] += o.gpu[k]
            it[k] += o.it[k]
            flat[k] += o.flat[k]
        }
        for c in 0..<capped.count {
            for k in 0..<nb { capped[c][k] += o.capped[c][k] }
            clippedWh[c] += o.clippedWh[c]
            tokensDelayed[c] += o.tokensDelayed[c]
        }
    }
}
