/// A malformed workload input or specification; the message names the file, line and field.
public struct WorkloadError: Error, Hashable, Sendable, CustomStringConvertible {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}
