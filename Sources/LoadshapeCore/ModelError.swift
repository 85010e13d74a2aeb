/// Errors of the serving and power models: each names what it is about.
public struct ModelError: Error, Hashable, Sendable, CustomStringConvertible {
    public struct Code: Hashable, Sendable {
        private enum Kind: Hashable, Sendable {
            case invalidRequest, requestTooLarge, uncalibrated, noKvCapacity, unsupported, invalidParameter
        }
        private let kind: Kind
        public static let invalidRequest = Code(kind: .invalidRequest)
        public static let requestTooLarge = Code(kind: .requestTooLarge)
        public static let uncalibrated = Code(kind: .uncalibrated)
        public static let noKvCapacity = Code(kind: .noKvCapacity)
        public static let unsupported = Code(kind: .unsupported)
        public static let invalidParameter = Code(kind: .invalidParameter)
    }

    public let code: Code
    public let message: String

    public var description: String { message }

    public static func == (a: ModelError, b: ModelError) -> Bool { a.code == b.code }
    public func hash(into h: inout Hasher) { h.combine(code) }

    public static func invalidRequest(_ m: String) -> ModelError { ModelError(code: .invalidRequest, message: m) }
    public static func requestTooLarge(_ m: String) -> ModelError { ModelError(code: .requestTooLarge, message: m) }
    public static func uncalibrated(_ m: String) -> ModelError { ModelError(code: .uncalibrated, message: m) }
    public static func noKvCapacity(_ m: String) -> ModelError { ModelError(code: .noKvCapacity, message: m) }
    public static func unsupported(_ m: String) -> ModelError { ModelError(code: .unsupported, message: m) }
    public static func invalidParameter(_ m: String) -> ModelError { ModelError(code: .invalidParameter, message: m) }
}
