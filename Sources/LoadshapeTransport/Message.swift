/// A named array of a partial aggregate at one resolution.
public struct SeriesPayload: Sendable, Equatable {
    public var name: String
    public var resolutionS: Double
    public var values: [Double]
    public init(name: String, resolutionS: Double, values: [Double]) {
        self.name = name
        self.resolutionS = resolutionS
        self.values = values
    }
}

/// The coordinator/worker protocol's messages (docs/wire-protocol.md). Each is one ``Frame``.
public enum Message: Sendable, Equatable {
    /// Worker → coordinator: I am here and can take `capacity` more shards now (0: reconnecting with a shard in
    /// hand, which my heartbeats name).
    case hello(workerID: String, capacity: UInt32)
    /// Coordinator → worker: run this shard of this job. The study spec travels with it (with the path it was read
    /// from, for messages and relative inputs, and its SHA-256); `plan` is the shard size (`site`, `row`,
    /// `racks:N`) that numbers the shards; `seed` is the study's root seed.
    case job(
        jobID: String, shard: UInt32, shardName: String, plan: String, seed: UInt64, specPath: String,
        specSHA256: String, spec: String)
    /// Coordinator → worker: the shard is yours for `leaseMillis` after each heartbeat you send; after that silence it is re-dispatched.
    case lease(jobID: String, shard: UInt32, attempt: UInt32, leaseMillis: UInt64)
    /// Worker → coordinator: still alive, `progress` (0–1) through `shard` (or idle when shard is UInt32.max).
    case heartbeat(workerID: String, shard: UInt32, progress: Double)
    /// Worker → coordinator: a finished shard's partial aggregates.
    case partial(jobID: String, shard: UInt32, attempt: UInt32, series: [SeriesPayload])
    /// Either way: a failure, as a code and a message (never a Swift type).
    case error(code: UInt32, message: String)
    /// Coordinator → worker: stop.
    case shutdown(reason: String)

    var type: UInt8 {
        switch self {
        case .hello: return 1
        case .job: return 2
        case .lease: return 3
        case .heartbeat: return 4
        case .partial: return 5
        case .error: return 6
        case .shutdown: return 7
        }
    }

    /// The message as one frame.
    public func frame() -> Frame {
        var p: [UInt8] = []
        switch self {
        case .hello(let w, let c):
            Wire.put(&p, w)
            Wire.put(&p, c)
        case .job(let j, let s, let n, let plan, let seed, let path, let sha, let spec):
            Wire.put(&p, j)
            Wire.put(&p, s)
            Wire.put(&p, n)
            Wire.put(&p, plan)
            Wire.put(&p, seed)
            Wire.put(&p, path)
            Wire.put(&p, sha)
            Wire.put(&p, spec)
        case .lease(let j, let s, let a, let d):
            Wire.put(&p, j)
            Wire.put(&p, s)
            Wire.put(&p, a)
            Wire.put(&p, d)
        case .heartbeat(let w, let s, let progress):
            Wire.put(&p, w)
            Wire.put(&p, s)
            Wire.put(&p, progress)
        case .partial(let j, let s, let a, let series):
            Wire.put(&p, j)
            Wire.put(&p, s)
            Wire.put(&p, a)
            Wire.put(&p, UInt32(series.count))
            for x in series {
                Wire.put(&p, x.name)
                Wire.put(&p, x.resolutionS)
                Wire.put(&p, x.values)
            }
        case .error(let c, let m):
            Wire.put(&p, c)
            Wire.put(&p, m)
        case .shutdown(let r):
            Wire.put(&p, r)
        }
        return Frame(type: type, payload: p)
    }

    /// Decodes a frame's payload, rejecting unknown types, truncation, trailing bytes and impossible values.
    public static func decode(_ f: Frame) throws(TransportError) -> Message {
        var r = WireReader(f.payload)
        return try decode(type: f.type, &r)
    }

    /// Decodes a message that arrives whole — one ZeroMQ message, one journal file: exactly one frame, checked
    /// (header, length, CRC) and decoded in place, without copying the payload out (a partial is tens of MB).
    /// Nil when the bytes end before the frame does; bytes after the frame are rejected.
    public static func decode(wholeFrame bytes: [UInt8], maxPayload: Int) throws(TransportError) -> Message? {
        guard let f = try Frame.checked(bytes, maxPayload: maxPayload) else { return nil }
        guard bytes.count == f.payload.upperBound else {
            throw TransportError(.malformedPayload, "\(bytes.count - f.payload.upperBound) bytes after the frame")
        }
        var r = WireReader(bytes, from: f.payload.lowerBound)
        return try decode(type: f.type, &r)
    }

    private static func decode(type: UInt8, _ r: inout WireReader) throws(TransportError) -> Message {
        let m: Message
        switch type {
        case 1: m = .hello(workerID: try r.readString(max: 256), capacity: try r.read())
        case 2:
            m = .job(
                jobID: try r.readString(max: 256), shard: try r.read(), shardName: try r.readString(max: 1024),
                plan: try r.readString(max: 64), seed: try r.read(), specPath: try r.readString(max: 4096),
                specSHA256: try r.readString(max: 128), spec: try r.readString(max: 16 << 20))
        case 3: m = .lease(jobID: try r.readString(max: 256), shard: try r.read(), attempt: try r.read(), leaseMillis: try r.read())
        case 4:
            let w = try r.readString(max: 256)
            let s: UInt32 = try r.read()
            let p = try r.readDouble()
            guard p.isFinite && p >= 0 && p <= 1 else { throw TransportError(.malformedPayload, "heartbeat progress \(p) is not in [0, 1]") }
            m = .heartbeat(workerID: w, shard: s, progress: p)
        case 5:
            let j = try r.readString(max: 256)
            let s: UInt32 = try r.read()
            let a: UInt32 = try r.read()
            let n = Int(try r.read() as UInt32)
            guard n <= 4096 else { throw TransportError(.malformedPayload, "\(n) series in one partial") }
            var series: [SeriesPayload] = []
            for _ in 0..<n {
                let name = try r.readString(max: 1024)
                let res = try r.readDouble()
                guard res.isFinite && res > 0 else { throw TransportError(.malformedPayload, "series '\(name)' has resolution \(res)") }
                series.append(SeriesPayload(name: name, resolutionS: res, values: try r.readDoubles()))
            }
            m = .partial(jobID: j, shard: s, attempt: a, series: series)
        case 6: m = .error(code: try r.read(), message: try r.readString())
        case 7: m = .shutdown(reason: try r.readString())
        default: throw TransportError(.unknownType, "message type \(type)")
        }
        try r.finish()
        return m
    }
}
