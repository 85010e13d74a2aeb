import Foundation
import LoadshapeZeroMQ
import Testing

/// A CURVE ROUTER behind a ZAP authenticator, all on the calling thread.
private struct CurveServer {
    let context: ZMQContext
    let keys: CurveKeyPair
    let auth: ZAPAuthenticator
    let router: ZMQSocket
    let endpoint: String

    init(authorized: Set<String>) throws {
        context = try ZMQContext()
        keys = try CurveKeyPair.generate()
        auth = try ZAPAuthenticator(context: context, authorizedKeys: authorized)  // before the server binds
        router = try ZMQSocket(context: context, kind: .router)
        try router.makeCurveServer(secretKey: keys.secretKey)
        try router.setHandshakeInterval(millis: 3000)
        try router.bind("tcp://127.0.0.1:*")
        endpoint = try router.lastEndpoint()
    }

    /// Polls the router and the authenticator for up to `millis`, answering ZAP requests, until `done` says so.
    func serve(
        millis: Int, done: ([[[UInt8]]], [ZAPDecision]) -> Bool = { _, _ in false }
    ) throws -> (messages: [[[UInt8]]], decisions: [ZAPDecision]) {
        var messages: [[[UInt8]]] = []
        var decisions: [ZAPDecision] = []
        let deadline = Date().addingTimeInterval(Double(millis) / 1000)
        while Date() < deadline && !done(messages, decisions) {
            let ready = try ZMQSocket.poll([router, auth.socket], timeoutMillis: 20)
            #expect(ready.count == 2)
            if ready[1] { decisions += try auth.handlePending() }
            if ready[0] { while let m = try router.receiveNow() { messages.append(m) } }
        }
        return (messages, decisions)
    }

    func close() {
        router.close()
        auth.close()
    }
}

private func bytes(_ s: String) -> [UInt8] { Array(s.utf8) }
private func text(_ b: [UInt8]) -> String { String(decoding: b, as: UTF8.self) }

@Suite(.serialized) struct CurveSocketTests {
    @Test func anAuthorizedCurveClientExchangesMessagesWithTheRouter() throws {
        let client = try CurveKeyPair.generate()
        let server = try CurveServer(authorized: [client.publicKey])
        let dealer = try ZMQSocket(context: server.context, kind: .dealer)
        try dealer.setIdentity("w1")
        try dealer.makeCurveClient(serverKey: server.keys.publicKey, keys: client)
        try dealer.connect(server.endpoint)
        try dealer.send([bytes("hello")])

        let got = try server.serve(millis: 10_000) { m, _ in !m.isEmpty }
        #expect(got.messages.map { $0.map(text) } == [["w1", "hello"]])
        let accepted = try #require(got.decisions.first)
        #expect(accepted.accepted && accepted.statusCode == "200")
        #expect(accepted.publicKey == client.publicKey)
        #expect(accepted.address == "127.0.0.1")
        #expect(accepted.mechanism == "CURVE")
        #expect(accepted.description.hasPrefix("accepted 127.0.0.1"))

        // Both ways, a few times, with a frame that needs more than one CURVE message box.
        let big = (0..<100_000).map { UInt8(truncatingIfNeeded: $0 &* 31) }
        for i in 0..<3 {
            try server.router.send([bytes("w1"), bytes("job \(i)"), big])
            let back = try #require(try dealer.receive(timeoutMillis: 5000), "reply \(i)")
            #expect(back.count == 2 && text(back[0]) == "job \(i)" && back[1] == big)
            try dealer.send([bytes("done \(i)")])
            let m = try server.serve(millis: 5000) { m, _ in !m.isEmpty }.messages
            #expect(m.map { $0.map(text) } == [["w1", "done \(i)"]])
        }
        dealer.close()
        server.close()
    }

    @Test func unlistedWrongServerKeyAndPlainClientsGetNothing() throws {
        let listed = try CurveKeyPair.generate()
        let stranger = try CurveKeyPair.generate()
        let server = try CurveServer(authorized: [listed.publicKey])

        // A CURVE client with a key the server was not given.
        let unlisted = try ZMQSocket(context: server.context, kind: .dealer)
        try unlisted.setReconnectInterval(millis: 200, max: 1000)
        try unlisted.makeCurveClient(serverKey: server.keys.publicKey, keys: stranger)
        // A listed client that expects another server (an impostor coordinator, seen from the other side).
        let impostor = try CurveKeyPair.generate()
        let misdirected = try ZMQSocket(context: server.context, kind: .dealer)
        try misdirected.makeCurveClient(serverKey: impostor.publicKey, keys: listed)
        // No CURVE at all.
        let plain = try ZMQSocket(context: server.context, kind: .dealer)
        for s in [unlisted, misdirected, plain] {
            try s.connect(server.endpoint)
            try s.send([bytes("let me in")])
        }

        let got = try server.serve(millis: 1500)
        #expect(got.messages.isEmpty, "the router must hear nothing: \(got.messages.map { $0.map(text) })")
        let denials = got.decisions.filter { !$0.accepted }
        #expect(!denials.isEmpty, "the authenticator reports the unlisted key")
        #expect(denials.allSatisfy { $0.publicKey == stranger.publicKey && $0.statusCode == "400" }, "\(denials)")
        #expect(denials.first?.description.contains("denied 127.0.0.1") == true)
        #expect(got.decisions.allSatisfy { !$0.accepted }, "nobody is admitted: \(got.decisions)")
        for s in [unlisted, misdirected, plain] {
            #expect(try s.receive(timeoutMillis: 0) == nil)
            s.close()
        }
        server.close()
    }

    /// ZAP requests written by hand (a DEALER stands in for libzmq's internal REQ): each gets an RFC 27 reply.
    @Test func theAuthenticatorAnswersEveryRequestEvenMalformedOnes() throws {
        let ctx = try ZMQContext()
        let client = try CurveKeyPair.generate()
        let auth = try ZAPAuthenticator(context: ctx, authorizedKeys: [client.publicKey])
        #expect(throws: ZMQError.self) { try ZAPAuthenticator(context: ctx, authorizedKeys: []) }  // one per context
        let req = try ZMQSocket(context: ctx, kind: .dealer)
        try req.connect(ZAPAuthenticator.endpoint)

        func ask(_ frames: [[UInt8]]) throws -> (reply: [String], decision: ZAPDecision) {
            try req.send([[]] + frames)
            #expect(try ZMQSocket.poll([auth.socket], timeoutMillis: 2000) == [true])
            let d = try auth.handlePending()
            #expect(d.count == 1)
            let r = try #require(try req.receive(timeoutMillis: 2000))
            #expect(r.count == 7 && r[0].isEmpty, "delimiter + 6 reply frames")
            return (r.dropFirst().map(text), try #require(d.first))
        }
        let good = Z85.decodeKey(client.publicKey)!
        func request(id: String, mechanism: String = "CURVE", version: String = "1.0", credentials: [[UInt8]]) -> [[UInt8]] {
            [bytes(version), bytes(id), [], bytes("10.1.2.3"), bytes("peer"), bytes(mechanism)] + credentials
        }

        var (r, d) = try ask(request(id: "1", credentials: [good]))
        #expect(r == ["1.0", "1", "200", "OK", client.publicKey, ""])
        #expect(d.accepted && d.address == "10.1.2.3" && d.publicKey == client.publicKey)

        let other = try CurveKeyPair.generate()
        (r, d) = try ask(request(id: "2", credentials: [Z85.decodeKey(other.publicKey)!]))
        #expect(r == ["1.0", "2", "400", "client key not authorized", "", ""])
        #expect(!d.accepted && d.publicKey == other.publicKey)

        (r, d) = try ask(request(id: "3", credentials: [Array(good.prefix(31))]))
        #expect(r[2] == "400" && r[1] == "3" && d.publicKey == nil)
        (r, d) = try ask(request(id: "4", credentials: []))
        #expect(r[2] == "400")
        (r, d) = try ask(request(id: "5", mechanism: "NULL", credentials: []))
        #expect(r[2] == "400" && r[3].contains("CURVE only"))
        (r, d) = try ask(request(id: "6", mechanism: "PLAIN", credentials: [bytes("user"), bytes("pass")]))
        #expect(r[2] == "400")
        (r, d) = try ask(request(id: "7", version: "2.0", credentials: [good]))
        #expect(r[0] == "1.0" && r[1] == "7" && r[2] == "500" && !d.accepted)
        (r, d) = try ask([bytes("garbage")])
        #expect(r == ["1.0", "", "500", r[3], "", ""] && r[3].contains("malformed"))
        (r, d) = try ask([[]])  // one empty frame (with no frame at all, REP drops the request itself)
        #expect(r[2] == "500" && r[1] == "")

        // Keys can change at run time.
        auth.authorizedKeys.insert(other.publicKey)
        (r, d) = try ask(request(id: "8", credentials: [Z85.decodeKey(other.publicKey)!]))
        #expect(r[2] == "200")
        // Nothing waiting: handlePending returns at once with nothing.
        #expect(try auth.handlePending().isEmpty)
        req.close()
        auth.close()
    }

    @Test func pollReportsEachSocketAndReceiveNowNeverBlocks() throws {
        let ctx = try ZMQContext()
        let a = try ZMQSocket(context: ctx, kind: .pair)
        let b = try ZMQSocket(context: ctx, kind: .pair)
        let c = try ZMQSocket(context: ctx, kind: .pair)
        try a.bind("inproc://poll-test")
        try b.connect("inproc://poll-test")
        let start = Date()
        #expect(try ZMQSocket.poll([a, b, c], timeoutMillis: 0) == [false, false, false])
        #expect(try a.receiveNow() == nil)
        #expect(try a.receive(timeoutMillis: 0) == nil)
        #expect(Date().timeIntervalSince(start) < 0.5)
        try b.send([bytes("x"), bytes("y")])
        #expect(try ZMQSocket.poll([c, a, b], timeoutMillis: 2000) == [false, true, false])
        #expect(try a.receiveNow()?.map(text) == ["x", "y"])
        #expect(try a.receiveNow() == nil)
        #expect(try ZMQSocket.poll([], timeoutMillis: 0) == [])
        for s in [a, b, c] { s.close() }
    }

    @Test func badKeysAreRefusedBeforeAnySocketUse() throws {
        let ctx = try ZMQContext()
        let s = try ZMQSocket(context: ctx, kind: .dealer)
        let k = try CurveKeyPair.generate()
        #expect { try s.makeCurveServer(secretKey: "short") } throws: { "\($0)".contains("ZMQ_CURVE_SECRETKEY") }
        #expect { try s.makeCurveClient(serverKey: String(k.publicKey.dropLast()) + " ", keys: k) } throws: {
            "\($0)".contains("server's public key")
        }
        s.close()
    }
}

@Suite struct Z85AndKeyPairTests {
    @Test func z85MatchesRFC32AndRoundTrips() throws {
        let hello: [UInt8] = [0x86, 0x4F, 0xD2, 0x6F, 0xB5, 0x59, 0xF7, 0x5B]
        #expect(Z85.encode(hello) == "HelloWorld")
        #expect(Z85.decode("HelloWorld") == hello)
        #expect(Z85.encode([]) == "" && Z85.decode("") == [])
        var g = SystemRandomNumberGenerator()
        for _ in 0..<200 {
            let b = (0..<32).map { _ in UInt8.random(in: 0...255, using: &g) }
            let t = Z85.encode(b)
            #expect(t.count == 40 && !t.hasPrefix("#") && !t.hasPrefix("$"))
            #expect(Z85.decode(t) == b && Z85.decodeKey(t) == b)
        }
        let extremes: [UInt8] = Array(repeating: 0xFF, count: 32)
        #expect(Z85.decodeKey(Z85.encode(extremes)) == extremes)
        #expect(Z85.decode("HelloWorl") == nil)  // not a multiple of 5
        #expect(Z85.decode("Hello Worl") == nil)  // space is not Z85
        #expect(Z85.decode("Hello\"orld") == nil)
        #expect(Z85.decode("#####") == nil)  // above 2^32: not canonical
        #expect(Z85.decodeKey("HelloWorld") == nil)  // a valid Z85 text, not a key
        #expect(Z85.keyProblem("HelloWorld")?.contains("10 characters") == true)
        #expect(Z85.keyProblem(String(repeating: "a", count: 39) + "~")?.contains("'~' at character 40") == true)
        #expect(Z85.keyProblem(String(repeating: "#", count: 40))?.contains("canonical") == true)
        #expect(Z85.keyProblem(Z85.encode(extremes)) == nil)
    }

    @Test func aKeyPairsPublicKeyFollowsFromItsSecret() throws {
        let a = try CurveKeyPair.generate()
        let b = try CurveKeyPair.generate()
        #expect(a.publicKey.count == 40 && a.secretKey.count == 40)
        #expect(a != b && a.publicKey != a.secretKey)
        #expect(try CurveKeyPair.publicKey(fromSecret: a.secretKey) == a.publicKey)
        #expect(try CurveKeyPair.publicKey(fromSecret: b.secretKey) == b.publicKey)
        #expect(throws: ZMQError.self) { try CurveKeyPair.publicKey(fromSecret: "not a key") }
        #expect(throws: ZMQError.self) { try CurveKeyPair.publicKey(fromSecret: a.secretKey + "0") }
    }
}

@Suite struct CurveKeyFileTests {
    let dir = NSTemporaryDirectory() + "/loadshape-curve-\(UUID().uuidString)"

    func write(_ name: String, _ content: String, mode: Int = 0o600) throws -> String {
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let p = dir + "/" + name
        try content.write(toFile: p, atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: mode], ofItemAtPath: p)
        return p
    }

    func mode(_ path: String) throws -> Int {
        try (FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? NSNumber)?.intValue ?? -1
    }

    /// The error `body` throws; fails the test if it throws none.
    func failure(_ body: () throws -> Void, sourceLocation: SourceLocation = #_sourceLocation) -> CurveKeyFileError? {
        do {
            try body()
            Issue.record("expected a CurveKeyFileError", sourceLocation: sourceLocation)
        } catch let e as CurveKeyFileError {
            return e
        } catch {
            Issue.record("expected a CurveKeyFileError, got \(error)", sourceLocation: sourceLocation)
        }
        return nil
    }

    @Test func writtenFilesReadBack() throws {
        let pair = try CurveKeyPair.generate()
        let (key, pub) = try CurveKeyFile.write(pair, directory: dir + "/keys", name: "worker-1")
        #expect(key == dir + "/keys/worker-1.key" && pub == dir + "/keys/worker-1.pub")
        #expect(try mode(key) == 0o600)
        #expect(try mode(dir + "/keys") == 0o700)
        let text = try String(contentsOfFile: key, encoding: .utf8)
        #expect(text == "# Loadshape CURVE key pair — keep secret\npublic-key = \(pair.publicKey)\nsecret-key = \(pair.secretKey)\n")
        #expect(try String(contentsOfFile: pub, encoding: .utf8).hasSuffix("\n\(pair.publicKey)\n"))
        var warnings: [String] = []
        #expect(try CurveKeyFile.readKeyPair(path: key) { warnings.append($0) } == pair)
        #expect(warnings.isEmpty)
        #expect(try CurveKeyFile.readPublicKey(path: pub) == pair.publicKey)

        // No silent replacement; with overwrite, a new pair takes the place of the old.
        let again = failure { try CurveKeyFile.write(pair, directory: dir + "/keys", name: "worker-1") }
        #expect(again?.description == "\(key): already exists; not replaced")
        let fresh = try CurveKeyPair.generate()
        try CurveKeyFile.write(fresh, directory: dir + "/keys", name: "worker-1", overwrite: true)
        #expect(try CurveKeyFile.readKeyPair(path: key) == fresh)
        #expect(try mode(key) == 0o600)
        #expect(failure { try CurveKeyFile.write(pair, directory: dir, name: "a/b") }?.problem.contains("letters") == true)
        #expect(failure { try CurveKeyFile.write(pair, directory: dir, name: "../x") }?.problem.contains("starts with '.'") == true)
    }

    @Test func anOpenKeyFileIsReadWithAWarning() throws {
        let pair = try CurveKeyPair.generate()
        let p = try write("open.key", CurveKeyFile.keyPairText(pair), mode: 0o644)
        var warnings: [String] = []
        #expect(try CurveKeyFile.readKeyPair(path: p) { warnings.append($0) } == pair)
        #expect(warnings.count == 1 && warnings[0].contains(p) && warnings[0].contains("644") && warnings[0].contains("chmod 600"))
        // Only the secret is required; comments, blank lines, spacing and CRLF are fine.
        let q = try write("loose.key", "\r\n  # mine\r\nsecret-key=\(pair.secretKey)  \r\n")
        #expect(try CurveKeyFile.readKeyPair(path: q) == pair)
    }

    @Test func malformedKeyPairFilesNameFileLineAndProblem() throws {
        let a = try CurveKeyPair.generate()
        let b = try CurveKeyPair.generate()
        func check(_ name: String, _ content: String, line: Int?, _ needle: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
            let p = try write(name, content)
            let e = failure { _ = try CurveKeyFile.readKeyPair(path: p) }
            #expect(e?.path == p, sourceLocation: sourceLocation)
            #expect(e?.line == line, sourceLocation: sourceLocation)
            #expect(e?.description.hasPrefix(line.map { "\(p):\($0): " } ?? "\(p): ") == true, sourceLocation: sourceLocation)
            #expect(e?.problem.contains(needle) == true, "\(e?.description ?? "")", sourceLocation: sourceLocation)
            #expect(e?.description.contains(a.secretKey) == false, "errors never show a secret key", sourceLocation: sourceLocation)
        }
        try check("short.key", "# c\npublic-key = \(a.publicKey)\nsecret-key = \(a.secretKey.dropLast())\n", line: 3, "39 characters")
        try check("long.key", "secret-key = \(a.secretKey)x\n", line: 1, "41 characters")
        let bad = String(a.secretKey.prefix(10)) + "~" + String(a.secretKey.dropFirst(11))
        try check("chars.key", "public-key = \(a.publicKey)\nsecret-key = \(bad)\n", line: 2, "'~' at character 11")
        try check("pubchars.key", "public-key = \(a.publicKey.dropLast())\"\nsecret-key = \(a.secretKey)\n", line: 1, "public-key has '\"'")
        try check("mixed.key", "# pair\n\npublic-key = \(b.publicKey)\nsecret-key = \(a.secretKey)\n", line: 3, "does not match")
        try check("twice.key", "secret-key = \(a.secretKey)\nsecret-key = \(a.secretKey)\n", line: 2, "twice (first on line 1)")
        try check("nosecret.key", "public-key = \(a.publicKey)\n", line: nil, "no 'secret-key")
        try check("empty.key", "", line: nil, "no 'secret-key")
        try check("typo.key", "secret_key = \(a.secretKey)\n", line: 1, "unknown setting 'secret_key'")
        try check("bare.key", "# a pub file\n\(a.publicKey)\n", line: 2, "public-key file (.pub)")
        try check("junk.key", "hello\n", line: 1, "expected 'public-key")
        // `=` is a Z85 character: a bare key holding one is still recognised as a bare key.
        var withEquals = try CurveKeyPair.generate()
        while !withEquals.publicKey.contains("=") { withEquals = try CurveKeyPair.generate() }
        try check("bare2.key", "\(withEquals.publicKey)\n", line: 1, "public-key file (.pub)")
        #expect(try CurveKeyFile.readKeyPair(path: write("eq.key", CurveKeyFile.keyPairText(withEquals))) == withEquals)
        let missing = dir + "/nope.key"
        #expect(failure { _ = try CurveKeyFile.readKeyPair(path: missing) }?.description == "\(missing): no such file")
        try FileManager.default.createDirectory(atPath: dir + "/d.key", withIntermediateDirectories: true)
        #expect(failure { _ = try CurveKeyFile.readKeyPair(path: dir + "/d.key") }?.problem.contains("directory") == true)
        let binary = try write("bin.key", "")
        try Data([0xFF, 0xFE, 0x00]).write(to: URL(fileURLWithPath: binary))
        #expect(failure { _ = try CurveKeyFile.readKeyPair(path: binary) }?.problem == "is not UTF-8 text")
    }

    @Test func malformedPublicKeyFilesNameFileLineAndProblem() throws {
        let a = try CurveKeyPair.generate()
        let b = try CurveKeyPair.generate()
        func check(_ content: String, line: Int?, _ needle: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
            let p = try write("x-\(UUID().uuidString).pub", content)
            let e = failure { _ = try CurveKeyFile.readPublicKey(path: p) }
            #expect(e?.path == p && e?.line == line, "\(e?.description ?? "")", sourceLocation: sourceLocation)
            #expect(e?.problem.contains(needle) == true, "\(e?.description ?? "")", sourceLocation: sourceLocation)
        }
        try check("# c\n\(a.publicKey.prefix(20))\n", line: 2, "20 characters")
        try check("\(a.publicKey.dropLast()) \n", line: 1, "39 characters")
        try check("\(a.publicKey.dropLast())~\n", line: 1, "'~' at character 40")
        try check("# only a comment\n", line: nil, "no public key")
        try check("\(a.publicKey)\n\(b.publicKey)\n", line: 2, "a second key (the first is on line 1)")
        try check("\(a.publicKey) worker-3\n", line: 1, "unexpected text after the key")
        try check(CurveKeyFile.keyPairText(a), line: 2, "key pair file")
        #expect(try CurveKeyFile.readPublicKey(path: write("ok.pub", "\n# w\n  \(a.publicKey)   # worker 3\n\n")) == a.publicKey)
        let missing = dir + "/none.pub"
        #expect(failure { _ = try CurveKeyFile.readPublicKey(path: missing) }?.description == "\(missing): no such file")
    }

    @Test func authorizedKeysFromADirectoryOrAList() throws {
        let coord = try CurveKeyPair.generate()
        let w = try (0..<3).map { _ in try CurveKeyPair.generate() }
        let keys = dir + "/keys"
        try CurveKeyFile.write(coord, directory: keys, name: "coordinator")
        try CurveKeyFile.write(w[2], directory: keys, name: "c-worker")
        try CurveKeyFile.write(w[0], directory: keys, name: "a-worker")
        try CurveKeyFile.write(w[1], directory: keys, name: "b-worker")
        try "not a key".write(toFile: keys + "/README", atomically: true, encoding: .utf8)
        try FileManager.default.createDirectory(atPath: keys + "/old.pub", withIntermediateDirectories: true)

        let all = try CurveKeyFile.readAuthorized(path: keys)
        #expect(all.map(\.publicKey) == [w[0].publicKey, w[1].publicKey, w[2].publicKey, coord.publicKey])
        #expect(all[0].path == keys + "/a-worker.pub" && all[0].line == 2)
        let workers = try CurveKeyFile.readAuthorized(path: keys, excluding: coord.publicKey)
        #expect(workers.map(\.publicKey) == w.map(\.publicKey))
        #expect(workers.allSatisfy { !$0.path.hasSuffix(".key") })

        // A list file: comments, blank lines, trailing comments, duplicates folded.
        let list = try write(
            "authorized.txt",
            "# workers\n\n\(w[1].publicKey)\n  \(w[0].publicKey)  # node 17\n\(w[1].publicKey)\n\(coord.publicKey)\n")
        let listed = try CurveKeyFile.readAuthorized(path: list, excluding: coord.publicKey)
        #expect(listed.map(\.publicKey) == [w[1].publicKey, w[0].publicKey])
        #expect(listed.map(\.line) == [3, 4])

        // Errors name the file and the line.
        let badList = try write("bad.txt", "# ok\n\(w[0].publicKey)\n\(w[1].publicKey.prefix(39))\n")
        let e = failure { _ = try CurveKeyFile.readAuthorized(path: badList) }
        #expect(e?.description == "\(badList):3: the public key is 39 characters long; a Z85 CURVE key is exactly 40")
        try "\(w[0].publicKey)x\n".write(toFile: keys + "/d-worker.pub", atomically: true, encoding: .utf8)
        let e2 = failure { _ = try CurveKeyFile.readAuthorized(path: keys) }
        #expect(e2?.path == keys + "/d-worker.pub" && e2?.line == 1)
        // Nobody left to admit is an error, not an empty set.
        let onlyOwn = dir + "/own"
        try CurveKeyFile.write(coord, directory: onlyOwn, name: "coordinator")
        #expect(failure { _ = try CurveKeyFile.readAuthorized(path: onlyOwn, excluding: coord.publicKey) }?.problem.contains("besides the server's own") == true)
        try FileManager.default.createDirectory(atPath: dir + "/empty", withIntermediateDirectories: true)
        #expect(failure { _ = try CurveKeyFile.readAuthorized(path: dir + "/empty") }?.problem.contains("no *.pub files") == true)
        #expect(failure { _ = try CurveKeyFile.readAuthorized(path: dir + "/missing") }?.description == "\(dir)/missing: no such file or directory")
    }
}
