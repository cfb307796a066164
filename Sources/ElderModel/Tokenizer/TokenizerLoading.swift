import Foundation

extension BPETokenizer {
    /// Pre-tokenizer names (`tokenizer.ggml.pre`) whose split this tokenizer reproduces.
    static let digitSplittingPre: Set<String> = ["smollm", "starcoder", "refact", "codeshell", "minerva", "exaone", "command-r"]
    static let plainGPT2Pre: Set<String> = ["gpt2", "default", "gpt-2"]

    /// The tokenizer stored in a GGUF file's `tokenizer.ggml.*` metadata (model `gpt2`).
    public convenience init(gguf: GGUFFile) throws {
        let model = try gguf.string("tokenizer.ggml.model")
        guard model == "gpt2" else { throw TokenizerError.invalid("\(gguf.path): tokenizer model '\(model)' is not byte-level BPE (gpt2)") }
        let pre = gguf.metadata["tokenizer.ggml.pre"]?.string ?? "default"
        let individualDigits: Bool
        if Self.digitSplittingPre.contains(pre) { individualDigits = true }
        else if Self.plainGPT2Pre.contains(pre) { individualDigits = false }
        else { throw TokenizerError.invalid("\(gguf.path): pre-tokenizer '\(pre)' is not supported (smollm, gpt2)") }
        let tokens = try gguf.strings("tokenizer.ggml.tokens")
        let merges = try gguf.strings("tokenizer.ggml.merges")
        var special = Set<Int>()
        if let types = gguf.metadata["tokenizer.ggml.token_type"]?.array {
            guard types.count == tokens.count else {
                throw TokenizerError.invalid("\(gguf.path): \(types.count) token types for \(tokens.count) tokens")
            }
            for (i, t) in types.enumerated() where t.int == 3 || t.int == 4 { special.insert(i) }
        }
        func tokenID(_ key: String) -> Int? {
            guard let v = gguf.metadata[key]?.int, v >= 0, v < tokens.count else { return nil }
            return v
        }
        try self.init(tokens: tokens, merges: merges, specialTokenIDs: special,
                      preTokenizer: PreTokenizer(individualDigits: individualDigits),
                      bosTokenID: tokenID("tokenizer.ggml.bos_token_id"), eosTokenID: tokenID("tokenizer.ggml.eos_token_id"),
                      addBOS: gguf.metadata["tokenizer.ggml.add_bos_token"]?.bool ?? false)
    }

    /// A Hugging Face `tokenizer.json` with a BPE model and a ByteLevel pre-tokenizer (optionally after `Digits`).
    public convenience init(tokenizerJSON path: String, bosTokenID: Int?, eosTokenID: Int?) throws {
        guard let data = FileManager.default.contents(atPath: path),
              let root = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            throw TokenizerError.invalid("\(path) is not a JSON object")
        }
        guard let model = root["model"] as? [String: Any], (model["type"] as? String ?? "BPE") == "BPE",
              let vocab = model["vocab"] as? [String: Any] else {
            throw TokenizerError.invalid("\(path): model is not BPE with a vocab")
        }
        var byID: [Int: String] = [:]
        for (token, value) in vocab {
            guard let id = (value as? NSNumber)?.intValue, id >= 0, id < 10_000_000 else {
                throw TokenizerError.invalid("\(path): token \(token) has a bad id")
            }
            byID[id] = token
        }
        var special = Set<Int>()
        for case let added as [String: Any] in root["added_tokens"] as? [Any] ?? [] {
            guard let id = (added["id"] as? NSNumber)?.intValue, id >= 0, id < 10_000_000,
                  let content = added["content"] as? String else { continue }
            byID[id] = content
            if added["special"] as? Bool ?? true { special.insert(id) }
        }
        let count = (byID.keys.max() ?? -1) + 1
        let tokens = (0..<count).map { byID[$0] ?? "" }
        let merges: [String] = (model["merges"] as? [Any] ?? []).compactMap {
            if let s = $0 as? String { return s }
            if let pair = $0 as? [String], pair.count == 2 { return pair[0] + " " + pair[1] }
            return nil
        }
        let individualDigits = Self.splitsDigits(root["pre_tokenizer"])
        try self.init(tokens: tokens, merges: merges, specialTokenIDs: special,
                      preTokenizer: PreTokenizer(individualDigits: individualDigits),
                      bosTokenID: bosTokenID, eosTokenID: eosTokenID, addBOS: false)
    }

    /// Whether a tokenizer.json pre-tokenizer (or a `Sequence` of them) holds `Digits` with `individual_digits`.
    static func splitsDigits(_ node: Any?) -> Bool {
        guard let dict = node as? [String: Any] else { return false }
        if dict["type"] as? String == "Digits" { return dict["individual_digits"] as? Bool ?? false }
        return (dict["pretokenizers"] as? [Any] ?? []).contains { splitsDigits($0) }
    }
}
