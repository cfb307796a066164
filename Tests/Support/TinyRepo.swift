import Foundation

/// A tiny random model (4 blocks, a byte-level tokenizer) written once per test run as a GGUF file, and
/// knowledge repos made with it: fast enough for end-to-end tests of every command.
public enum TinyRepo {
    /// The tiny model's file (written on first use).
    public static let modelPath: String = {
        let folder = temporaryFolder("elder-cli-tiny-model")
        let path = folder + "/tiny-llama.gguf"
        do { try TinyCheckpoint.make(seed: 7, layers: 4).writeGGUF(to: path) } catch {
            preconditionFailure("cannot write the tiny model: \(error)")
        }
        return path
    }()

    /// A fresh empty folder for a test.
    public static func folder(_ name: String = #function) -> String { temporaryFolder("elder-cli-" + name) }

    /// `elder init` of a new repo in a fresh folder with the tiny model; returns the repo's path.
    ///
    /// `allowNotHolding`: the tiny random model often gets a multi-token target short by a token, which
    /// `elder edit` refuses; tests of other things commit such edits as they come (git config
    /// `elder.allowNotHolding true`, the repo-local setting a person would use). Tests of holding say false.
    public static func make(_ name: String = #function, extra: [String] = [], allowNotHolding: Bool = true) throws -> String {
        let parent = folder(name)
        let repo = parent + "/facts"
        let run = try ElderProcess.run(["init", repo, "--model", modelPath] + extra, in: parent)
        guard run.status == 0 else {
            throw NSError(domain: "TinyRepo", code: Int(run.status), userInfo: [NSLocalizedDescriptionKey: "elder init failed: \(run.stderr)"])
        }
        if allowNotHolding {
            let config = try GitCLI.run(["config", "elder.allowNotHolding", "true"], in: repo)
            guard config.status == 0 else {
                throw NSError(domain: "TinyRepo", code: Int(config.status), userInfo: [NSLocalizedDescriptionKey: "git config failed: \(config.output)"])
            }
        }
        return repo
    }
}
