import Foundation

/// Text to token ids and back, whatever the model family's tokenizer: byte-level BPE (`BPETokenizer`,
/// GPT-2 family, SmolLM2) or SentencePiece (`SentencePieceTokenizer`, LLaMA 1/2 and Gemma).
/// A piece of tokenizer input: text to encode (spellings of control tokens in it stay text), or one token.
public enum TokenizerSegment: Sendable, Equatable { case text(String), special(Int) }

public protocol Tokenizer: AnyObject, Sendable {
    var vocabularySize: Int { get }
    var bosTokenID: Int? { get }
    var eosTokenID: Int? { get }
    /// Token ids of `text` (with BOS first if the model adds one). With `parseSpecial`, spellings of
    /// control tokens (e.g. `<start_of_turn>`) become those tokens.
    func encode(_ text: String, parseSpecial: Bool) -> [Int]
    /// Token ids of text and special tokens in order, BOS first when the model adds one: how a chat
    /// template puts its markers around contents whose spellings of control tokens stay text.
    func encode(_ segments: [TokenizerSegment]) -> [Int]
    /// The raw bytes `ids` stand for (a token may hold part of a UTF-8 character); control tokens are
    /// skipped unless `includeSpecial`.
    func bytes(_ ids: [Int], includeSpecial: Bool) -> [UInt8]
    /// The id of the token spelled `text` exactly, if there is one.
    func id(of text: String) -> Int?
}

extension Tokenizer {
    public func encode(_ text: String) -> [Int] { encode(text, parseSpecial: false) }

    /// The text of `ids`; control tokens are skipped unless `includeSpecial`.
    public func decode(_ ids: [Int], includeSpecial: Bool = false) -> String {
        String(decoding: bytes(ids, includeSpecial: includeSpecial), as: UTF8.self)
    }

    public func bytes(_ ids: [Int]) -> [UInt8] { bytes(ids, includeSpecial: false) }
}

extension BPETokenizer: Tokenizer {}
