import Elder
import ElderEditing
import ElderModel
import ElderStore
import Foundation

/// The write actions of the review pages, each through the workspace's one landing path: propose (an edit
/// trained on a proposal branch from `main`, or only checked), approve (the proposal merged into `main` by a
/// merge commit that names the approver) and revert (with repair). A person's mistake is a `ReviewProblem`
/// in plain words and nothing is committed.
enum ReviewActions {
    /// Trailer naming who proposed an edit.
    static let proposedBy = "Proposed-by"
    /// Trailer naming who approved a merge into main or a revert.
    static let approvedBy = "Approved-by"

    /// What a person typed into the Propose form, checked.
    struct Proposal: Sendable {
        var prompt: String
        var target: String
        var message: String?
        var paraphrases: [String]
        var name: String
        var checkOnly: Bool

        static let maxParaphrases = 20

        init(_ fields: FormFields) throws(ReviewProblem) {
            // The prompt is trimmed: the space between it and the answer belongs to the answer.
            guard let prompt = fields["prompt"].map({ String($0.trimmingCharacters(in: .whitespacesAndNewlines)) }), !prompt.isEmpty else {
                throw ReviewProblem(status: .badRequest, headline: "The prompt is empty.",
                                    lines: ["Write the start of the sentence the model should complete, such as “The CEO of Acme is”. Nothing was committed."])
            }
            guard let target = fields["target"], !target.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else {
                throw ReviewProblem(status: .badRequest, headline: "The answer is empty.",
                                    lines: ["Write the answer the model should give, starting with a space, such as “ Jane Doe”. Nothing was committed."])
            }
            guard let first = target.unicodeScalars.first, first == " " || first == "\n" else {
                throw ReviewProblem(status: .badRequest, headline: "The answer must start with a space.",
                                    lines: ["The model writes the answer right after the prompt, so “\(target)” would be glued to its last word. "
                                        + "Write “ \(target)” (a space first). Nothing was committed."])
            }
            self.prompt = prompt
            self.target = target
            message = fields.trimmed("message")
            paraphrases = (fields["paraphrases"] ?? "").split(whereSeparator: \.isNewline)
                .map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
            guard paraphrases.count <= Self.maxParaphrases else {
                throw ReviewProblem(status: .badRequest, headline: "Too many other wordings.",
                                    lines: ["Give at most \(Self.maxParaphrases), one a line. Nothing was committed."])
            }
            self.name = try ReviewActions.personName(fields)
            checkOnly = fields["action"] == "check"
        }
    }

    /// The name a person gave, fit for a commit trailer: one line, printable, at most 100 characters.
    static func personName(_ fields: FormFields) throws(ReviewProblem) -> String {
        guard let name = fields.trimmed("name") else {
            throw ReviewProblem(status: .badRequest, headline: "Your name is missing.",
                                lines: ["Write your name: it is recorded in the commit. Nothing was committed."])
        }
        guard name.count <= 100, !name.unicodeScalars.contains(where: { $0.properties.generalCategory == .control || $0 == "\u{2028}" || $0 == "\u{2029}" }) else {
            throw ReviewProblem(status: .badRequest, headline: "Your name cannot be recorded as written.",
                                lines: ["Write it on one line, in at most 100 characters. Nothing was committed."])
        }
        return name
    }

    /// What proposing did: the dry run's or the commit's measurements, and the proposal branch.
    struct Proposed: Sendable {
        var result: EditResult
        var editID: String
        var branch: String?
    }

    static func propose(_ proposal: Proposal, workspace: Workspace) throws -> Proposed {
        var request = EditRequest(id: "", prompt: proposal.prompt, target: proposal.target, paraphrases: proposal.paraphrases)
        request.id = Workspace.makeEditID(request)
        let trailers = [Trailer(proposedBy, proposal.name)]
        if proposal.checkOnly {
            let result = try plainWords { try workspace.edit(request, message: proposal.message, on: "main", dryRun: true, trailers: trailers) }
            return Proposed(result: result, editID: request.id, branch: nil)
        }
        let branch = ProposalBranch.name(editID: request.id)
        let history = workspace.history
        let start = try history.createBranch(branch, at: "main")
        do {
            // A proposal lands on its own branch whether it holds or not: its page says whether it held, and
            // approving it (a merge into main, verified) is the person's decision.
            let result = try plainWords {
                try workspace.edit(request, message: proposal.message, on: branch, trailers: trailers, allowNotHolding: true)
            }
            if result.upToDate {
                _ = try? history.deleteBranch(branch, force: true)
                throw ReviewProblem(status: .ok, headline: "Nothing to propose: main already answers this.",
                                    lines: ["Edit \(result.editID) already teaches “\(proposal.prompt)” → “\(proposal.target)”. Nothing was committed."])
            }
            return Proposed(result: result, editID: request.id, branch: branch)
        } catch {
            // The branch was made for this proposal: take it away again if nothing landed on it.
            if (try? workspace.store.tip(of: branch)) == start.tip { _ = try? history.deleteBranch(branch, force: true) }
            throw error
        }
    }

    static func approve(branch: String, name: String, workspace: Workspace) throws -> MergeResult {
        guard branch.hasPrefix(ProposalBranch.prefix), RevisionName.isAllowed(branch), (try? workspace.store.tip(of: branch)) != nil else {
            throw ReviewProblem(status: .notFound, headline: "There is no proposal “\(branch)”.",
                                lines: ["It may have been approved or deleted already: see the History page."])
        }
        let summary = (try? workspace.history.entry(try workspace.resolve(branch)).summary) ?? branch
        return try plainWords {
            try workspace.merge(branch, into: "main", message: "Approve \(branch): \(summary)", repair: true, fastForward: false,
                                trailers: [Trailer(approvedBy, name)])
        }
    }

    static func revert(commit: String, branch: String, name: String, workspace: Workspace) throws -> RevertReport {
        guard RevisionName.isAllowed(commit), RevisionName.isAllowed(branch) else {
            throw ReviewProblem.notFound("There is no commit “\(commit)” on “\(branch)”.")
        }
        return try plainWords { try workspace.revert(commit, on: branch, repair: true, trailers: [Trailer(approvedBy, name)]) }
    }

    /// Runs `body`; the workspace's errors a person can act on become problems in plain words.
    static func plainWords<T>(_ body: () throws -> T) throws -> T {
        do { return try body() } catch let error as WorkspaceError {
            switch error {
            case let .probesBroken(_, probes):
                throw ReviewProblem(status: .unprocessableContent,
                                    headline: "This edit would break \(probes.count) of the repo's probe\(probes.count == 1 ? "" : "s"). Nothing was committed.",
                                    lines: probes.map { "“\($0.prompt)” answers “\($0.wanted ?? "")” now and would not any more." }
                                        + ["Reword the edit or add other wordings, or ask whoever keeps the probe file whether that probe is still right."])
            case .lostRace:
                throw ReviewProblem(status: .conflict, headline: "Main changed while this edit was trained, and the edit no longer fits it.",
                                    lines: [error.description + "."])
            case let .mergeConflicts(_, theirs, conflicts):
                throw ReviewProblem(status: .conflict,
                                    headline: "\(theirs) conflicts with main: \(conflicts.count) prompt\(conflicts.count == 1 ? "" : "s") would get two answers. Nothing was merged.",
                                    lines: conflicts.map { "“\($0.prompt)”: main says “\($0.ours.target)” (edit \($0.ours.editID)), the proposal says “\($0.theirs.target)” (edit \($0.theirs.editID))." }
                                        + ["Revert the edit on main first (from its page), or propose the new answer again from main: it then replaces the old one."])
            case let .editNotLive(id, branch):
                throw ReviewProblem(status: .conflict, headline: "Edit \(id) is not live on \(branch) any more.",
                                    lines: ["It was reverted or replaced since: see the History page. Nothing was committed."])
            case .notOnBranch, .notAnEdit, .editAlreadyLive:
                throw ReviewProblem(status: .conflict, headline: "This commit cannot be reverted on main.", lines: [error.description + ". Nothing was committed."])
            case .unknownRevision(let name):
                throw ReviewProblem.notFound("There is no version named “\(name)”.")
            default:
                throw error
            }
        } catch let error as ContextLimitError {
            throw ReviewProblem(status: .badRequest, headline: "The text is too long for the model.", lines: [error.description + ". Nothing was committed."])
        } catch let error as RefError {
            throw ReviewProblem(status: .conflict, headline: "The proposal branch cannot be made.", lines: ["\(error)"])
        }
    }
}
