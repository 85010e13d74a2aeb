/// A malformed input file or an output that could not be written; the message names the file and the field or line.
public struct IOError: Error, Hashable, Sendable, CustomStringConvertible {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}
