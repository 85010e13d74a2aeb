import Crypto
import Foundation

/// SHA-256 checksums for manifests.
public enum Checksum {
    public static func sha256(_ data: Data) -> String {
        SHA256.hash(data: data).map { String(format: "%02x", $0) }.joined()
    }

    public static func sha256(file: String) throws(IOError) -> String {
        do {
            return sha256(try Data(contentsOf: URL(fileURLWithPath: file)))
        } catch {
            throw IOError("\(file): cannot read the file for its checksum (\(error.localizedDescription))")
        }
    }
}
