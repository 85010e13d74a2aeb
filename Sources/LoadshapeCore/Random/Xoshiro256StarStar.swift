/// xoshiro256** 1.0 (Blackman & Vigna 2018): the stream generator behind every random draw in Loadshape.
///
/// Seeded through ``SplitMix64`` as its authors recommend. Never replaced by the standard library's generator,
/// whose algorithm is not pinned.
public struct Xoshiro256StarStar: RandomNumberGenerator, Sendable {
    private var s0: UInt64
    private var s1: UInt64
    private var s2: UInt64
    private var s3: UInt64

    public init(seed: UInt64) {
        var sm = SplitMix64(seed: seed)
        s0 = sm.next()
        s1 = sm.next()
        s2 = sm.next()
        s3 = sm.next()
    }

    @inline(__always)
    private static func rotl(_ x: UInt64, _ k: UInt64) -> UInt64 { (x &<< k) | (x &>> (64 &- k)) }

    public mutating func next() -> UInt64 {
        let result = Self.rotl(s1 &* 5, 7) &* 9
        let t = s1 &<< 17
        s2 ^= s0
        s3 ^= s1
        s1 ^= s2
        s0 ^= s3
        s2 ^= t
        s3 = Self.rotl(s3, 45)
        return result
    }
}

extension RandomNumberGenerator {
    /// A uniform double in [0, 1) from the top 53 bits; pinned by our code, not by the standard library.
    @inline(__always)
    public mutating func nextUnitDouble() -> Double { Double(self.next() &>> 11) * 0x1p-53 }

    /// A uniform double in (0, 1): never exactly 0, for logarithms.
    @inline(__always)
    public mutating func nextOpenUnitDouble() -> Double { (Double(self.next() &>> 11) + 0.5) * 0x1p-53 }

    /// A uniform integer in 0..<bound by Lemire's multiply-shift with rejection (bound > 0).
    public mutating func nextBounded(_ bound: UInt64) -> UInt64 {
        precondition(bound > 0, "bound must be positive")
        var m = self.next().multipliedFullWidth(by: bound)
        if m.low < bound {
            let threshold = (0 &- bound) % bound
            while m.low < threshold { m = self.next().multipliedFullWidth(by: bound) }
        }
        return m.high
    }
}
