import Foundation

/// A byte-level BPE tokenizer (GPT-2 family): text is pre-split into words, each word's UTF-8 bytes
/// become byte tokens, and the ranked merges join neighbours, lowest rank first.
///
/// Built from GGUF metadata (`tokenizer.ggml.*`) or a Hugging Face `tokenizer.json`. Special tokens
/// (control and user-defined ones) are matched in text only when `encode(_:parseSpecial:)` asks.
public final class BPETokenizer: @unchecked Sendable {
    public let tokens: [String]
    public let preTokenizer: PreTokenizer
    public let bosTokenID: Int?
    public let eosTokenID: Int?
    /// Ids of tokens that are not text (e.g. `<|im_start|>`); decode skips them unless asked.
    public let specialTokenIDs: Set<Int>
    public let addBOS: Bool

    private let ids: [String: Int]
    /// Merge of two token ids -> (rank, merged token id).
    private let merges: [UInt64: (rank: Int, result: Int)]
    private let byteTokens: [Int]  // token id of each byte, -1 if the vocabulary lacks it
    private let specialsLongestFirst: [(text: String, id: Int)]
    private var cache: [Substring: [Int]] = [:]
    private let lock = NSLock()

    public var vocabularySize: Int { tokens.count }

    public init(tokens: [String], merges: [String], specialTokenIDs: Set<Int>, preTokenizer: PreTokenizer,
                bosTokenID: Int?, eosTokenID: Int?, addBOS: Bool = false) throws {
        self.tokens = tokens
        self.preTokenizer = preTokenizer
        self.bosTokenID = bosTokenID
        self.eosTokenID = eosTokenID
        self.addBOS = addBOS
        self.specialTokenIDs = specialTokenIDs
        var ids: [String: Int] = [:]
        ids.reserveCapacity(tokens.count)
        for (i, t) in tokens.enumerated() where ids[t] == nil { ids[t] = i }
        self.ids = ids
        // Some vocabularies lack tokens for bytes that never occur (e.g. control bytes): -1 marks them.
        self.byteTokens = (0..<256).map { ids[String(ByteLevel.scalar(for: UInt8($0)))] ?? -1 }
        var table: [UInt64: (rank: Int, result: Int)] = [:]
        table.reserveCapacity(merges.count)
        for (rank, merge) in merges.enumerated() {
            let parts = merge.split(separator: " ", maxSplits: 1, omittingEmptySubsequences: false)
            guard parts.count == 2 else { throw TokenizerError.invalid("merge \(rank) '\(merge)' is not two tokens") }
            guard let a = ids[String(parts[0])], let b = ids[String(parts[1])],
                  let r = ids[String(parts[0]) + String(parts[1])] else { continue }
            let key = UInt64(a) << 32 | UInt64(b)
            if table[key] == nil { table[key] = (rank, r) }
        }
        self.merges = table
        specialsLongestFirst = specialTokenIDs.map { (tokens[$0], $0) }
            .filter { !$0.0.isEmpty }
            .sorted { $0.0.utf8.count != $1.0.utf8.count ? $0.0.utf8.count > $1.0.utf8.count : $0.1 < $1.1 }
    }

    /// The id of the token spelled `text` exactly, if there is one.
    public func id(of text: String) -> Int? { ids[text] }

    /// Token ids of `text`. With `parseSpecial`, spellings of special tokens become those tokens.
    public func encode(_ text: String, parseSpecial: Bool = false) -> [Int] {
        encode(parseSpecial && !specialsLongestFirst.isEmpty ? splitOnSpecials(text) : [.text(text)])
    }

    public func encode(_ segments: [TokenizerSegment]) -> [Int] {
        var out: [Int] = addBOS ? bosTokenID.map { [$0] } ?? [] : []
        for segment in segments {
            switch segment {
            case let .special(id): out.append(id)
            case let .text(t): encodePlain(t, into: &out)
            }
        }
        return out
    }

    /// The text of `ids`; special tokens are skipped unless `includeSpecial`.
    public func decode(_ ids: [Int], includeSpecial: Bool = false) -> String {
        String(decoding: bytes(ids, includeSpecial: includeSpecial), as: UTF8.self)
    }

    /// The raw bytes `ids` stand for (a token may hold part of a UTF-8 character).
    public func bytes(_ ids: [Int], includeSpecial: Bool = false) -> [UInt8] {
        var out: [UInt8] = []
        for id in ids where id >= 0 && id < tokens.count {
            if specialTokenIDs.contains(id) {
                if includeSpecial { out.append(contentsOf: tokens[id].utf8) }
                continue
            }
            for s in tokens[id].unicodeScalars {
                if let b = ByteLevel.byte(for: s) { out.append(b) } else { out.append(contentsOf: String(s).utf8) }
            }
        }
        return out
    }

    // MARK: - Encoding

    private func splitOnSpecials(_ text: String) -> [TokenizerSegment] {
        var segments: [TokenizerSegment] = []
        let bytes = Array(text.utf8)
        var start = 0, i = 0
        let specials = specialsLongestFirst.map { (Array($0.text.utf8), $0.id) }
        outer: while i < bytes.count {
            for (s, id) in specials where s.count <= bytes.count - i && bytes[i] == s[0] {
                if Array(bytes[i..<i + s.count]) == s {
                    if start < i { segments.append(.text(String(decoding: bytes[start..<i], as: UTF8.self))) }
                    segments.append(.special(id))
                    i += s.count
                    start = i
                    continue outer
                }
            }
            i += 1
        }
        if start < bytes.count { segments.append(.text(String(decoding: bytes[start...], as: UTF8.self))) }
        return segments
    }

    private func encodePlain(_ text: String, into out: inout [Int]) {
        for word in preTokenizer.split(text) {
            lock.lock()
            let cached = cache[word]
            lock.unlock()
            if let cached { out.append(contentsOf: cached); continue }
            let ids = bpe(word)
            lock.lock()
            if cache.count > 100_000 { cache.removeAll(keepingCapacity: true) }
            cache[word] = ids
            lock.unlock()
            out.append(contentsOf: ids)
        }
    }

    /// Merges the byte tokens of one word: repeatedly the lowest-ranked adjacent pair, leftmost first.
    /// The candidate pairs wait in a min-heap keyed by (rank, position), so a word of n bytes costs
    /// O(n log n) rather than the O(n²) of rescanning it after every merge (an 80,000-character run without
    /// spaces took 44 s that way; `elder-bench tokenizer` measures it). A heap entry whose pair changed since
    /// it was pushed is skipped when popped: a rank names one pair, so an entry is current iff the pair now at
    /// its position has its rank.
    private func bpe(_ word: Substring) -> [Int] {
        // A byte without a token is dropped, as llama.cpp does.
        var symbols = word.utf8.map { byteTokens[Int($0)] }.filter { $0 >= 0 }
        let n = symbols.count
        guard n > 1 else { return symbols }
        var next = Array(1...n)            // n: none
        var previous = Array(-1..<(n - 1))  // -1: none
        var heap = MinHeap()
        func rank(_ i: Int) -> Int? {
            let j = next[i]
            guard j < n else { return nil }
            return merges[UInt64(symbols[i]) << 32 | UInt64(symbols[j])]?.rank
        }
        for i in 0..<(n - 1) { if let r = rank(i) { heap.push(rank: r, position: i) } }
        while let (r, i) = heap.pop() {
            guard symbols[i] >= 0, rank(i) == r else { continue }  // stale
            let j = next[i]
            symbols[i] = merges[UInt64(symbols[i]) << 32 | UInt64(symbols[j])]!.result
            symbols[j] = -1
            next[i] = next[j]
            if next[j] < n { previous[next[j]] = i }
            if let r = rank(i) { heap.push(rank: r, position: i) }
            if previous[i] >= 0, let r = rank(previous[i]) { heap.push(rank: r, position: previous[i]) }
        }
        return symbols.filter { $0 >= 0 }
    }
}

/// A binary min-heap of (rank, position) pairs packed into one integer, so ties of rank go leftmost first
/// (BPE merges by rank; SentencePiece by score, as `SentencePieceTokenizer.mergeRank`).
struct MinHeap {
    private var items: [UInt64] = []

    mutating func push(rank: Int, position: Int) {
        items.append(UInt64(rank) << 32 | UInt64(position))
        var c = items.count - 1
        while c > 0 {
            let p = (c - 1) / 2
            guard items[c] < items[p] else { break }
            items.swapAt(c, p)
            c = p
        }
    }

    mutating func pop() -> (rank: Int, position: Int)? {
        guard let top = items.first else { return nil }
        let last = items.removeLast()
        if !items.isEmpty {
            items[0] = last
            var p = 0
            while true {
                let l = 2 * p + 1, r = l + 1
                var m = p
                if l < items.count, items[l] < items[m] { m = l }
                if r < items.count, items[r] < items[m] { m = r }
                if m == p { break }
                items.swapAt(p, m)
                p = m
            }
        }
        return (Int(top >> 32), Int(top & 0xffff_ffff))
    }
}

/// Why a tokenizer could not be built.
public enum TokenizerError: Error, Equatable, CustomStringConvertible {
    case invalid(String)
    public var description: String {
        switch self { case let .invalid(reason): return "invalid tokenizer: \(reason)" }
    }
}

/// GPT-2's reversible map between bytes and printable Unicode scalars (`bytes_to_unicode`).
enum ByteLevel {
    static let byteToScalar: [Unicode.Scalar] = {
        var printable = Array(0x21...0x7E) + Array(0xA1...0xAC) + Array(0xAE...0xFF)
        var scalars = printable
        var n = 0
        for b in 0..<256 where !printable.contains(b) {
            printable.append(b)
            scalars.append(256 + n)
            n += 1
        }
        var table = [Unicode.Scalar](repeating: " ", count: 256)
        for (b, s) in zip(printable, scalars) { table[b] = Unicode.Scalar(UInt32(s))! }
        return table
    }()
    static let scalarToByte: [UInt32: UInt8] = {
        var m: [UInt32: UInt8] = [:]
        for (b, s) in byteToScalar.enumerated() { m[s.value] = UInt8(b) }
        return m
    }()
    static func scalar(for byte: UInt8) -> Unicode.Scalar { byteToScalar[Int(byte)] }
    static func byte(for scalar: Unicode.Scalar) -> UInt8? { scalarToByte[scalar.value] }
}
