import ArgumentParser
import Elder
import ElderCommandLine
import ElderStore
import Foundation

extension ElderCommand {
    /// `elder verify`: are these commits Elder commits whose tensors rebuild to the states they record?
    /// A server's pre-receive hook runs it on every push (`Hooks/pre-receive`).
    struct Verify: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Check that commits are Elder commits whose tensors rebuild to the states they record.",
            discussion: """
                Every commit reachable from REVISION (default HEAD) and not from --not REV is checked as `elder pull` \
                checks what it fetches (Elder trailers, the repo's elder.json, tensor packs within the read limits, \
                the codebook), and rebuilt: its state hash must be the one it records. A merge made by plain git \
                has no Elder trailers; a tensor blob changed by hand does not rebuild to its hash. Exit 1 if one fails.
                With --pre-receive it reads git's pre-receive input (OLD NEW REF lines) and checks each branch update's \
                new commits, reading the pushed objects from git's quarantine (GIT_QUARANTINE_PATH); the sample \
                server hook Hooks/pre-receive runs it so a push of a plain-git merge or a tampered blob is refused.
                Examples:
                  elder verify                       # the whole history of HEAD
                  elder verify main --not origin/main
                  elder verify --pre-receive < updates   # in a server's hooks/pre-receive
                """)

        @Argument(help: ArgumentHelp("The commit to check with its history.", valueName: "REVISION"))
        var revision: String?

        @Option(name: .customLong("not"), help: ArgumentHelp("Leave out commits reachable from REV (repeatable).", valueName: "REV"))
        var excluded: [String] = []

        @Flag(name: .customLong("pre-receive"), help: "Read git's pre-receive input (OLD NEW REF lines) on standard input.")
        var preReceive = false

        @OptionGroup var repo: RepoOptions
        @OptionGroup var output: OutputOptions

        struct Report: Encodable {
            var verdicts: [PushVerification.Verdict]
        }

        func validate() throws {
            if preReceive, revision != nil || !excluded.isEmpty {
                throw ValidationError("--pre-receive reads the updates on standard input: give no REVISION or --not")
            }
        }

        func run() throws {
            let console = output.console
            let path = try repo.repoPath()
            let verdicts: [PushVerification.Verdict]
            if preReceive {
                let input = String(decoding: FileHandle.standardInput.readDataToEndOfFile(), as: UTF8.self)
                // The pushed objects wait in git's quarantine (an objects folder) until the hook accepts them.
                let quarantine = ProcessInfo.processInfo.environment["GIT_QUARANTINE_PATH"].map { [$0] } ?? []
                verdicts = try PushVerification.check(try PushVerification.Update.parse(input), repo: path, objectDirectories: quarantine)
            } else {
                let repository = try Repository.open(at: path)
                let tip = try repository.resolveCommit(revision ?? "HEAD")
                let ref = try repository.currentBranch().map { "refs/heads/" + $0 } ?? "HEAD"
                verdicts = [try PushVerification.verify(tip, as: revision == nil ? ref : revision!, repo: path,
                                                         excluding: try excluded.map { try repository.resolveCommit($0) })]
            }
            try console.emit(Report(verdicts: verdicts)) {
                verdicts.map { v in
                    let name = v.ref.hasPrefix("refs/heads/") ? String(v.ref.dropFirst("refs/heads/".count)) : v.ref
                    if let refusal = v.refusal { return "elder: refusing \(name) (\(v.commit.prefix(7))): \(refusal)" }
                    return "\(name) \(v.commit.prefix(7)): \(v.commits) commit\(v.commits == 1 ? "" : "s") verified"
                }.joined(separator: "\n")
            }
            if verdicts.contains(where: { $0.refusal != nil }) { throw ExitCode(1) }
        }
    }
}
