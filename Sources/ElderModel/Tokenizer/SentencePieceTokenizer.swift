import Foundation

/// A SentencePiece (BPE-by-score) tokenizer as llama.cpp runs the `llama` tokenizer model of a GGUF file
/// (LLaMA 1/2, Gemma): the vocabulary's pieces, scores and token types.
///
/// Encoding, in llama.cpp's order:
/// 1. BOS first when the model adds one (`tokenizer.ggml.add_bos_token`).
/// 2. The text is split around spellings of user-defined tokens (always; Gemma's newline and space runs,
///    HTML tags ...) and, with `parseSpecial`, of control tokens — longest spelling first.
/// 3. Each remaining piece (after a space, if `add_space_prefix` and it follows a token or the start) has its
///    spaces written as U+2581 "▁", is cut into UTF-8 characters, and the adjacent pair whose joined text is
///    the highest-scoring token is merged, leftmost first among equal scores, until no pair is a token.
/// 4. A symbol that is no token becomes its bytes' `<0xXX>` tokens (byte fallback).
public final class SentencePieceTokenizer: @unchecked Sendable {
    /// llama.cpp's token types (`tokenizer.ggml.token_type`).
    public enum TokenType: Int32, Sendable {
        case normal = 1, unknown = 2, control = 3, userDefined = 4, unused = 5, byte = 6
    }

    public let tokens: [String]
    public let scores: [Float]
    public let types: [TokenType]
    public let bosTokenID: Int?
    public let eosTokenID: Int?
    public let addBOS: Bool
    public let addSpacePrefix: Bool

    /// Token id by spelling, keyed by UTF-8 bytes: Swift's String equality is canonical equivalence, which
    /// would make "e\u{301}" and "é" (or U+037E and ";") one key.
    private let ids: [[UInt8]: Int]
    /// Token of each byte (its `<0xXX>` token, else the one-byte token), -1 if the vocabulary has neither.
    private let byteTokens: [Int]
    /// Spellings matched before SentencePiece runs, longest first: user-defined tokens always, control
    /// (and unknown) tokens only when special tokens are parsed.
    private let matchedFirst: [(bytes: [UInt8], id: Int, onlyWhenSpecial: Bool)]

    public var vocabularySize: Int { tokens.count }

    public init(tokens: [String], scores: [Float], types: [TokenType], bosTokenID: Int?, eosTokenID: Int?,
                addBOS: Bool, addSpacePrefix: Bool) throws {
        guard scores.count == tokens.count, types.count == tokens.count else {
            throw TokenizerError.invalid("\(tokens.count) tokens, \(scores.count) scores, \(types.count) token types")
        }
        self.tokens = tokens
        self.scores = scores
        self.types = types
        self.bosTokenID = bosTokenID
        self.eosTokenID = eosTokenID
        self.addBOS = addBOS
        self.addSpacePrefix = addSpacePrefix
        var ids: [[UInt8]: Int] = [:]
        ids.reserveCapacity(tokens.count)
        for (i, t) in tokens.enumerated() { ids[Array(t.utf8)] = i }  // a repeated spelling means its last token, as in llama.cpp
        self.ids = ids
        byteTokens = (0..<256).map { b in ids[Array(String(format: "<0x%02X>", b).utf8)] ?? ids[[UInt8(b)]] ?? -1 }
        matchedFirst = tokens.indices
            .filter { [.userDefined, .control, .unknown].contains(types[$0]) && !tokens[$0].isEmpty }
            .map { (Array(tokens[$0].utf8), $0, types[$0] != .userDefined) }
            .sorted { $0.bytes.count != $1.bytes.count ? $0.bytes.count > $1.bytes.count : $0.id < $1.id }
    }

    public func id(of text: String) -> Int? { ids[Array(text.utf8)] }

    public func encode(_ text: String, parseSpecial: Bool = false) -> [Int] {
        encode(fragments: partition(Array(text.utf8), parseSpecial: parseSpecial))
    }

    public func encode(_ segments: [TokenizerSegment]) -> [Int] {
        encode(fragments: segments.flatMap { segment -> [Fragment] in
            switch segment {
            case let .special(id): return [.token(id)]
            case let .text(text): return partition(Array(text.utf8), parseSpecial: false)
            }
        })
    }

    private func encode(fragments: [Fragment]) -> [Int] {
        var out: [Int] = addBOS ? bosTokenID.map { [$0] } ?? [] : []
        var previousWasToken = true
        for fragment in fragments {
            switch fragment {
            case let .token(id):
                out.append(id)
                previousWasToken = true
            case let .text(bytes):
                var piece: [UInt8] = addSpacePrefix && previousWasToken ? [0x20] : []
                piece += bytes
                encodePiece(piece, into: &out)
                previousWasToken = false
            }
        }
        return out
    }

    public func bytes(_ ids: [Int], includeSpecial: Bool = false) -> [UInt8] {
        var out: [UInt8] = []
        for id in ids where id >= 0 && id < tokens.count {
            switch types[id] {
            case .normal:
                out += Array(tokens[id].replacingOccurrences(of: "\u{2581}", with: " ").utf8)
            case .userDefined:
                out += Array(tokens[id].utf8)
            case .byte:
                if let b = Self.byteValue(tokens[id]) { out.append(b) }
            case .control, .unknown, .unused:
                if includeSpecial { out += Array(tokens[id].utf8) }
            }
        }
        return out
    }

    // MARK: - Encoding

    private enum Fragment { case text([UInt8]), token(Int) }

    /// Splits the text around the spellings in `matchedFirst`: each spelling, longest first, cuts every
    /// text fragment at its non-overlapping occurrences, left to right.
    private func partition(_ text: [UInt8], parseSpecial: Bool) -> [Fragment] {
        var fragments: [Fragment] = text.isEmpty ? [] : [.text(text)]
        let present = Set(text)
        for special in matchedFirst where parseSpecial || !special.onlyWhenSpecial {
            guard present.contains(special.bytes[0]) else { continue }
            var next: [Fragment] = []
            for fragment in fragments {
                guard case let .text(bytes) = fragment, bytes.count >= special.bytes.count else { next.append(fragment); continue }
                var start = 0, i = 0
                let s = special.bytes
                while i + s.count <= bytes.count {
                    if bytes[i] == s[0] && bytes[i..<i + s.count].elementsEqual(s) {
                        if start < i { next.append(.text(Array(bytes[start..<i]))) }
                        next.append(.token(special.id))
                        i += s.count
                        start = i
                    } else {
                        i += 1
                    }
                }
                if start < bytes.count { next.append(.text(Array(bytes[start...]))) }
            }
            fragments = next
        }
        return fragments
    }

    /// One symbol of the merge: bytes start..<end of the piece (empty once merged away), linked to its neighbours.
    private struct Symbol { var start: Int; var end: Int; var previous: Int; var next: Int }

    /// A token's score as a rank for `MinHeap`: a higher score is a lower rank (float order kept in 32 bits),
    /// so the heap pops the best-scoring pair, the leftmost among equal scores, as llama.cpp's queue does.
    static func mergeRank(_ score: Float) -> Int {
        let bits = score.bitPattern
        let ascending = bits & 0x8000_0000 != 0 ? ~bits : bits | 0x8000_0000
        return Int(UInt32.max - ascending)
    }

    private func encodePiece(_ raw: [UInt8], into out: inout [Int]) {
        // Spaces become "▁" (E2 96 81).
        var bytes: [UInt8] = []
        bytes.reserveCapacity(raw.count)
        for b in raw { if b == 0x20 { bytes += [0xE2, 0x96, 0x81] } else { bytes.append(b) } }
        var symbols: [Symbol] = []
        var offset = 0
        while offset < bytes.count {
            let length = min(Self.utf8Length(bytes[offset]), bytes.count - offset)
            symbols.append(Symbol(start: offset, end: offset + length, previous: symbols.count - 1, next: symbols.count + 1))
            offset += length
        }
        guard !symbols.isEmpty else { return }
        symbols[symbols.count - 1].next = -1
        func token(_ a: Int, _ b: Int) -> Int? { ids[Array(bytes[a..<b])] }
        /// The rank of merging symbol `left` with the one after it, if their joined text is a token.
        func rank(_ left: Int) -> Int? {
            let right = symbols[left].next
            guard right >= 0, let id = token(symbols[left].start, symbols[right].end) else { return nil }
            return Self.mergeRank(scores[id])
        }
        var queue = MinHeap()
        for i in 0..<symbols.count - 1 { if let r = rank(i) { queue.push(rank: r, position: i) } }
        while let (r, left) = queue.pop() {
            // Skip a pair one of whose symbols has merged since it was queued.
            guard symbols[left].end > symbols[left].start, rank(left) == r else { continue }
            let right = symbols[left].next
            symbols[left].end = symbols[right].end
            symbols[right].end = symbols[right].start
            symbols[left].next = symbols[right].next
            if symbols[right].next >= 0 { symbols[symbols[right].next].previous = left }
            if symbols[left].previous >= 0, let r = rank(symbols[left].previous) { queue.push(rank: r, position: symbols[left].previous) }
            if let r = rank(left) { queue.push(rank: r, position: left) }
        }
        var i = 0
        while i != -1 {
            let s = symbols[i]
            if let id = token(s.start, s.end) {
                out.append(id)
            } else {
                for b in bytes[s.start..<s.end] where byteTokens[Int(b)] >= 0 { out.append(byteTokens[Int(b)]) }
            }
            i = s.next
        }
    }

    /// Bytes in the UTF-8 sequence that `lead` starts (1 for a stray continuation byte).
    static func utf8Length(_ lead: UInt8) -> Int {
        switch lead >> 4 {
        case 0xF: return 4
        case 0xE: return 3
        case 0xC, 0xD: return 2
        default: return 1
        }
    }

    /// The byte a `<0xXX>` token stands for.
    static func byteValue(_ token: String) -> UInt8? {
        guard token.hasPrefix("<0x"), token.hasSuffix(">"), token.utf8.count == 6 else { return nil }
        return UInt8(token.dropFirst(3).dropLast(), radix: 16)
    }
}

extension SentencePieceTokenizer: Tokenizer {}

extension SentencePieceTokenizer {
    /// The tokenizer stored in a GGUF file's `tokenizer.ggml.*` metadata (model `llama`).
    public convenience init(gguf: GGUFFile) throws {
        let model = try gguf.string("tokenizer.ggml.model")
        guard model == "llama" else { throw TokenizerError.invalid("\(gguf.path): tokenizer model '\(model)' is not SentencePiece (llama)") }
        let tokens = try gguf.strings("tokenizer.ggml.tokens")
        guard let scoreValues = gguf.metadata["tokenizer.ggml.scores"]?.array, scoreValues.count == tokens.count else {
            throw TokenizerError.invalid("\(gguf.path): tokenizer.ggml.scores is missing or does not have one score per token")
        }
        let scores = try scoreValues.map { v -> Float in
            guard let x = v.double else { throw TokenizerError.invalid("\(gguf.path): a score is not a number") }
            return Float(x)
        }
        var types = [TokenType](repeating: .normal, count: tokens.count)
        if let values = gguf.metadata["tokenizer.ggml.token_type"]?.array {
            guard values.count == tokens.count else {
                throw TokenizerError.invalid("\(gguf.path): \(values.count) token types for \(tokens.count) tokens")
            }
            for (i, v) in values.enumerated() { types[i] = v.int.flatMap { TokenType(rawValue: Int32(truncatingIfNeeded: $0)) } ?? .normal }
        }
        func tokenID(_ key: String) -> Int? {
            guard let v = gguf.metadata[key]?.int, v >= 0, v < tokens.count else { return nil }
            return v
        }
        try self.init(tokens: tokens, scores: scores, types: types,
                      bosTokenID: tokenID("tokenizer.ggml.bos_token_id"), eosTokenID: tokenID("tokenizer.ggml.eos_token_id"),
                      addBOS: gguf.metadata["tokenizer.ggml.add_bos_token"]?.bool ?? true,
                      addSpacePrefix: gguf.metadata["tokenizer.ggml.add_space_prefix"]?.bool ?? true)
    }
}
