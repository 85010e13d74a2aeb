/// Derives independent seeds from a root seed and a stream identity.
///
/// A shard's or a stream's seed depends only on the root seed and its name, never on which process computes it or
/// in what order, so outputs are identical on any layout.
public enum SeedDerivation {
    /// FNV-1a 64 of the UTF-8 bytes of `name`.
    public static func hash(_ name: String) -> UInt64 {
        var h: UInt64 = 0xCBF2_9CE4_8422_2325
        for b in name.utf8 {
            h ^= UInt64(b)
            h = h &* 0x0000_0100_0000_01B3
        }
        return h
    }

    /// The seed of stream `name` under `root`.
    public static func derive(root: UInt64, stream name: String) -> UInt64 {
        var sm = SplitMix64(seed: root ^ hash(name))
        _ = sm.next()
        return sm.next()
    }

    /// The seed of stream `name` with integer index `index` under `root`.
    public static func derive(root: UInt64, stream name: String, index: UInt64) -> UInt64 {
        var sm = SplitMix64(seed: derive(root: root, stream: name) &+ index &* 0x9E37_79B9_7F4A_7C15)
        return sm.next()
    }
}
