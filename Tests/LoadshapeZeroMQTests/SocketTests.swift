import Foundation
import LoadshapeTransport
import LoadshapeZeroMQ
import Testing

@Suite struct SocketTests {
    /// A ROUTER and a DEALER on real tcp sockets on 127.0.0.1: a protocol frame goes out and comes back intact.
    @Test func routerAndDealerExchangeFramesOverLoopbackTCP() throws {
        let ctx = try ZMQContext()
        let router = try ZMQSocket(context: ctx, kind: .router)
        try router.setMaxMessageSize(1 << 20)
        try router.bind("tcp://127.0.0.1:*")
        let endpoint = try router.lastEndpoint()
        #expect(endpoint.hasPrefix("tcp://127.0.0.1:"))
        let dealer = try ZMQSocket(context: ctx, kind: .dealer)
        try dealer.setIdentity("worker-1")
        try dealer.connect(endpoint)
        let hello = Message.hello(workerID: "worker-1", capacity: 1)
        try dealer.send([hello.frame().encoded()])
        let got = try #require(try router.receive(timeoutMillis: 5000), "the router heard the dealer")
        #expect(got.count == 2)
        #expect(String(decoding: got[0], as: UTF8.self) == "worker-1")
        var d = FrameDecoder()
        d.append(got[1])
        #expect(try Message.decode(try #require(try d.next())) == hello)
        let job = Message.shutdown(reason: "done")
        try router.send([got[0], job.frame().encoded()])
        let back = try #require(try dealer.receive(timeoutMillis: 5000))
        var d2 = FrameDecoder()
        d2.append(back[0])
        #expect(try Message.decode(try #require(try d2.next())) == job)
        // Nothing more: a poll times out.
        #expect(try dealer.receive(timeoutMillis: 50) == nil)
        dealer.close()
        router.close()
    }

    /// zmq_ctx_term waits for every socket of the context to close. Swift may release a context before the sockets
    /// made from it (a release-built coordinator hung at exit that way), so each socket keeps its context alive:
    /// dropping the last reference to the context while a bound socket is open must not block.
    @Test func droppingTheContextBeforeItsSocketsDoesNotHang() throws {
        let done = DispatchSemaphore(value: 0)
        let worker = Thread {
            do {
                var ctx: ZMQContext? = try ZMQContext()
                let socket = try ZMQSocket(context: ctx!, kind: .router)
                try socket.bind("tcp://127.0.0.1:*")
                ctx = nil  // before the fix this terminated the context here and blocked for ever
                #expect(ctx == nil)
                socket.close()
            } catch {
                Issue.record("\(error)")
            }
            done.signal()
        }
        worker.start()
        #expect(done.wait(timeout: .now() + 10) == .success, "releasing a context with an open socket blocked")
    }

    @Test func aRouterReportsAnUnknownPeerAsUnreachable() throws {
        let ctx = try ZMQContext()
        let router = try ZMQSocket(context: ctx, kind: .router)
        try router.bind("tcp://127.0.0.1:*")
        do {
            try router.send([Array("nobody".utf8), [1, 2, 3]])
            Issue.record("sending to an unknown peer must fail with ZMQ_ROUTER_MANDATORY")
        } catch {
            #expect(error.isHostUnreachable, "\(error)")
            #expect(!error.message.isEmpty)
        }
        router.close()
    }

    @Test func badEndpointsFailWithLibzmqsText() throws {
        let ctx = try ZMQContext()
        let s = try ZMQSocket(context: ctx, kind: .dealer)
        #expect { try s.bind("nonsense://x") } throws: { e in "\(e)".contains("zmq_bind") }
        s.close()
    }
}
