import CZeroMQ
import Foundation

/// A libzmq failure, with `zmq_strerror`'s text.
public struct ZMQError: Error, Hashable, Sendable, CustomStringConvertible {
    public let errno: Int32
    public let operation: String
    public var message: String { String(cString: zmq_strerror(errno)) }
    public var description: String { "\(operation): \(message) (errno \(errno))" }

    static func last(_ op: String) -> ZMQError { ZMQError(errno: zmq_errno(), operation: op) }

    /// The peer a ROUTER tried to reach is gone (ZMQ_ROUTER_MANDATORY).
    public var isHostUnreachable: Bool { errno == EHOSTUNREACH }
    public var isTimeout: Bool { errno == EAGAIN }
}

/// A libzmq context. Thread-safe (libzmq's contexts are), so it may be shared.
public final class ZMQContext: @unchecked Sendable {
    // @unchecked: a zmq context is documented thread-safe; the pointer is only read after init.
    let handle: UnsafeMutableRawPointer

    public init() throws(ZMQError) {
        guard let h = zmq_ctx_new() else { throw ZMQError.last("zmq_ctx_new") }
        handle = h
    }

    /// Runs once no socket holds the context (each socket keeps it alive), so it never waits on an open socket.
    deinit { zmq_ctx_term(handle) }
}

/// One libzmq socket. Not Sendable: a socket must be created, used and closed on one thread.
public final class ZMQSocket {
    public enum Kind: Sendable {
        case router, dealer, pair
        /// A REP socket (strict receive/reply alternation; the ZAP handler uses one).
        case rep
        var raw: Int32 {
            switch self {
            case .router: return ZMQ_ROUTER
            case .dealer: return ZMQ_DEALER
            case .pair: return ZMQ_PAIR
            case .rep: return ZMQ_REP
            }
        }
    }

    let handle: UnsafeMutableRawPointer
    private var closed = false
    /// Held so the context outlives the socket: `zmq_ctx_term` blocks until every socket is closed, and Swift may
    /// release a local context before the sockets made from it (a release build hung at exit that way).
    private let context: ZMQContext

    public init(context: ZMQContext, kind: Kind) throws(ZMQError) {
        guard let s = zmq_socket(context.handle, kind.raw) else { throw ZMQError.last("zmq_socket") }
        handle = s
        self.context = context
        var linger: Int32 = 0
        zmq_setsockopt(handle, ZMQ_LINGER, &linger, MemoryLayout<Int32>.size)
        if kind == .router {
            var mandatory: Int32 = 1
            zmq_setsockopt(handle, ZMQ_ROUTER_MANDATORY, &mandatory, MemoryLayout<Int32>.size)
        }
    }

    /// Caps inbound messages at `bytes` (ZMQ_MAXMSGSIZE): a larger one drops the connection.
    public func setMaxMessageSize(_ bytes: Int64) throws(ZMQError) {
        var v = bytes
        guard zmq_setsockopt(handle, ZMQ_MAXMSGSIZE, &v, MemoryLayout<Int64>.size) == 0 else {
            throw ZMQError.last("zmq_setsockopt(ZMQ_MAXMSGSIZE)")
        }
    }

    /// ROUTER: a new connection presenting a routing id already in use takes it over (ZMQ_ROUTER_HANDOVER).
    public func setRouterHandover(_ on: Bool) throws(ZMQError) {
        var v: Int32 = on ? 1 : 0
        guard zmq_setsockopt(handle, ZMQ_ROUTER_HANDOVER, &v, MemoryLayout<Int32>.size) == 0 else {
            throw ZMQError.last("zmq_setsockopt(ZMQ_ROUTER_HANDOVER)")
        }
    }

    public func setIdentity(_ id: String) throws(ZMQError) {
        let bytes = Array(id.utf8)
        guard bytes.withUnsafeBytes({ zmq_setsockopt(handle, ZMQ_ROUTING_ID, $0.baseAddress, bytes.count) }) == 0 else {
            throw ZMQError.last("zmq_setsockopt(ZMQ_ROUTING_ID)")
        }
    }

    public func bind(_ endpoint: String) throws(ZMQError) {
        guard zmq_bind(handle, endpoint) == 0 else { throw ZMQError.last("zmq_bind(\(endpoint))") }
    }

    public func connect(_ endpoint: String) throws(ZMQError) {
        guard zmq_connect(handle, endpoint) == 0 else { throw ZMQError.last("zmq_connect(\(endpoint))") }
    }

    /// The endpoint actually bound (for `tcp://127.0.0.1:*`).
    public func lastEndpoint() throws(ZMQError) -> String {
        var buf = [CChar](repeating: 0, count: 256)
        var len = buf.count
        guard zmq_getsockopt(handle, ZMQ_LAST_ENDPOINT, &buf, &len) == 0 else {
            throw ZMQError.last("zmq_getsockopt(ZMQ_LAST_ENDPOINT)")
        }
        return cText(buf)
    }

    /// Sends a multipart message.
    public func send(_ parts: [[UInt8]]) throws(ZMQError) {
        for (i, p) in parts.enumerated() {
            let flags = i < parts.count - 1 ? ZMQ_SNDMORE : 0
            let rc = p.withUnsafeBytes { zmq_send(handle, $0.baseAddress, p.count, flags) }
            guard rc >= 0 else { throw ZMQError.last("zmq_send") }
        }
    }

    /// Receives one multipart message, waiting at most `timeoutMillis` (nil if none arrived).
    /// `timeoutMillis: 0` does not wait; `-1` waits for ever.
    public func receive(timeoutMillis: Int) throws(ZMQError) -> [[UInt8]]? {
        var item = zmq_pollitem_t(socket: handle, fd: 0, events: Int16(ZMQ_POLLIN), revents: 0)
        let rc = zmq_poll(&item, 1, timeoutMillis)
        guard rc >= 0 else { throw ZMQError.last("zmq_poll") }
        guard rc > 0 else { return nil }
        return try receiveParts(firstFlags: 0)
    }

    /// Receives one multipart message if one is already waiting (nil otherwise); never blocks.
    /// Use it after `ZMQSocket.poll` said the socket is readable.
    public func receiveNow() throws(ZMQError) -> [[UInt8]]? {
        try receiveParts(firstFlags: ZMQ_DONTWAIT)
    }

    /// The frames of one message; nil if the first frame is not there (EAGAIN with `ZMQ_DONTWAIT`).
    private func receiveParts(firstFlags: Int32) throws(ZMQError) -> [[UInt8]]? {
        var parts: [[UInt8]] = []
        while true {
            var msg = zmq_msg_t()
            zmq_msg_init(&msg)
            defer { zmq_msg_close(&msg) }
            if zmq_msg_recv(&msg, handle, parts.isEmpty ? firstFlags : 0) < 0 {
                let e = ZMQError.last("zmq_msg_recv")
                if parts.isEmpty && e.isTimeout { return nil }
                throw e
            }
            let n = zmq_msg_size(&msg)
            let data = zmq_msg_data(&msg)
            parts.append(n > 0 ? Array(UnsafeRawBufferPointer(start: data, count: n)) : [])
            guard zmq_msg_more(&msg) != 0 else { break }
        }
        return parts
    }

    /// Waits until at least one of `sockets` has a message to read, or `timeoutMillis` passes (0: do not wait;
    /// -1: wait for ever). Returns one readable flag per socket, in order; all false on a timeout or when a
    /// signal interrupted the wait (EINTR), so a poll loop just goes round again. Read the readable ones with
    /// `receiveNow()`. All the sockets must belong to the calling thread.
    public static func poll(_ sockets: [ZMQSocket], timeoutMillis: Int) throws(ZMQError) -> [Bool] {
        var items = sockets.map { zmq_pollitem_t(socket: $0.handle, fd: 0, events: Int16(ZMQ_POLLIN), revents: 0) }
        let rc = items.withUnsafeMutableBufferPointer { zmq_poll($0.baseAddress, Int32($0.count), timeoutMillis) }
        if rc < 0 {
            let e = ZMQError.last("zmq_poll")
            if e.errno == EINTR { return Array(repeating: false, count: sockets.count) }
            throw e
        }
        return items.map { $0.revents & Int16(ZMQ_POLLIN) != 0 }
    }

    public func close() {
        guard !closed else { return }
        closed = true
        zmq_close(handle)
    }

    deinit { close() }
}
