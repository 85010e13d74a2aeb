import LoadshapeCore
import LoadshapeTransport
import Testing

@Suite struct CodecTests {
    static let samples: [Message] = [
        .hello(workerID: "worker-7", capacity: 2),
        .job(jobID: "job-1", shard: 3, shardName: "paper-site/row-04", plan: "row", seed: 0xDEAD_BEEF_0000_0001, specPath: "Configs/sites/paper-site.yaml", specSHA256: String(repeating: "a", count: 64), spec: "schema: loadshape-study-v1\n"),
        .lease(jobID: "job-1", shard: 3, attempt: 2, leaseMillis: 1_735_689_600_000),
        .heartbeat(workerID: "worker-7", shard: 3, progress: 0.5),
        .partial(
            jobID: "job-1", shard: 3, attempt: 2,
            series: [
                SeriesPayload(name: "rack:row-04/rack-01:it", resolutionS: 0.25, values: [1, -0.0, .infinity, -.infinity, 1e-300, 12_345.678]),
                SeriesPayload(name: "empty", resolutionS: 900, values: []),
            ]),
        .error(code: 17, message: "shard 3: unknown model 'x' (spec.yaml:12)"),
        .shutdown(reason: "job complete"),
    ]

    @Test func crcMatchesZlib() {
        // zlib.crc32 reference values, computed in Python.
        #expect(CRC32.checksum(Array("123456789".utf8)) == 0xCBF4_3926)
        #expect(CRC32.checksum(Array("The quick brown fox jumps over the lazy dog".utf8)) == 0x414F_A339)
        #expect(CRC32.checksum((0...255).map { UInt8($0) }) == 0x2905_8C73)
    }

    @Test func everyMessageRoundTripsBitExactly() throws {
        for m in Self.samples {
            var d = FrameDecoder()
            d.append(m.frame().encoded())
            let f = try #require(try d.next())
            #expect(try Message.decode(f) == m)
            #expect(try d.next() == nil)
            #expect(d.pendingBytes == 0)
        }
        // NaN survives bit for bit (Equatable cannot show it).
        let nan = Message.partial(jobID: "j", shard: 0, attempt: 0, series: [SeriesPayload(name: "n", resolutionS: 1, values: [.nan])])
        var d = FrameDecoder()
        d.append(nan.frame().encoded())
        guard case .partial(_, _, _, let s) = try Message.decode(try #require(try d.next())) else {
            Issue.record("expected a partial")
            return
        }
        #expect(s[0].values[0].bitPattern == Double.nan.bitPattern)
    }

    @Test func framesFedByteByByteOrInAnyChunkingDecodeTheSame() throws {
        let stream = Self.samples.flatMap { $0.frame().encoded() }
        for chunk in [1, 2, 3, 7, 16, 17, 1000] {
            var d = FrameDecoder()
            var got: [Message] = []
            var i = 0
            while i < stream.count {
                d.append(stream[i..<min(i + chunk, stream.count)])
                i += chunk
                while let f = try d.next() { got.append(try Message.decode(f)) }
            }
            #expect(got == Self.samples, "chunk \(chunk)")
        }
    }

    @Test func badFramesAreRejectedWithTheirReason() throws {
        let good = Message.hello(workerID: "w", capacity: 1).frame().encoded()
        func reject(_ bytes: [UInt8], max: Int = 1 << 20) -> TransportError.Code? {
            var d = FrameDecoder(maxPayload: max)
            d.append(bytes)
            let streamed: TransportError.Code?
            do {
                if let f = try d.next() { _ = try Message.decode(f) }
                streamed = nil
            } catch {
                streamed = error.code
            }
            // The whole-message path (ZeroMQ messages, journal files) rejects the same frames for the same reason.
            let whole: TransportError.Code?
            do {
                _ = try Message.decode(wholeFrame: bytes, maxPayload: max)
                whole = nil
            } catch {
                whole = error.code
            }
            #expect(whole == streamed, "stream and whole-frame decoding disagree")
            return streamed
        }
        var magic = good
        magic[0] = UInt8(ascii: "X")
        #expect(reject(magic) == .badMagic)
        var version = good
        version[4] = 9
        #expect(reject(version) == .unsupportedVersion)
        var corrupt = good
        corrupt[corrupt.count - 1] ^= 0x40
        #expect(reject(corrupt) == .checksumMismatch)
        #expect(reject(good, max: 2) == .oversized)
        var unknown = Frame(type: 99, payload: []).encoded()
        #expect(reject(unknown) == .unknownType)
        unknown = Frame(type: 1, payload: [1, 2, 3]).encoded()  // truncated hello payload
        #expect(reject(unknown) == .malformedPayload)
        let trailing = Frame(type: 7, payload: Message.shutdown(reason: "x").frame().payload + [0]).encoded()
        #expect(reject(trailing) == .malformedPayload)
        let badProgress = Message.heartbeat(workerID: "w", shard: 0, progress: 2).frame().encoded()
        #expect(reject(badProgress) == .malformedPayload)
        // A truncated frame is not an error, just incomplete.
        #expect(reject(Array(good.dropLast())) == nil)
        // After an error the decoder stays failed.
        var d = FrameDecoder()
        d.append(magic)
        #expect(throws: TransportError.self) { _ = try d.next() }
        d.append(good)
        #expect(throws: TransportError.self) { _ = try d.next() }
    }

    @Test func wholeFramesDecodeInPlaceAndRefuseTrailingBytes() throws {
        for m in Self.samples {
            let bytes = m.frame().encoded()
            #expect(try Message.decode(wholeFrame: bytes, maxPayload: 1 << 20) == m)
            #expect(try Message.decode(wholeFrame: Array(bytes.dropLast()), maxPayload: 1 << 20) == nil, "truncated")
            #expect(try Message.decode(wholeFrame: Array(bytes.prefix(10)), maxPayload: 1 << 20) == nil, "short header")
            #expect(throws: TransportError.self, "a second frame in one message") {
                _ = try Message.decode(wholeFrame: bytes + bytes, maxPayload: 1 << 20)
            }
        }
    }

    @Test func fuzzedFramesNeverCrashTheDecoder() {
        // Random mutations of valid frames, and random byte strings: every outcome is a message, nil or an error.
        var rng = Xoshiro256StarStar(seed: 2026)
        let valid = Self.samples.map { $0.frame().encoded() }
        var outcomes = [0, 0, 0]
        for i in 0..<20_000 {
            var bytes: [UInt8]
            if i % 4 == 0 {
                bytes = (0..<Int(rng.nextBounded(64))).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
                if rng.nextBounded(2) == 0 { bytes = Frame.magic + bytes }
            } else {
                bytes = valid[Int(rng.nextBounded(UInt64(valid.count)))]
                for _ in 0..<(1 + Int(rng.nextBounded(4))) {
                    let k = Int(rng.nextBounded(UInt64(bytes.count)))
                    bytes[k] = UInt8(truncatingIfNeeded: rng.next())
                }
                if rng.nextBounded(3) == 0 { bytes = Array(bytes.prefix(Int(rng.nextBounded(UInt64(bytes.count))))) }
            }
            // Whole-frame decoding never crashes either, and what it accepts the stream decoder reads the same.
            if let m = try? Message.decode(wholeFrame: bytes, maxPayload: 1 << 16) {
                var s = FrameDecoder(maxPayload: 1 << 16)
                s.append(bytes)
                #expect((try? s.next()).flatMap { try? Message.decode($0) } == m)
            }
            var d = FrameDecoder(maxPayload: 1 << 16)
            d.append(bytes)
            do {
                if let f = try d.next() {
                    _ = try Message.decode(f)
                    outcomes[0] += 1
                } else {
                    outcomes[1] += 1
                }
            } catch {
                outcomes[2] += 1
            }
        }
        #expect(outcomes[2] > 10_000, "most mutations are caught: \(outcomes)")
    }
}
