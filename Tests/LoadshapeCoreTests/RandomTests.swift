import LoadshapeCore
import Testing

@Suite struct RandomTests {
    @Test func splitMix64IsPinned() {
        var g = SplitMix64(seed: 0)
        #expect(g.next() == 0xe220_a839_7b1d_cdaf)
        #expect(g.next() == 0x6e78_9e6a_a1b9_65f4)
    }

    @Test func xoshiroIsPinned() {
        // Values recorded from this implementation; they must never change (golden outputs depend on them).
        var g = Xoshiro256StarStar(seed: 42)
        let first = (0..<3).map { _ in g.next() }
        var h = Xoshiro256StarStar(seed: 42)
        #expect((0..<3).map { _ in h.next() } == first)
        #expect(first == XoshiroGolden.seed42)
    }

    @Test func seedDerivationDependsOnlyOnRootAndName() {
        let a = SeedDerivation.derive(root: 7, stream: "arrivals")
        #expect(a == SeedDerivation.derive(root: 7, stream: "arrivals"))
        #expect(a != SeedDerivation.derive(root: 8, stream: "arrivals"))
        #expect(a != SeedDerivation.derive(root: 7, stream: "input-tokens"))
        #expect(
            SeedDerivation.derive(root: 7, stream: "server", index: 3)
                != SeedDerivation.derive(root: 7, stream: "server", index: 4))
    }

    @Test func unitDoublesAreInRange() {
        var g = Xoshiro256StarStar(seed: 1)
        for _ in 0..<10_000 {
            let u = g.nextUnitDouble()
            #expect(u >= 0 && u < 1)
            let o = g.nextOpenUnitDouble()
            #expect(o > 0 && o < 1)
        }
    }

    @Test(arguments: [0.25, 1.0, 4.0])
    func gammaMomentsMatch(shape: Double) {
        // Mean kθ and variance kθ², within tolerance bands over fixed seeds.
        for seed in UInt64(0)..<3 {
            var g = Xoshiro256StarStar(seed: seed)
            let n = 40_000
            var s = 0.0
            var s2 = 0.0
            for _ in 0..<n {
                let x = Sampling.gamma(shape: shape, scale: 2, using: &g)
                #expect(x > 0)
                s += x
                s2 += x * x
            }
            let mean = s / Double(n)
            let variance = s2 / Double(n) - mean * mean
            #expect(abs(mean - 2 * shape) / (2 * shape) < 0.05, "seed \(seed)")
            #expect(abs(variance - 4 * shape) / (4 * shape) < 0.12, "seed \(seed)")
        }
    }

    @Test func normalMoments() {
        var g = Xoshiro256StarStar(seed: 3)
        let xs = (0..<50_000).map { _ in Sampling.standardNormal(using: &g) }
        let m = xs.reduce(0, +) / Double(xs.count)
        let v = xs.map { ($0 - m) * ($0 - m) }.reduce(0, +) / Double(xs.count)
        #expect(abs(m) < 0.02)
        #expect(abs(v - 1) < 0.03)
    }

    @Test func boundedIsUniform() {
        var g = Xoshiro256StarStar(seed: 9)
        var counts = [Int](repeating: 0, count: 7)
        for _ in 0..<70_000 { counts[Int(g.nextBounded(7))] += 1 }
        for c in counts { #expect(abs(c - 10_000) < 500) }
    }
}
