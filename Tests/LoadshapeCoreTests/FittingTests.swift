import Foundation
import LoadshapeCore
import Numerics
import Testing

@Suite struct FittingTests {
    struct Case: Decodable {
        var name: String
        var a: [[Double]]
        var b: [Double]
        var weights: [Double]
        var x: [Double]
        var rss: Double
    }
    struct File: Decodable { var cases: [Case] }

    @Test func nnlsMatchesScipy() throws {
        let url = try #require(Bundle.module.url(forResource: "nnls", withExtension: "json", subdirectory: "Fixtures"))
        let file = try JSONDecoder().decode(File.self, from: Data(contentsOf: url))
        #expect(file.cases.count == 5)
        for c in file.cases {
            let r = NNLS.solve(c.a, c.b, weights: c.weights)
            for (got, want) in zip(r.x, c.x) {
                #expect(got.isApproximatelyEqual(to: want, absoluteTolerance: 1e-6 * max(1, abs(want))), "\(c.name)")
                #expect(got >= 0)
            }
            #expect(r.residualSumOfSquares.isApproximatelyEqual(to: c.rss, relativeTolerance: 1e-6), "\(c.name)")
        }
    }

    @Test func nelderMeadFindsABoundedMinimum() {
        // Rosenbrock inside a box, and a minimum on the boundary.
        let rosen: ([Double]) -> Double = { x in 100 * pow(x[1] - x[0] * x[0], 2) + pow(1 - x[0], 2) }
        let r = BoundedNelderMead.minimize(rosen, start: [-1, 1.5], lower: [-2, -2], upper: [2, 2], maxEvaluations: 5000, tolerance: 1e-14)
        #expect(abs(r.x[0] - 1) < 1e-3 && abs(r.x[1] - 1) < 2e-3)
        let edge = BoundedNelderMead.minimize({ x in pow(x[0] + 3, 2) + pow(x[1] - 0.5, 2) }, start: [0.5, 0], lower: [0, 0], upper: [1, 1])
        #expect(abs(edge.x[0]) < 1e-6 && abs(edge.x[1] - 0.5) < 1e-4)
    }
}
