/// Little-endian primitives of the payload encoding.
enum Wire {
    static func put<T: FixedWidthInteger>(_ out: inout [UInt8], _ v: T) {
        withUnsafeBytes(of: v.littleEndian) { out.append(contentsOf: $0) }
    }

    static func put(_ out: inout [UInt8], _ v: Double) { put(&out, v.bitPattern) }

    static func put(_ out: inout [UInt8], _ s: String) {
        let u = Array(s.utf8)
        put(&out, UInt32(u.count))
        out.append(contentsOf: u)
    }

    static func put(_ out: inout [UInt8], _ a: [Double]) {
        put(&out, UInt32(a.count))
        #if _endian(little)
        a.withUnsafeBytes { out.append(contentsOf: $0) }  // the IEEE-754 bit patterns, little-endian, in bulk
        #else
        out.reserveCapacity(out.count + 8 * a.count)
        for v in a { put(&out, v.bitPattern) }
        #endif
    }
}

/// Reads the payload encoding, throwing on truncation or implausible lengths (never trapping).
struct WireReader {
    let bytes: [UInt8]
    var offset: Int

    init(_ bytes: [UInt8], from offset: Int = 0) {
        self.bytes = bytes
        self.offset = offset
    }

    var remaining: Int { bytes.count - offset }

    mutating func read<T: FixedWidthInteger>() throws(TransportError) -> T {
        let size = MemoryLayout<T>.size
        guard remaining >= size else { throw TransportError(.malformedPayload, "truncated: needed \(size) bytes, \(remaining) left") }
        var v: T = 0
        for i in 0..<size { v |= T(bytes[offset + i]) << (8 * i) }
        offset += size
        return v
    }

    mutating func readDouble() throws(TransportError) -> Double { Double(bitPattern: try read()) }

    mutating func readString(max: Int = 1 << 20) throws(TransportError) -> String {
        let n = Int(try read() as UInt32)
        guard n <= max, n <= remaining else { throw TransportError(.malformedPayload, "string of \(n) bytes does not fit") }
        let s = String(decoding: bytes[offset..<(offset + n)], as: UTF8.self)
        offset += n
        return s
    }

    mutating func readDoubles() throws(TransportError) -> [Double] {
        let n = Int(try read() as UInt32)
        guard n <= remaining / 8 else { throw TransportError(.malformedPayload, "array of \(n) values does not fit") }
        #if _endian(little)
        let start = offset
        let out = [Double](unsafeUninitializedCapacity: n) { buf, count in
            bytes.withUnsafeBytes { raw in
                UnsafeMutableRawBufferPointer(buf).copyMemory(from: UnsafeRawBufferPointer(rebasing: raw[start..<(start + 8 * n)]))
            }
            count = n
        }
        offset += 8 * n
        return out
        #else
        var out = [Double](repeating: 0, count: n)
        for i in 0..<n { out[i] = try readDouble() }
        return out
        #endif
    }

    func finish() throws(TransportError) {
        guard remaining == 0 else { throw TransportError(.malformedPayload, "\(remaining) trailing bytes") }
    }
}
