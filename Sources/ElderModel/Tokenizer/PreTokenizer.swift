/// Splits text into the words that byte-level BPE merges within, as llama.cpp's `smollm` and `gpt2`
/// pre-tokenizers do: optionally every number character on its own first (`\p{N}`), then the GPT-2
/// pattern `'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+` on each piece.
public struct PreTokenizer: Sendable, Equatable {
    /// Split every `\p{N}` character into its own piece before the GPT-2 pattern (SmolLM, StarCoder).
    public var individualDigits: Bool

    public init(individualDigits: Bool) { self.individualDigits = individualDigits }

    public func split(_ text: String) -> [Substring] {
        let scalars = Substring(text).unicodeScalars
        var words: [Substring] = []
        if individualDigits {
            var start = scalars.startIndex
            var i = start
            while i < scalars.endIndex {
                let next = scalars.index(after: i)
                if Self.isNumber(scalars[i]) {
                    if start < i { gpt2Split(scalars[start..<i], into: &words) }
                    words.append(Substring(scalars[i..<next]))
                    start = next
                }
                i = next
            }
            if start < scalars.endIndex { gpt2Split(scalars[start..<scalars.endIndex], into: &words) }
        } else {
            gpt2Split(scalars[...], into: &words)
        }
        return words
    }

    /// The GPT-2 pattern, hand-written as llama.cpp's `unicode_regex_split_custom_gpt2` does it.
    private func gpt2Split(_ piece: Substring.UnicodeScalarView, into words: inout [Substring]) {
        let s = Array(piece)
        let base = piece.startIndex
        let n = s.count
        var start = 0
        var pos = 0
        var cursor = base  // the index of scalar `start`: each emit walks only its own word (linear in all)
        func emit(_ end: Int) {
            let b = piece.index(cursor, offsetBy: end - start)
            words.append(Substring(piece[cursor..<b]))
            cursor = b
            start = end
            pos = end
        }
        func kind(_ i: Int) -> Kind { i < n ? Self.kind(s[i]) : .none }
        while pos < n {
            let c = s[pos]
            if c == "'" && pos + 1 < n {
                let c1 = s[pos + 1]
                if c1 == "s" || c1 == "t" || c1 == "m" || c1 == "d" { emit(pos + 2); continue }
                if pos + 2 < n {
                    let c2 = s[pos + 2]
                    if (c1 == "r" && c2 == "e") || (c1 == "v" && c2 == "e") || (c1 == "l" && c2 == "l") { emit(pos + 3); continue }
                }
            }
            let k2 = c == " " ? kind(pos + 1) : kind(pos)
            switch k2 {
            case .letter, .number:
                var p = pos + (c == " " ? 1 : 0)
                while kind(p) == k2 { p += 1 }
                emit(p); continue
            case .other:
                var p = pos + (c == " " ? 1 : 0)
                while kind(p) == .other { p += 1 }
                emit(p); continue
            case .whitespace, .none:
                break
            }
            var spaces = 0
            while kind(pos + spaces) == .whitespace { spaces += 1 }
            if spaces > 1 && pos + spaces < n { emit(pos + spaces - 1); continue }
            if spaces > 0 { emit(pos + spaces); continue }
            emit(pos + 1)
        }
    }

    enum Kind { case letter, number, whitespace, other, none }

    static func kind(_ c: Unicode.Scalar) -> Kind {
        if c.isASCII {
            switch c.value {
            case 0x41...0x5A, 0x61...0x7A: return .letter
            case 0x30...0x39: return .number
            case 0x09...0x0D, 0x20: return .whitespace
            default: return .other
            }
        }
        let p = c.properties
        if p.isWhitespace { return .whitespace }
        switch p.generalCategory {
        case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter: return .letter
        case .decimalNumber, .letterNumber, .otherNumber: return .number
        default: return .other
        }
    }

    static func isNumber(_ c: Unicode.Scalar) -> Bool { kind(c) == .number }
}
