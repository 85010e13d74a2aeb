import DequeModule

/// Receives engine iterations in time order.
public protocol IterationSink {
    mutating func consume(_ iteration: IterationRecord)
}

/// Counters the serving model keeps while it runs (for invariants and reports).
public struct ServingStatistics: Sendable, Equatable {
    public var iterations = 0
    public var preemptions = 0
    public var maxKvUsedTokens = 0
    public var maxRunning = 0
    public var prefilledTokens = 0
    public var generatedTokens = 0
    /// End of the last iteration, s.
    public var lastIterationEndS = 0.0
    public init() {}
}

/// The result of serving a schedule: one outcome per request (in input order) and the engine's counters.
public struct ServingResult: Sendable {
    public var outcomes: [RequestOutcome]
    public var statistics: ServingStatistics
    public var kvCapacityTokens: Int
}

/// A vLLM-V1-style continuous-batching scheduler (`reference-method.md` §2b).
///
/// FCFS admission bounded by `max_num_seqs` and the KV cache (full prompt + 1 token reserved at admission);
/// each iteration decodes one token for every sequence whose prompt is done, then spends the rest of the token
/// budget on prefill chunks in admission order; the chunk that completes a prompt emits the first token.
///
/// Beyond the reference: when decode growth would overflow the KV cache, the most recently admitted sequence is
/// preempted and later recomputed (vLLM's recompute preemption), so the cache is never over-committed. The
/// reference has no preemption; the two agree whenever the cache does not bind.
public struct ServingSimulator: Sendable {
    public let cost: IterationCostModel
    public let limits: EngineLimits
    public let kvCapacityTokens: Int

    public init(cost: IterationCostModel, limits: EngineLimits) throws(ModelError) {
        guard limits.maxNumSeqs >= 1 else { throw .invalidParameter("max_num_seqs must be at least 1") }
        guard limits.maxNumBatchedTokens >= 1 else {
            throw .invalidParameter("max_num_batched_tokens must be at least 1")
        }
        guard limits.gpuMemoryUtilization > 0 && limits.gpuMemoryUtilization <= 1 else {
            throw .invalidParameter("gpu_memory_utilization must be in (0, 1]")
        }
        self.cost = cost
        self.limits = limits
        let free =
            limits.gpuMemoryUtilization * cost.hardware.hbmCapacityBytes * Double(cost.tp)
            - cost.architecture.weightBytes
        let cap = (free / cost.architecture.kvBytesPerToken).rounded(.down)
        guard cap >= 1 else {
            throw .noKvCapacity(
                "\(cost.architecture.name) does not fit on \(cost.tp) × \(cost.hardware.name): weights "
                    + "\(cost.architecture.weightBytes / 1e9) GB exceed \(limits.gpuMemoryUtilization) × HBM; "
                    + "use a larger TP")
        }
        kvCapacityTokens = Int(cap)
    }

    struct Seq {
        var request: Int
        var initial: Int
        var promptLen: Int
        var prefilled: Int
        var generated: Int
        var genOffset: Int
        var nOut: Int
        var kv: Int
        var context: Int { initial + promptLen + (generated - genOffset) }
    }

    /// Validates a schedule: finite non-negative arrivals, positive token counts, cached prefix within the prompt.
    public static func validate(_ requests: [Request]) throws(ModelError) {
        for (i, r) in requests.enumerated() {
            let name = "request \(i + 1) (id \(r.id))"
            guard r.arrivalS.isFinite && r.arrivalS >= 0 else {
                throw .invalidRequest("\(name): arrival_s must be a finite number ≥ 0, got \(r.arrivalS)")
            }
            guard r.inputTokens >= 1 else {
                throw .invalidRequest("\(name): input_tokens must be ≥ 1, got \(r.inputTokens)")
            }
            guard r.outputTokens >= 1 else {
                throw .invalidRequest("\(name): output_tokens must be ≥ 1, got \(r.outputTokens)")
            }
            guard r.cachedPrefixTokens >= 0 && r.cachedPrefixTokens < r.inputTokens else {
                throw .invalidRequest(
                    "\(name): cached_prefix_tokens must be in 0..<input_tokens (\(r.inputTokens)), got \(r.cachedPrefixTokens)"
                )
            }
        }
    }

    /// Serves `requests` and streams every iteration to `sink`.
    ///
    /// - Throws: ``ModelError`` naming the request when a request can never fit in the KV cache.
    public func run<S: IterationSink>(_ requests: [Request], sink: inout S) throws(ModelError) -> ServingResult {
        try Self.validate(requests)
        let n = requests.count
        let order = (0..<n).sorted { a, b in
            let ra = requests[a].arrivalS
            let rb = requests[b].arrivalS
            return ra != rb ? ra < rb : a < b
        }
        var outcomes = [RequestOutcome](repeating: RequestOutcome(), count: n)
        var stats = ServingStatistics()
        var waiting = Deque<Seq>()
        var running: [Seq] = []
        running.reserveCapacity(limits.maxNumSeqs)
        var kvUsed = 0
        var clock = 0.0
        var next = 0
        // After a preemption, admit nothing until a sequence finishes (else the victim is re-admitted at once).
        var admissionBlocked = false
        let cap = kvCapacityTokens
        let maxSeqs = limits.maxNumSeqs
        let budgetAll = limits.maxNumBatchedTokens

        while true {
            while next < n && requests[order[next]].arrivalS <= clock {
                let r = requests[order[next]]
                waiting.append(
                    Seq(
                        request: order[next], initial: r.cachedPrefixTokens, promptLen: r.executedInputTokens,
                        prefilled: 0, generated: 0, genOffset: 0, nOut: r.outputTokens, kv: 0))
                next += 1
            }
            while !admissionBlocked, let head = waiting.first, running.count < maxSeqs,
                kvUsed + head.initial + head.promptLen + 1 <= cap
            {
                var s = waiting.removeFirst()
                s.kv = s.initial + s.promptLen + 1
                kvUsed += s.kv
                if outcomes[s.request].admittedS.isNaN { outcomes[s.request].admittedS = clock }
                running.append(s)
            }
            if running.isEmpty {
                admissionBlocked = false
                if let head = waiting.first {
                    let r = requests[head.request]
                    throw .requestTooLarge(
                        "request \(head.request + 1) (id \(r.id)) needs \(head.initial + head.promptLen + 1) KV-cache "
                            + "tokens but \(cost.architecture.name) on \(cost.tp) × \(cost.hardware.name) holds "
                            + "\(cap); shorten the prompt or raise TP")
                }
                if next >= n { break }
                clock = requests[order[next]].arrivalS
                continue
            }

            // Compose the iteration: decode-first, then prefill chunks in admission order.
            var it = IterationRecord()
            it.t0 = clock
            var b = 0
            var ctxSum = 0
            var completing = 0
            var budget = budgetAll
            for s in running where s.prefilled == s.promptLen {
                b += 1
                ctxSum += s.context
            }
            budget -= b
            var preAttnF = 0.0
            var preAttnB = 0.0
            var preTokens = 0
            var chunks = 0
            if budget > 0 {
                for s in running where s.prefilled < s.promptLen {
                    if budget <= 0 { break }
                    let take = Swift.min(budget, s.promptLen - s.prefilled)
                    let a = cost.prefillChunkAttention(tokens: take, priorContext: s.initial + s.prefilled)
                    preAttnF += a.flops
                    preAttnB += a.bytes
                    preTokens += take
                    chunks += 1
                    if take == s.promptLen - s.prefilled { completing += 1 }
                    budget -= take
                }
            }
            // Every sequence that emits a token grows its KV reservation by one.
            if kvUsed + b + completing > cap {
                guard running.count > 1 else {
                    let s = running[0]
                    let r = requests[s.request]
                    throw .requestTooLarge(
                        "request \(s.request + 1) (id \(r.id)) grows past the KV cache (\(cap) tokens) while "
                            + "decoding alone; its prompt + output (\(r.inputTokens + r.outputTokens) tokens) do not fit")
                }
                var victim = running.removeLast()
                kvUsed -= victim.kv
                victim.promptLen = victim.promptLen + (victim.generated - victim.genOffset)
                victim.genOffset = victim.generated
                victim.prefilled = 0
                victim.kv = 0
                outcomes[victim.request].preemptions += 1
                stats.preemptions += 1
                admissionBlocked = true
                waiting.prepend(victim)
                continue
            }
            it.decodeBatch = b
            it.decodeContextMean = b > 0 ? Double(ctxSum) / Double(b) : 0
            it.prefillTokens = preTokens
            it.prefillChunks = chunks
            it.prefillLogits = completing
            cost.complete(&it, prefillAttentionFlops: preAttnF, prefillAttentionBytes: preAttnB)
            sink.consume(it)
            clock = it.t1
            stats.iterations += 1
            stats.prefilledTokens += preTokens
            stats.lastIterationEndS = clock

            // Apply: chunks advance prompts (the completing chunk emits a token), decoders emit one token each.
            var budgetLeft = budgetAll - b
            var write = 0
            for i in 0..<running.count {
                var s = running[i]
                if s.prefilled == s.promptLen {
                    s.generated += 1
                    s.kv += 1
                    kvUsed += 1
                    stats.generatedTokens += 1
                    outcomes[s.request].lastTokenS = clock
                } else if budgetLeft > 0 {
                    let take = Swift.min(budgetLeft, s.promptLen - s.prefilled)
                    s.prefilled += take
                    budgetLeft -= take
                    if s.prefilled == s.promptLen {
                        s.generated += 1
                        s.kv += 1
                        kvUsed += 1
                        stats.generatedTokens += 1
                        if outcomes[s.request].firstTokenS.isNaN { outcomes[s.request].firstTokenS = clock }
                        outcomes[s.request].lastTokenS = clock
                    }
                }
                if s.prefilled == s.promptLen && s.generated >= s.nOut {
                    kvUsed -= s.kv
                    admissionBlocked = false
                    continue
                }
                running[write] = s
                write += 1
            }
            if write < running.count { running.removeLast(running.count - write) }
            if kvUsed > stats.maxKvUsedTokens { stats.maxKvUsedTokens = kvUsed }
            if running.count > stats.maxRunning { stats.maxRunning = running.count }
        }
        return ServingResult(outcomes: outcomes, statistics: stats, kvCapacityTokens: cap)
    }
}
