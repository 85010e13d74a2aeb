/// A frame or message that cannot be accepted. Decoders throw these; they never crash on bad input.
public struct TransportError: Error, Hashable, Sendable, CustomStringConvertible {
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private let name: String
        public var description: String { name }
        public static let badMagic = Code(name: "bad_magic")
        public static let unsupportedVersion = Code(name: "unsupported_version")
        public static let oversized = Code(name: "oversized")
        public static let checksumMismatch = Code(name: "checksum_mismatch")
        public static let unknownType = Code(name: "unknown_type")
        public static let malformedPayload = Code(name: "malformed_payload")
    }
    public let code: Code
    public let message: String
    public var description: String { "\(code): \(message)" }
    public static func == (a: TransportError, b: TransportError) -> Bool { a.code == b.code }
    public func hash(into h: inout Hasher) { h.combine(code) }
    init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }
}
