/// xoshiro256** seeded through SplitMix64(42): the first three outputs, computed independently in Python from the
/// authors' reference algorithm (scripts/fixtures/xoshiro_golden.py).
enum XoshiroGolden {
    static let seed42: [UInt64] = [0x15780b2e0c2ec716, 0x6104d9866d113a7e, 0xae17533239e499a1]
}
