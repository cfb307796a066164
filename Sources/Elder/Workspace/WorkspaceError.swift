import ElderStore

/// What can go wrong in a workspace, each case saying what to do about it.
public enum WorkspaceError: Error, CustomStringConvertible, Sendable, Equatable {
    /// The model given (or found) is not the one the repo was created with.
    case modelMismatch(repo: String, expectedFile: String, expectedSHA256: String, givenPath: String, givenSHA256: String)
    /// The repo records a model file that cannot be found on this machine.
    case modelNotFound(repo: String, fileName: String, sha256: String)
    /// `elder.json` has no (or an unreadable) workspace section.
    case invalidWorkspaceConfig(String)
    /// The codebook files of a version cannot be decoded.
    case invalidMemory(String)
    case noSuchBranch(String)
    /// A revision that names no commit of the repo.
    case unknownRevision(String)
    /// The revision makes no edit (e.g. the root commit), so there is nothing to revert.
    case notAnEdit(revision: String)
    /// The edit is not live at the branch tip (already reverted, or on another branch).
    case editNotLive(editID: String, branch: String)
    /// Restoring an edit that is already live.
    case editAlreadyLive(editID: String, branch: String)
    /// The revision is not in the branch's history.
    case notOnBranch(revision: String, branch: String)
    case invalidEditID(String)
    /// The editing method keeps state the knowledge-repo format cannot hold.
    case methodNotStorable(method: String, reason: String)
    /// The branch and the commit to merge share no history.
    case noCommonHistory(branch: String, theirs: String)
    /// Edits made on the two sides since the merge base demand different answers for one prompt;
    /// nothing was committed and the branch did not move.
    case mergeConflicts(branch: String, theirs: String, conflicts: [MergeConflict])
    /// The commit cannot be cherry-picked (the root, a merge, a commit that took edits out, one whose
    /// answer the branch already has).
    case cannotCherryPick(revision: String, reason: String)
    /// A picked edit and a live edit of the branch demand different answers for one prompt; nothing was
    /// committed and the branch did not move.
    case cherryPickConflicts(branch: String, revision: String, conflicts: [MergeConflict])
    /// The edit breaks probes of its gate (they passed before it); nothing was committed.
    case probesBroken(editID: String, probes: [ProbeChange])
    /// A bisect probe that cannot decide (empty prompt or expected answer, an empty probe file, no command).
    case invalidProbe(String)
    /// A bisect mark without a revision while no commit is waiting to be tested.
    case nothingToTest
    /// A bisect step (mark, next, log, run) while no bisection is in progress.
    case notBisecting
    /// The repo's standing probe gate (git config `key`) names a file that cannot be read.
    case unreadableProbeGate(key: String, problem: String)
    /// A git config setting of Elder's holds a value it cannot use.
    case invalidGitConfig(key: String, value: String, expected: String)
    /// The edit does not give its target on the state that would be committed; nothing was committed.
    case editDoesNotHold(editID: String, prompt: String, target: String, tokensCorrect: Int, targetTokens: Int,
                         trainedHeld: Bool, retrains: Int)
    /// Another writer moved the branch while the edit trained, and the update did not fit the new tip
    /// (nor did training it again there); nothing was committed.
    case lostRace(editID: String, branch: String, trainedOn: String, reason: String)

    public var description: String {
        switch self {
        case let .modelMismatch(repo, file, expected, path, given):
            return "the knowledge repo \(repo) was made for \(file) (sha256 \(expected.prefix(16))…), but \(path) has sha256 \(given.prefix(16))…: "
                + "open it with the original model file (`--model PATH` to that file), or create a new repo with `elder init --model \(path)`"
        case let .modelNotFound(repo, file, sha):
            return "the knowledge repo \(repo) needs the model \(file) (sha256 \(sha.prefix(16))…), which is not in the model cache: "
                + "run `bash Samples/fetch-model.sh` or pass `--model PATH`"
        case let .invalidWorkspaceConfig(reason):
            return "elder.json is refused (\(reason)): the repo is damaged or was not written by `elder init`; get it again from a source you trust"
        case let .invalidMemory(reason):
            return "the codebook of this version is refused (\(reason)): the repo is damaged or was written by another tool; get it again from a source you trust"
        case let .noSuchBranch(b):
            return "there is no branch \(b): list branches with `elder branch`"
        case let .unknownRevision(rev):
            return "unknown revision '\(Self.quoted(rev))': give a commit id, branch, tag or HEAD~n (list them with `elder log` and `elder branch`)"
        case let .notAnEdit(rev):
            return "\(rev) makes no edit (it is the root or a merge): give the commit of an edit or of a revert"
        case let .editNotLive(id, b):
            return "edit \(id) is not live on \(b) (already reverted?): nothing to revert"
        case let .editAlreadyLive(id, b):
            return "edit \(id) is already live on \(b): nothing to restore"
        case let .notOnBranch(rev, b):
            return "\(rev) is not in the history of \(b): check out the branch that holds it"
        case let .invalidEditID(id):
            return "edit id '\(id)' is invalid: use 1–128 characters of [A-Za-z0-9._-], starting with a letter or digit"
        case let .noCommonHistory(branch, theirs):
            return "\(theirs) and \(branch) share no history: only branches of one knowledge repo can be merged"
        case let .mergeConflicts(branch, theirs, conflicts):
            return "merging \(theirs) into \(branch): \(conflicts.count) conflict\(conflicts.count == 1 ? "" : "s"), nothing committed:\n"
                + conflicts.map { "  \($0)" }.joined(separator: "\n")
                + "\nrevert one edit of each pair, or merge with --prefer ours|theirs to drop the other side's edit"
        case let .cannotCherryPick(rev, reason):
            return "cannot cherry-pick \(rev): \(reason)"
        case let .cherryPickConflicts(branch, rev, conflicts):
            return "cherry-picking \(rev) onto \(branch): \(conflicts.count) conflict\(conflicts.count == 1 ? "" : "s"), nothing committed:\n"
                + conflicts.map { "  \($0)" }.joined(separator: "\n")
                + "\nrevert the edit on \(branch) first, or teach the answer there with `elder edit` (it supersedes a same-prompt edit)"
        case let .probesBroken(id, probes):
            let shown = probes.prefix(3).map { "\"\($0.prompt)\" no longer answers \"\($0.wanted ?? "")\"" }.joined(separator: "; ")
            return "edit \(id) breaks \(probes.count) probe\(probes.count == 1 ? "" : "s") that passed before it, nothing committed: "
                + shown + (probes.count > 3 ? "; …" : "")
                + " — reword the edit or add paraphrases, or drop those probes from the file to commit it anyway"
        case let .invalidProbe(reason):
            return "the bisect probe cannot decide: \(reason)"
        case let .unreadableProbeGate(key, problem):
            return "the repo's probe gate (git config \(key)) cannot be read: \(problem) — "
                + "point it at a probe file with `git config \(key) FILE`, or skip it once with --no-verify"
        case let .invalidGitConfig(key, value, expected):
            return "git config \(key) is '\(Self.quoted(value))': set it to \(expected) (`git config \(key) VALUE`), or unset it"
        case let .editDoesNotHold(id, prompt, target, correct, total, trainedHeld, retrains):
            let why = trainedHeld
                ? "the trained model gave it, storing the update on the repo's grid broke it"
                    + (retrains > 0 ? " and \(retrains) retrain\(retrains == 1 ? "" : "s") did not mend it" : "")
                : "training did not reach it"
            return "edit \(id) does not hold: \"\(Self.quoted(prompt))\" gives \(correct) of \(total) tokens of \"\(Self.quoted(target))\" "
                + "on the state that would be committed (\(why)); nothing committed — add paraphrases (--paraphrase), "
                + "reword the prompt or raise iterations (elder.json), or commit it anyway with --allow-not-holding"
        case let .lostRace(id, branch, trainedOn, reason):
            return "edit \(id) lost a race: \(branch) moved while it trained on \(trainedOn), and the update does not fit "
                + "the new tip (\(reason)), nor did training it again there; nothing committed — run the same command again"
        case .notBisecting:
            return "no bisection is in progress: start one with `elder bisect start BAD GOOD...`"
        case .nothingToTest:
            return "no commit is waiting to be tested (the bisection needs a bad and a good commit, or it is finished): give a revision"
        case let .methodNotStorable(method, reason):
            return "method \(method) cannot be stored in a knowledge repo (\(reason)): use elder, elder-paper, ft-l or lora"
        }
    }
}

extension WorkspaceError {
    /// A name given by the user as an error quotes it: at most 60 characters, and how long it was beyond that.
    static func quoted(_ text: String) -> String {
        text.count <= 80 ? text : String(text.prefix(60)) + "… (\(text.count) characters)"
    }
}
