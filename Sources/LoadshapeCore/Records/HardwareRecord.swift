/// A GPU type: the datasheet figures the roofline and the baselines need.
public struct HardwareRecord: Sendable, Equatable, Codable {
    /// Canonical name, e.g. `A100-80GB`.
    public var name: String
    /// Short names accepted on the command line, e.g. `A100`.
    public var aliases: [String]
    /// Peak dense BF16 tensor throughput, FLOP/s.
    public var peakDenseBF16FlopsPerS: Double
    /// HBM bandwidth, bytes/s.
    public var hbmBandwidthBytesPerS: Double
    /// HBM capacity, bytes.
    public var hbmCapacityBytes: Double
    /// Thermal design power (board power limit), W.
    public var tdpW: Double
    /// SplitwiseSim's flat per-state watts for this GPU (the flat-state baseline).
    public var flatStateW: FlatStateWatts

    public struct FlatStateWatts: Sendable, Equatable, Codable {
        public var idle: Double
        public var prefill: Double
        public var decode: Double
        public init(idle: Double, prefill: Double, decode: Double) {
            self.idle = idle
            self.prefill = prefill
            self.decode = decode
        }
    }

    public init(
        name: String, aliases: [String], peakDenseBF16FlopsPerS: Double, hbmBandwidthBytesPerS: Double,
        hbmCapacityBytes: Double, tdpW: Double, flatStateW: FlatStateWatts
    ) {
        self.name = name
        self.aliases = aliases
        self.peakDenseBF16FlopsPerS = peakDenseBF16FlopsPerS
        self.hbmBandwidthBytesPerS = hbmBandwidthBytesPerS
        self.hbmCapacityBytes = hbmCapacityBytes
        self.tdpW = tdpW
        self.flatStateW = flatStateW
    }

    /// Whether `name` names this hardware (canonical name or alias, case-insensitive).
    public func matches(_ name: String) -> Bool {
        let n = name.lowercased()
        return self.name.lowercased() == n || aliases.contains { $0.lowercased() == n }
    }
}
