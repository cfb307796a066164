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
            return loaded.tokenizer.encode(template.render(user: prompt), parseSpecial: true)
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
        var bytes: [UInt8] = []
        var emitted = 0  // bytes of `bytes` already passed to onText
        var reason = GenerationResult.StopReason.maxTokens
        let limit = min(options.maxTokens, model.configuration.contextLength - prompt.count)
        let t0 = Date()
        var promptSeconds = 0.0
        var text = ""
        if !prompt.isEmpty && limit > 0 {
            var logits = model.forward(prompt, cache: cache, lastOnly: true)
            promptSeconds = Date().timeIntervalSince(t0)
            while generated.count < limit {
                let next = sampler.sample(logits.scalars)
                if loaded.stopTokenIDs.contains(next) { reason = .endOfSequence; break }
                generated.append(next)
                bytes += loaded.tokenizer.bytes([next])
                text = String(decoding: bytes, as: UTF8.self)
                if let cut = options.stopStrings.compactMap({ text.range(of: $0)?.lowerBound }).min() {
                    text = String(text[..<cut])
                    reason = .stopString
                    break
                }
                // Pass on the complete UTF-8 characters not yet shown, holding back a possible stop-string prefix.
                let complete = Self.completeUTF8Prefix(bytes)
                let holdBack = options.stopStrings.map { $0.utf8.count - 1 }.max() ?? 0
                if complete - holdBack > emitted, let onText {
                    let upTo = Self.completeUTF8Prefix(Array(bytes[..<(complete - holdBack)]))
                    if upTo > emitted {
                        onText(String(decoding: bytes[emitted..<upTo], as: UTF8.self))
                        emitted = upTo
                    }
                }
                if generated.count == limit { break }
                logits = model.forward([next], cache: cache)
            }
        }
        if let onText, reason != .stopString {
            let rest = Array(bytes[emitted...])
            if !rest.isEmpty { onText(String(decoding: rest, as: UTF8.self)) }
        } else if let onText, reason == .stopString {
            let shown = String(decoding: bytes[..<emitted], as: UTF8.self)
            if text.count > shown.count { onText(String(text.dropFirst(shown.count))) }
        }
        let total = Date().timeIntervalSince(t0)
        return GenerationResult(text: text, tokenIDs: generated, promptTokenCount: prompt.count, stopReason: reason,
                                promptSeconds: promptSeconds, generationSeconds: total - promptSeconds)
    }

    /// Length of the longest prefix of `bytes` that ends on a UTF-8 character boundary.
    static func completeUTF8Prefix(_ bytes: [UInt8]) -> Int {
        var i = bytes.count
        var back = 0
        while i > 0 && back < 4 {
            let b = bytes[i - 1]
            if b & 0xC0 != 0x80 {  // a lead byte or ASCII
                let need = b < 0x80 ? 1 : b >= 0xF0 ? 4 : b >= 0xE0 ? 3 : 2
                return back + 1 >= need ? bytes.count : i - 1
            }
            i -= 1
            back += 1
        }
        return bytes.count
    }
}
