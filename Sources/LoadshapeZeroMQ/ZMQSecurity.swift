import CZeroMQ
import Foundation

// CURVE (RFC 26) encryption and authentication for ZeroMQ sockets, with a ZAP (RFC 27) handler that admits a fixed
// set of client public keys. See docs/cluster.md, "Keys and CURVE authentication".

/// The text of a NUL-terminated C buffer.
func cText(_ buffer: [CChar]) -> String {
    String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
}

/// Z85 (ZeroMQ RFC 32): the printable encoding of CURVE keys, 5 characters per 4 bytes.
public enum Z85 {
    /// The 85 characters, in value order. `=`, `#` and `.` are among them (but a canonical
    /// group, below 2³², never starts with `$` or `#`).
    public static let alphabet = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ.-:+=^!/*?&<>()[]{}@%$#"
    static let alphabetSet = Set(alphabet.unicodeScalars)

    /// The Z85 text of `bytes`. Precondition: `bytes.count` is a multiple of 4 (a CURVE key is 32 bytes).
    public static func encode(_ bytes: [UInt8]) -> String {
        precondition(bytes.count % 4 == 0, "Z85 encodes a multiple of 4 bytes, not \(bytes.count)")
        var out = [CChar](repeating: 0, count: bytes.count / 4 * 5 + 1)
        let ok = bytes.withUnsafeBufferPointer { zmq_z85_encode(&out, $0.baseAddress, $0.count) } != nil
        precondition(ok, "zmq_z85_encode failed on \(bytes.count) bytes")
        return cText(out)
    }

    /// The bytes of Z85 `text`; nil unless its length is a multiple of 5, every character is in the alphabet and
    /// every 5-character group is below 2³² (so the encoding is canonical: `encode(decode(t)!) == t`).
    public static func decode(_ text: String) -> [UInt8]? {
        let scalars = Array(text.unicodeScalars)
        guard scalars.count % 5 == 0, scalars.allSatisfy({ alphabetSet.contains($0) }) else { return nil }
        var out = [UInt8](repeating: 0, count: scalars.count / 5 * 4)
        if out.isEmpty { return [] }
        let ok = out.withUnsafeMutableBufferPointer { buf in
            text.withCString { zmq_z85_decode(buf.baseAddress, $0) } != nil
        }
        guard ok, encode(out) == text else { return nil }
        return out
    }

    /// The 32 bytes of a 40-character Z85 CURVE key; nil for anything else.
    public static func decodeKey(_ text: String) -> [UInt8]? {
        guard text.unicodeScalars.count == 40, let bytes = decode(text), bytes.count == 32 else { return nil }
        return bytes
    }

    /// Why `text` is not a CURVE key (nil if it is one): its length, or its first character outside Z85.
    public static func keyProblem(_ text: String) -> String? {
        let n = text.unicodeScalars.count
        if n != 40 { return "is \(n) characters long; a Z85 CURVE key is exactly 40" }
        if let (i, c) = text.unicodeScalars.enumerated().first(where: { !alphabetSet.contains($0.element) }) {
            let shown = c.isASCII && c.value >= 0x20 && c.value < 0x7F ? "'\(c)'" : "U+\(String(c.value, radix: 16, uppercase: true))"
            return "has \(shown) at character \(i + 1), which is not a Z85 character"
        }
        if decodeKey(text) == nil { return "is not a canonical Z85 encoding (a 5-character group exceeds 2^32)" }
        return nil
    }
}

/// A CURVE key pair, both halves Z85 (40 characters each).
public struct CurveKeyPair: Sendable, Hashable {
    public var publicKey: String
    public var secretKey: String

    public init(publicKey: String, secretKey: String) {
        self.publicKey = publicKey
        self.secretKey = secretKey
    }

    /// A fresh key pair from libzmq's CSPRNG (libsodium). Fails with ENOTSUP if libzmq was built without CURVE.
    public static func generate() throws(ZMQError) -> CurveKeyPair {
        var pub = [CChar](repeating: 0, count: 41)
        var sec = [CChar](repeating: 0, count: 41)
        guard zmq_curve_keypair(&pub, &sec) == 0 else { throw ZMQError.last("zmq_curve_keypair") }
        defer { for i in sec.indices { sec[i] = 0 } }
        return CurveKeyPair(publicKey: cText(pub), secretKey: cText(sec))
    }

    /// The public key that belongs to a Z85 secret key.
    public static func publicKey(fromSecret secretKey: String) throws(ZMQError) -> String {
        guard Z85.decodeKey(secretKey) != nil else {
            throw ZMQError(errno: EINVAL, operation: "zmq_curve_public: the secret key is not a 40-character Z85 key")
        }
        var pub = [CChar](repeating: 0, count: 41)
        guard zmq_curve_public(&pub, secretKey) == 0 else { throw ZMQError.last("zmq_curve_public") }
        return cText(pub)
    }
}

extension ZMQSocket {
    func setOption(_ option: Int32, _ value: Int32, _ name: String) throws(ZMQError) {
        var v = value
        guard zmq_setsockopt(handle, option, &v, MemoryLayout<Int32>.size) == 0 else {
            throw ZMQError.last("zmq_setsockopt(\(name))")
        }
    }

    func setOption(_ option: Int32, bytes: [UInt8], _ name: String) throws(ZMQError) {
        guard bytes.withUnsafeBytes({ zmq_setsockopt(handle, option, $0.baseAddress, $0.count) }) == 0 else {
            throw ZMQError.last("zmq_setsockopt(\(name))")
        }
    }

    func setCurveKey(_ option: Int32, _ z85: String, _ name: String, what: String) throws(ZMQError) {
        guard var key = Z85.decodeKey(z85) else {
            throw ZMQError(errno: EINVAL, operation: "zmq_setsockopt(\(name)): the \(what) is not a 40-character Z85 key")
        }
        defer { for i in key.indices { key[i] = 0 } }
        try setOption(option, bytes: key, name)
    }

    /// Makes this socket a CURVE server with our secret key (ZMQ_CURVE_SERVER, ZMQ_CURVE_SECRETKEY): traffic is
    /// encrypted and every client handshake goes to the context's ZAP handler (a `ZAPAuthenticator`). Call before
    /// `bind`. Without a ZAP handler on the context, libzmq 4.3 admits *any* CURVE client — create the
    /// authenticator first and keep it open as long as this socket.
    public func makeCurveServer(secretKey: String) throws(ZMQError) {
        try setOption(ZMQ_CURVE_SERVER, 1, "ZMQ_CURVE_SERVER")
        try setCurveKey(ZMQ_CURVE_SECRETKEY, secretKey, "ZMQ_CURVE_SECRETKEY", what: "server's secret key")
    }

    /// Makes this socket a CURVE client of the server whose public key is `serverKey`, presenting `keys`
    /// (ZMQ_CURVE_SERVERKEY, ZMQ_CURVE_PUBLICKEY, ZMQ_CURVE_SECRETKEY). Call before `connect`. A server with
    /// another key, or one that does not admit `keys.publicKey`, never completes the handshake: nothing is
    /// delivered either way, and the socket keeps retrying (see `setReconnectInterval`).
    public func makeCurveClient(serverKey: String, keys: CurveKeyPair) throws(ZMQError) {
        try setCurveKey(ZMQ_CURVE_SERVERKEY, serverKey, "ZMQ_CURVE_SERVERKEY", what: "server's public key")
        try setCurveKey(ZMQ_CURVE_PUBLICKEY, keys.publicKey, "ZMQ_CURVE_PUBLICKEY", what: "client's public key")
        try setCurveKey(ZMQ_CURVE_SECRETKEY, keys.secretKey, "ZMQ_CURVE_SECRETKEY", what: "client's secret key")
    }

    /// How soon a connecting socket retries after a lost connection or a failed handshake (ZMQ_RECONNECT_IVL,
    /// default 100 ms), doubling up to `max` (ZMQ_RECONNECT_IVL_MAX; 0 = no backoff, the libzmq default).
    public func setReconnectInterval(millis: Int, max: Int = 0) throws(ZMQError) {
        try setOption(ZMQ_RECONNECT_IVL, Int32(clamping: millis), "ZMQ_RECONNECT_IVL")
        try setOption(ZMQ_RECONNECT_IVL_MAX, Int32(clamping: max), "ZMQ_RECONNECT_IVL_MAX")
    }

    /// The longest a connection may take to finish its handshake, ZAP round trip included (ZMQ_HANDSHAKE_IVL,
    /// default 30 000 ms; 0 = no limit). A peer that stalls longer is disconnected.
    public func setHandshakeInterval(millis: Int) throws(ZMQError) {
        try setOption(ZMQ_HANDSHAKE_IVL, Int32(clamping: millis), "ZMQ_HANDSHAKE_IVL")
    }
}

/// What a `ZAPAuthenticator` answered to one ZAP request.
public struct ZAPDecision: Sendable, Hashable, CustomStringConvertible {
    /// The connecting peer's IP address as libzmq reports it (e.g. "127.0.0.1"); empty if the request had none.
    public var address: String
    /// The mechanism the peer used ("CURVE" for our clients).
    public var mechanism: String
    /// The peer's CURVE public key, Z85; nil when the request carried no usable key.
    public var publicKey: String?
    public var accepted: Bool
    /// The ZAP status code sent back: "200" accepted, "400" denied, "500" malformed request.
    public var statusCode: String
    /// The status text sent back (why).
    public var reason: String

    public var description: String {
        let who = address.isEmpty ? "unknown peer" : address
        let key = publicKey.map { "key \($0)" } ?? "no key"
        return "\(accepted ? "accepted" : "denied") \(who) (\(mechanism.isEmpty ? "?" : mechanism), \(key)): \(statusCode) \(reason)"
    }
}

/// A ZAP handler (RFC 27) on one context: admits CURVE clients whose public key is in `authorizedKeys`, denies every
/// other request. Not Sendable: create it, poll it and close it on the thread that runs the CURVE server's loop.
///
/// Order matters: create the authenticator before the CURVE server socket binds, and keep it open as long as
/// that socket — libzmq 4.3 admits every CURVE client when no handler is bound. Only one handler per context
/// (a second one fails with EADDRINUSE).
///
///     let auth = try ZAPAuthenticator(context: ctx, authorizedKeys: keys)
///     let server = try ZMQSocket(context: ctx, kind: .router)
///     try server.makeCurveServer(secretKey: mine.secretKey)
///     try server.bind("tcp://*:5555")
///     while running {
///         let ready = try ZMQSocket.poll([server, auth.socket], timeoutMillis: 100)
///         if ready[1] { for d in try auth.handlePending() { log(d.description) } }
///         if ready[0], let msg = try server.receiveNow() { … }
///     }
public final class ZAPAuthenticator {
    /// The endpoint libzmq sends ZAP requests to.
    public static let endpoint = "inproc://zeromq.zap.01"

    /// The REP socket requests arrive on: include it in `ZMQSocket.poll` and call `handlePending()` when readable.
    public let socket: ZMQSocket
    /// The Z85 public keys admitted. May be changed between calls; applies to later handshakes.
    public var authorizedKeys: Set<String>

    public init(context: ZMQContext, authorizedKeys: Set<String>) throws(ZMQError) {
        socket = try ZMQSocket(context: context, kind: .rep)
        self.authorizedKeys = authorizedKeys
        do { try socket.bind(Self.endpoint) } catch {
            socket.close()
            throw error
        }
    }

    /// Answers every ZAP request already waiting (never blocks) and returns the decisions, in arrival order.
    /// A malformed request gets a "500" (or "400") reply, never a crash.
    public func handlePending() throws(ZMQError) -> [ZAPDecision] {
        var decisions: [ZAPDecision] = []
        while let request = try socket.receiveNow() {
            let (reply, decision) = answer(request)
            try socket.send(reply)
            decisions.append(decision)
        }
        return decisions
    }

    /// The reply frames to one request, and the decision they carry.
    func answer(_ f: [[UInt8]]) -> (reply: [[UInt8]], decision: ZAPDecision) {
        func text(_ i: Int) -> String { i < f.count ? String(decoding: f[i], as: UTF8.self) : "" }
        let requestID = f.count > 1 ? f[1] : []
        var d = ZAPDecision(address: text(3), mechanism: text(5), publicKey: nil, accepted: false, statusCode: "500", reason: "")
        if f.count < 6 {
            d.reason = "malformed ZAP request: \(f.count) frames, at least 6 expected"
        } else if text(0) != "1.0" {
            d.reason = "unsupported ZAP version '\(text(0).prefix(16))'"
        } else if d.mechanism != "CURVE" {
            d.statusCode = "400"
            d.reason = "mechanism \(d.mechanism.prefix(16)) not allowed: CURVE only"
        } else if f.count != 7 || f[6].count != 32 {
            d.statusCode = "400"
            d.reason = "malformed CURVE credentials (one 32-byte client key expected)"
        } else {
            let key = Z85.encode(f[6])
            d.publicKey = key
            if authorizedKeys.contains(key) {
                d.accepted = true
                d.statusCode = "200"
                d.reason = "OK"
            } else {
                d.statusCode = "400"
                d.reason = "client key not authorized"
            }
        }
        let userID = d.accepted ? Array(d.publicKey!.utf8) : []
        let reply: [[UInt8]] = [Array("1.0".utf8), requestID, Array(d.statusCode.utf8), Array(d.reason.utf8), userID, []]
        return (reply, d)
    }

    public func close() { socket.close() }
}
