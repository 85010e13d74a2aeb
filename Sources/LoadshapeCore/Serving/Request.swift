/// One inference request: when it arrives and how many tokens it reads and writes.
public struct Request: Sendable, Equatable {
    public var id: String
    /// Arrival time, s from the schedule origin.
    public var arrivalS: Double
    /// Prompt tokens, including any cached prefix.
    public var inputTokens: Int
    /// Tokens to generate (≥ 1).
    public var outputTokens: Int
    /// Prompt tokens served from the prefix cache: visible context, but not prefill work.
    public var cachedPrefixTokens: Int

    public init(id: String, arrivalS: Double, inputTokens: Int, outputTokens: Int, cachedPrefixTokens: Int = 0) {
        self.id = id
        self.arrivalS = arrivalS
        self.inputTokens = inputTokens
        self.outputTokens = outputTokens
        self.cachedPrefixTokens = cachedPrefixTokens
    }

    /// Prompt tokens that must be prefilled.
    public var executedInputTokens: Int { inputTokens - cachedPrefixTokens }
}

/// What happened to one request in the serving model (engine times, s from the schedule origin).
public struct RequestOutcome: Sendable, Equatable {
    public var admittedS: Double
    public var firstTokenS: Double
    public var lastTokenS: Double
    /// Times the request was preempted for KV-cache space and recomputed.
    public var preemptions: Int

    public init(admittedS: Double = .nan, firstTokenS: Double = .nan, lastTokenS: Double = .nan, preemptions: Int = 0) {
        self.admittedS = admittedS
        self.firstTokenS = firstTokenS
        self.lastTokenS = lastTokenS
        self.preemptions = preemptions
    }
}
