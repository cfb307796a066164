import ElderEditing
import ElderStore
import Foundation

/// The base model's greedy answers, kept beside the repo (`<git dir>/elder/base-answers.jsonl`, one JSON
/// object per line: model SHA-256, token budget, prompt, answer tokens). The base model of a repo never
/// changes, so an answer computed once serves every later `eval`, `diff`, `bisect` and probe gate, in any
/// process. Not history: git ignores the file, a clone starts without it, deleting it only costs time.
/// Lines that do not parse (a write cut short) are skipped.
struct BaseAnswerFile {
    struct Line: Codable {
        var model: String
        var maxTokens: Int
        var prompt: String
        var tokens: [Int]
    }

    let path: String
    let model: String

    init(gitDirectory: String, modelSHA256: String) {
        path = (gitDirectory as NSString).appendingPathComponent("elder/base-answers.jsonl")
        model = modelSHA256
    }

    static func key(_ prompt: String, maxTokens: Int) -> String { "\(maxTokens)\u{0}\(prompt)" }

    /// Every answer recorded for this model, by `key`.
    func load() -> [String: [Int]] {
        guard let data = FileManager.default.contents(atPath: path) else { return [:] }
        var out: [String: [Int]] = [:]
        let decoder = JSONDecoder()
        for line in data.split(separator: 0x0A) {
            guard let l = try? decoder.decode(Line.self, from: Data(line)), l.model == model else { continue }
            out[Self.key(l.prompt, maxTokens: l.maxTokens)] = l.tokens
        }
        return out
    }

    /// Appends one answer (best effort: a cache that cannot be written is only slower next time).
    func append(prompt: String, maxTokens: Int, tokens: [Int]) {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        guard let line = try? encoder.encode(Line(model: model, maxTokens: maxTokens, prompt: prompt, tokens: tokens)) else { return }
        let folder = (path as NSString).deletingLastPathComponent
        try? FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let fd = open(path, O_WRONLY | O_CREAT | O_APPEND, 0o644)
        guard fd >= 0 else { return }
        defer { close(fd) }
        let bytes = Array(line) + [0x0A]
        _ = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }   // one write: lines do not interleave
    }
}

extension Workspace {
    /// The base model's greedy answer to `prompt` (at the repo's first version, before any edit), from
    /// this workspace's memory, else the repo's base-answer file, else computed and recorded in both.
    func baseAnswer(_ prompt: String, maxTokens: Int, commit: ObjectID) throws -> (text: String, tokens: [Int]) {
        let key = BaseAnswerFile.key(prompt, maxTokens: maxTokens)
        if baseAnswers == nil {  // the file is read once per workspace
            baseAnswers = baseAnswerFile.load().mapValues { (model.tokenizer.decode($0), $0) }
        }
        if let cached = baseAnswers?[key] { return cached }
        if baseEditor == nil { baseEditor = try editor(for: try version(of: try baseVersion(of: commit))) }
        guard let baseEditor else { throw WorkspaceError.invalidMemory("no base version") }
        let out = Measurer(model: model).greedy(editor: baseEditor, prompt: prompt, maxTokens: maxTokens)
        baseAnswers?[key] = (out.text, out.tokens)
        baseAnswerFile.append(prompt: prompt, maxTokens: maxTokens, tokens: out.tokens)
        return (out.text, out.tokens)
    }

    var baseAnswerFile: BaseAnswerFile { BaseAnswerFile(gitDirectory: path, modelSHA256: config.model.sha256) }

    /// The greedy answer of `editor` (a state of the repo holding `commit`) to `prompt`. When the editor's
    /// deferral does not fire on the prompt, the state computes exactly the base model, so the answer is
    /// the base answer (cached; one query instead of a generation).
    func answer(_ prompt: String, editor: any Editor, maxTokens: Int, commit: ObjectID) throws -> (text: String, tokens: [Int]) {
        if let mixture = editor as? MixtureEditor,
           !mixture.route(query: mixture.rawQuery(tokens: model.tokenizer.encode(prompt))).fired {
            return try baseAnswer(prompt, maxTokens: maxTokens, commit: commit)
        }
        let out = Measurer(model: model).greedy(editor: editor, prompt: prompt, maxTokens: maxTokens)
        return (out.text, out.tokens)
    }
}
