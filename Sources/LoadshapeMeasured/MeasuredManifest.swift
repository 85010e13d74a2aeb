import Foundation
import LoadshapeIO

/// What Loadshape uses of a measured run's `manifest.json` (version 2 of the reference's run bundles).
///
/// The manifests are rich (architecture, instrumentation, probe plans…): unknown keys are tolerated, but
/// every field read here is checked and a missing or malformed one is an error naming the file and the
/// field path. Required: `run_id`, `model`, `hardware`, `tp`, `clock.local_utc_offset_s`, and in `server`
/// `max_num_seqs`, `max_num_batched_tokens`, `enable_prefix_caching` and `active_gpu_uuids` (one per TP
/// rank). Clock bases other than local wall time for power and Unix epoch for requests, and non-zero
/// `clock.power_epoch_offset_s` / `clock.engine_epoch_offset_s`, are rejected rather than misread.
public struct MeasuredManifest: Sendable, Equatable {
    /// The engine limits the run was served with.
    public struct Server: Sendable, Equatable {
        public var maxNumSeqs: Int
        public var maxNumBatchedTokens: Int
        public var enablePrefixCaching: Bool
        /// `enable_chunked_prefill` (default true, vLLM's default for these versions).
        public var enableChunkedPrefill: Bool
        public var maxModelLen: Int?
        /// The TP group's GPUs, by nvidia-smi UUID.
        public var activeGPUUUIDs: [String]

        public init(
            maxNumSeqs: Int, maxNumBatchedTokens: Int, enablePrefixCaching: Bool, enableChunkedPrefill: Bool = true,
            maxModelLen: Int? = nil, activeGPUUUIDs: [String]
        ) {
            self.maxNumSeqs = maxNumSeqs
            self.maxNumBatchedTokens = maxNumBatchedTokens
            self.enablePrefixCaching = enablePrefixCaching
            self.enableChunkedPrefill = enableChunkedPrefill
            self.maxModelLen = maxModelLen
            self.activeGPUUUIDs = activeGPUUUIDs
        }
    }

    /// A time window, Unix epoch s.
    public struct Window: Sendable, Equatable {
        public var startEpochS: Double
        public var endEpochS: Double
        public init(startEpochS: Double, endEpochS: Double) {
            self.startEpochS = startEpochS
            self.endEpochS = endEpochS
        }
    }

    public var file: String
    public var manifestVersion: Int?
    public var runID: String
    /// Hugging Face model id, e.g. `Qwen/Qwen3-8B`.
    public var model: String
    /// GPU type, e.g. `A100`, `H100`.
    public var hardware: String
    public var tp: Int
    public var gpusPerNode: Int?
    /// Local time minus UTC, s (−25200 = UTC−7): `epoch = naive_time_as_UTC − localUTCOffsetS`.
    public var localUTCOffsetS: Double
    public var server: Server
    /// `probe.type`: `validate`, `trace_replay`, `agentic`, …
    public var probeType: String?
    /// `validation_role` (top level) or `probe.validation_role`: `development`, `sealed`, …
    public var validationRole: String?
    /// `probe.window`: the whole probe, idle lead included.
    public var probeWindow: Window?
    /// `probe.idle_window` and its requested length (`requested_s`).
    public var idleWindow: Window?
    public var requestedIdleS: Double?
    /// `instrumentation.power.samples`: samples per GPU the harness counted.
    public var powerSamples: Int?
    /// `instrumentation.power.median_cadence_s`.
    public var powerCadenceS: Double?
    public var vllmVersion: String?
    public var gpuDriver: String?

    public static func read(file: String) throws(IOError) -> MeasuredManifest {
        try parse(JSONFields.load(file))
    }

    /// Parses manifest JSON; `file` names it in errors.
    public static func parse(_ data: Data, file: String) throws(IOError) -> MeasuredManifest {
        try parse(JSONFields.parse(data, file: file))
    }

    static func parse(_ fields: JSONFields) throws(IOError) -> MeasuredManifest {
        var f = fields
        let runID = try f.string("run_id")
        let model = try f.string("model")
        let hardware = try f.string("hardware")
        let tp = try f.int("tp", min: 1, max: 64)
        let version = f.has("manifest_version") ? try f.int("manifest_version") : nil
        let gpusPerNode = f.has("gpus_per_node") ? try f.int("gpus_per_node", min: 1) : nil

        var clock = try f.object("clock")
        let offset = try clock.double("local_utc_offset_s", min: -14 * 3600, max: 14 * 3600)
        if clock.has("power_timestamp_basis") {
            _ = try clock.string("power_timestamp_basis", allowed: ["local_wall_time"])
        }
        if clock.has("request_timestamp_basis") {
            _ = try clock.string("request_timestamp_basis", allowed: ["unix_epoch"])
        }
        for key in ["power_epoch_offset_s", "engine_epoch_offset_s"] where clock.has(key) {
            guard try clock.double(key) == 0 else { throw clock.fail(key, "a non-zero offset is not supported") }
        }

        var s = try f.object("server")
        func requiredBool(_ o: inout JSONFields, _ key: String) throws(IOError) -> Bool {
            guard o.has(key) else { throw o.fail(key, "missing (true or false is required)") }
            return try o.bool(key, default: false)
        }
        let uuids = try s.strings("active_gpu_uuids")
        guard uuids.count == tp else {
            throw s.fail("active_gpu_uuids", "lists \(uuids.count) GPUs but tp is \(tp) (one per TP rank is required)")
        }
        guard Set(uuids).count == uuids.count else { throw s.fail("active_gpu_uuids", "lists a GPU twice") }
        let server = Server(
            maxNumSeqs: try s.int("max_num_seqs", min: 1), maxNumBatchedTokens: try s.int("max_num_batched_tokens", min: 1),
            enablePrefixCaching: try requiredBool(&s, "enable_prefix_caching"),
            enableChunkedPrefill: try s.bool("enable_chunked_prefill", default: true),
            maxModelLen: s.has("max_model_len") ? try s.int("max_model_len", min: 1) : nil, activeGPUUUIDs: uuids)

        var m = MeasuredManifest(
            file: f.file, manifestVersion: version, runID: runID, model: model, hardware: hardware, tp: tp,
            gpusPerNode: gpusPerNode, localUTCOffsetS: offset, server: server)
        if f.has("validation_role") { m.validationRole = try f.string("validation_role") }
        if var probe = try f.optionalObject("probe") {
            if probe.has("type") { m.probeType = try probe.string("type") }
            if m.validationRole == nil, probe.has("validation_role") { m.validationRole = try probe.string("validation_role") }
            if var w = try probe.optionalObject("window") { m.probeWindow = try window(&w) }
            if var w = try probe.optionalObject("idle_window") {
                m.idleWindow = try window(&w)
                m.requestedIdleS = try w.optionalDouble("requested_s", min: 0)
            }
        }
        if var inst = try f.optionalObject("instrumentation"), var power = try inst.optionalObject("power") {
            if power.has("samples") { m.powerSamples = try power.int("samples", min: 0) }
            m.powerCadenceS = try power.optionalDouble("median_cadence_s", min: 0)
        }
        if var v = try f.optionalObject("versions") {
            if v.has("vllm") { m.vllmVersion = try v.string("vllm") }
            if v.has("gpu_driver") { m.gpuDriver = try v.string("gpu_driver") }
        }
        return m
    }

    private static func window(_ w: inout JSONFields) throws(IOError) -> Window {
        let a = try w.double("start_epoch", above: 0)
        let b = try w.double("end_epoch", min: a)
        return Window(startEpochS: a, endEpochS: b)
    }

    public init(
        file: String, manifestVersion: Int? = nil, runID: String, model: String, hardware: String, tp: Int,
        gpusPerNode: Int? = nil, localUTCOffsetS: Double, server: Server
    ) {
        self.file = file
        self.manifestVersion = manifestVersion
        self.runID = runID
        self.model = model
        self.hardware = hardware
        self.tp = tp
        self.gpusPerNode = gpusPerNode
        self.localUTCOffsetS = localUTCOffsetS
        self.server = server
    }
}
