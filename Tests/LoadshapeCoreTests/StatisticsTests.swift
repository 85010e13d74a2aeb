import LoadshapeCore
import Numerics
import Testing

@Suite struct StatisticsTests {
    @Test func percentileMatchesNumpyLinear() {
        // np.percentile([1, 2, 3, 4, 10], [0, 25, 50, 95, 100]) = [1, 2, 3, 8.8, 10]
        let x = [4.0, 1, 10, 3, 2]
        let expected = [(0.0, 1.0), (25, 2), (50, 3), (95, 8.8), (100, 10)]
        for (p, v) in expected {
            #expect(Descriptive.percentile(x, p).isApproximatelyEqual(to: v, relativeTolerance: 1e-12))
        }
        #expect(Descriptive.percentile([], 50).isNaN)
        #expect(Descriptive.percentile([5], 95) == 5)
    }

    @Test func compensatedSumIsAccurate() {
        var s = CompensatedSum()
        s.add(1e16)
        for _ in 0..<1000 { s.add(1) }
        s.add(-1e16)
        #expect(s.value == 1000)
    }

    @Test func blockMeansDropThePartialTail() {
        #expect(Descriptive.blockMeans([1, 3, 5, 7, 9], factor: 2) == [2, 6])
    }
}
