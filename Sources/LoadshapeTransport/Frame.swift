/// The wire frame (docs/wire-protocol.md): a 16-byte little-endian header — magic `LSWP`, version (UInt16), message
/// type (UInt8), flags (UInt8, 0), payload length (UInt32), CRC-32 of the payload (UInt32) — then the payload.
public struct Frame: Sendable, Equatable {
    public static let magic: [UInt8] = Array("LSWP".utf8)
    public static let version: UInt16 = 1
    public static let headerSize = 16

    public var type: UInt8
    public var payload: [UInt8]

    public init(type: UInt8, payload: [UInt8]) {
        self.type = type
        self.payload = payload
    }

    /// The frame's bytes.
    public func encoded() -> [UInt8] {
        var out = Frame.magic
        out.reserveCapacity(Frame.headerSize + payload.count)
        Wire.put(&out, Frame.version)
        out.append(type)
        out.append(0)
        Wire.put(&out, UInt32(payload.count))
        Wire.put(&out, CRC32.checksum(payload))
        out.append(contentsOf: payload)
        return out
    }
}

/// Reassembles frames from bytes arriving in any chunking, rejecting bad ones with a ``TransportError``.
///
/// The payload length is checked against `maxPayload` as soon as the header is complete, so an oversized frame
/// is refused before its body is buffered; after an error the decoder is unusable (the stream cannot be trusted
/// to resynchronise) and every further call rethrows it.
public struct FrameDecoder: Sendable {
    public let maxPayload: Int
    private var buffer: [UInt8] = []
    private var failure: TransportError?

    public init(maxPayload: Int = 64 << 20) {
        self.maxPayload = maxPayload
    }

    public mutating func append<C: Collection>(_ bytes: C) where C.Element == UInt8 { buffer.append(contentsOf: bytes) }

    /// The next complete frame, or nil when more bytes are needed.
    public mutating func next() throws(TransportError) -> Frame? {
        if let f = failure { throw f }
        do {
            return try decodeNext()
        } catch {
            failure = error
            throw error
        }
    }

    /// Bytes held that do not yet form a frame.
    public var pendingBytes: Int { buffer.count }

    private mutating func decodeNext() throws(TransportError) -> Frame? {
        guard let f = try Frame.checked(buffer, maxPayload: maxPayload) else { return nil }
        let payload = Array(buffer[f.payload])
        buffer.removeFirst(f.payload.upperBound)
        return Frame(type: f.type, payload: payload)
    }
}

extension Frame {
    /// The frame at the start of `bytes`, header and CRC checked: its type and where its payload lies in `bytes`.
    /// Nil while the bytes end before the frame does; bytes after it are left to the caller.
    static func checked(_ bytes: [UInt8], maxPayload: Int) throws(TransportError) -> (type: UInt8, payload: Range<Int>)? {
        guard let h = try header(bytes, maxPayload: maxPayload) else { return nil }
        let payload = headerSize..<(headerSize + h.length)
        guard bytes.count >= payload.upperBound else { return nil }
        let crc = bytes.withUnsafeBytes { CRC32.checksum(UnsafeRawBufferPointer(rebasing: $0[payload])) }
        guard crc == h.crc else {
            throw TransportError(.checksumMismatch, "payload checksum does not match (corrupt frame)")
        }
        return (h.type, payload)
    }

    /// The header at the start of `bytes`: nil while fewer than 16 bytes are there; throws as soon as the bytes
    /// there cannot start a frame (bad magic, version or flags, a payload over `maxPayload`).
    static func header(_ bytes: [UInt8], maxPayload: Int) throws(TransportError) -> (type: UInt8, length: Int, crc: UInt32)? {
        let n = Swift.min(bytes.count, 4)
        if bytes[0..<n] != Frame.magic[0..<n] {
            throw TransportError(.badMagic, "frame does not start with LSWP")
        }
        guard bytes.count >= Frame.headerSize else { return nil }
        var r = WireReader(bytes, from: 4)
        let version: UInt16 = try r.read()
        guard version == Frame.version else {
            throw TransportError(.unsupportedVersion, "protocol version \(version); this build speaks \(Frame.version)")
        }
        let type: UInt8 = try r.read()
        let flags: UInt8 = try r.read()
        guard flags == 0 else { throw TransportError(.malformedPayload, "unknown flags \(flags)") }
        let length = Int(try r.read() as UInt32)
        let crc: UInt32 = try r.read()
        guard length <= maxPayload else {
            throw TransportError(.oversized, "payload of \(length) bytes exceeds the limit of \(maxPayload)")
        }
        return (type, length, crc)
    }
}
