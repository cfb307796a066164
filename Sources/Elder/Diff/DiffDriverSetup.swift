import ElderStore
import Foundation

/// Makes `git diff`, `git show` and `git log -p` in a knowledge repo print edits and tensor summaries instead
/// of "Binary files differ": the repo's attributes (`info/attributes`, the `.gitattributes` of a bare
/// repository, which has no work tree to hold one) give its blobs the diff driver `elder`, and the repo's
/// local config says how to turn a blob into text (`diff.elder.textconv = <command> diff-driver`, git's
/// textconv: git runs it on a temporary file holding the blob). `elder init` and `elder clone` set it up.
public enum DiffDriverSetup {
    public static let driver = "elder"
    /// The attribute lines: tensor packs, JSON (elder.json, edit records, keyframe meta, memory.json) and
    /// every codebook file.
    public static let attributes = """
        # Elder: git diff / git show print edits and tensor summaries (elder diff-driver; set up by elder init)
        *.bin diff=elder
        *.json diff=elder
        codebook/* diff=elder

        """

    /// Writes the attribute lines into `<git dir>/info/attributes` (kept if already there, other lines kept)
    /// and `diff.elder.textconv` = `elder` (the executable's path, shell-quoted) `diff-driver`.
    public static func install(in repository: Repository, executable: String) throws {
        let folder = repository.gitDirectory + "/info"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let path = folder + "/attributes"
        let existing = (try? String(contentsOfFile: path, encoding: .utf8)) ?? ""
        if !existing.contains("diff=\(driver)") {
            let separator = existing.isEmpty || existing.hasSuffix("\n") ? "" : "\n"
            try (existing + separator + attributes).write(toFile: path, atomically: true, encoding: .utf8)
        }
        try repository.setConfigValue("diff.\(driver).textconv", shellQuoted(executable) + " diff-driver")
    }

    /// `text` in single quotes for `sh` (git runs textconv through the shell).
    static func shellQuoted(_ text: String) -> String {
        "'" + text.replacingOccurrences(of: "'", with: "'\\''") + "'"
    }
}
