import ElderTensor
import Foundation

/// What to generate: how many tokens, how to pick them, when to stop.
public struct GenerationOptions: Sendable {
    public var maxTokens: Int
    public var sampling: SamplingParameters
    /// Generation ends when the completion contains one of these; the text is cut before it.
    public var stopStrings: [String]
    /// Wrap the prompt in the model's chat template (instruct models), if it has one.
    public var useChatTemplate: Bool

    public init(maxTokens: Int = 64, sampling: SamplingParameters = .greedy, stopStrings: [String] = [],
                useChatTemplate: Bool = false) {
        self.maxTokens = maxTokens
        self.sampling = sampling
        self.stopStrings = stopStrings
        self.useChatTemplate = useChatTemplate
    }
}

/// A finished generation with its timings.
public struct GenerationResult: Sendable {
    public enum StopReason: String, Sendable { case endOfSequence, stopString, maxTokens }
    public var text: String
    public var tokenIDs: [Int]
    public var promptTokenCount: Int
    public var stopReason: StopReason
    /// Seconds spent on the prompt (prefill) and on the generated tokens (decode).
    public var promptSeconds: Double
    public var generationSeconds: Double
}

/// Runs a model token by token with a KV cache; the model stays stateless.
public struct TextGenerator {
    public let loaded: LoadedModel
    public init(_ loaded: LoadedModel) { self.loaded = loaded }

    /// The prompt's token ids, through the chat template when asked and available.
    public func promptTokens(_ prompt: String, useChatTemplate: Bool) -> [Int] {
        if useChatTemplate, let template = loaded.chatTemplate {
            return loaded.tokenizer.encode(template.segments([ChatMessage(role: "user", content: prompt)]))
        }
        return loaded.tokenizer.encode(prompt)
    }

    /// Generates a completion of `prompt`; `onText` receives each newly finished piece of text.
    public func generate(_ prompt: String, options: GenerationOptions = GenerationOptions(),
                         onText: ((String) -> Void)? = nil) -> GenerationResult {
        generate(tokens: promptTokens(prompt, useChatTemplate: options.useChatTemplate), options: options, onText: onText)
    }

    public func generate(tokens prompt: [Int], options: GenerationOptions, onText: ((String) -> Void)? = nil) -> GenerationResult {
        let model = loaded.model
        let cache = KVCache(configuration: model.configuration, reserve: prompt.count + options.maxTokens)
        var sampler = Sampler(options.sampling)
        var generated: [Int] = []
        var text = GeneratedText(stopStrings: options.stopStrings)
        var reason = GenerationResult.StopReason.maxTokens
        let limit = min(options.maxTokens, model.configuration.contextLength - prompt.count)
        let t0 = Date()
        var promptSeconds = 0.0
        func show(_ piece: String) { if !piece.isEmpty { onText?(piece) } }
        if !prompt.isEmpty && limit > 0 {
            var logits = model.forward(prompt, cache: cache, lastOnly: true)
            promptSeconds = Date().timeIntervalSince(t0)
            while generated.count < limit {
                let next = sampler.sample(logits.scalars)
                if loaded.stopTokenIDs.contains(next) { reason = .endOfSequence; break }
                generated.append(next)
                show(text.append(loaded.tokenizer.bytes([next])))
                if text.stopped { reason = .stopString; break }
                if generated.count == limit { break }
                logits = model.forward([next], cache: cache)
            }
        }
        show(text.finish())
        let total = Date().timeIntervalSince(t0)
        return GenerationResult(text: text.text, tokenIDs: generated, promptTokenCount: prompt.count, stopReason: reason,
                                promptSeconds: promptSeconds, generationSeconds: total - promptSeconds)
    }
}
