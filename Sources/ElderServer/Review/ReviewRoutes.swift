import Elder
import ElderModel
import Foundation
import Hummingbird
import Logging

/// The review pages' route group: server-rendered HTML for people who check and approve edits in a browser.
///
/// Read: `GET /history` (the log of a branch, filtered by text), `GET /commit/{id}` (an edit's page),
/// `GET /compare` (knowledge and behaviour diff of two versions), `GET /ask` (a prompt against any version).
/// Write (refused with 403 unless `WriteGuard` lets the request through): `GET`/`POST /propose`,
/// `POST /approve`, `POST /revert`. Pages read through their own workspace; writes go one at a time through
/// another, so reading never waits for a training.
struct ReviewRoutes: Sendable {
    let reader: RepositoryWorker
    let writer: RepositoryWorker
    let guardian: WriteGuard
    let renderer: PageRenderer
    let maxBodyBytes: Int
    let logger: Logger

    func add(to router: Router<BasicRequestContext>) {
        router.get("/") { _, _ in Response(status: .seeOther, headers: [.location: "/history"]) }
        router.get("history") { request, _ in await history(request) }
        router.get("commit/:id") { _, context in await commit(context.parameters.get("id") ?? "") }
        router.get("compare") { request, _ in await compare(request) }
        router.get("ask") { request, _ in await ask(request) }
        router.get("propose") { _, _ in
            renderer.render("propose", page("Propose an edit", ProposeContent()))
        }
        router.post("propose") { request, _ in await propose(request) }
        router.post("approve") { request, _ in await approve(request) }
        router.post("revert") { request, _ in await revert(request) }
    }

    func page(_ title: String, _ content: Any, problem: ReviewProblem? = nil, notice: String? = nil) -> ReviewPage {
        ReviewPage(title: title, problem: problem.map { ReviewPage.Problem(headline: $0.headline, lines: $0.lines) }, notice: notice,
                   writable: guardian.writable, csrf: guardian.formToken, content: content)
    }

    /// The page `make` builds on the reader, or the problem that stopped it.
    func read<T: Sendable>(_ template: String, _ title: String, _ make: @escaping @Sendable (Workspace) throws -> T) async -> Response {
        do {
            let content = try await reader.run(make)
            return renderer.render(template, page(title, content))
        } catch {
            return problemPage(error, title: title)
        }
    }

    func problemPage(_ error: Error, title: String, template: String = "result", content: Any = ResultContent()) -> Response {
        let problem = Self.problem(error)
        if problem.status == .internalServerError { logger.error("review page failed", metadata: ["error": "\(error)"]) }
        return renderer.render(template, page(title, content, problem: problem), status: problem.status)
    }

    static func problem(_ error: Error) -> ReviewProblem {
        switch error {
        case let problem as ReviewProblem: return problem
        case let error as ContextLimitError: return ReviewProblem(status: .badRequest, headline: "The text is too long for the model.", lines: [error.description])
        default:
            return ReviewProblem(status: .internalServerError, headline: "Something went wrong on the server.",
                                 lines: [String(describing: error).split(whereSeparator: \.isNewline).joined(separator: " ")])
        }
    }

    // MARK: reading

    func history(_ request: Request) async -> Response {
        let fields = FormFields(encoded: request.uri.query ?? "")
        let branch = fields.trimmed("branch") ?? "main", query = fields.trimmed("q") ?? ""
        let limit = min(max(Int(fields["limit"] ?? "") ?? HistoryContent.defaultLimit, 1), HistoryContent.maxLimit)
        return await read("history", "History of \(branch)") { try HistoryContent.make($0.history, branch: branch, query: query, limit: limit) }
    }

    func commit(_ id: String) async -> Response {
        await read("commit", "Commit \(id.prefix(12))") { try CommitContent.make($0, commit: id) }
    }

    func compare(_ request: Request) async -> Response {
        let fields = FormFields(encoded: request.uri.query ?? "")
        let to = fields.trimmed("to") ?? "main", from = fields.trimmed("from") ?? "\(to)~1"
        return await read("compare", "Compare \(from) and \(to)") { try CompareContent.make($0, from: from, to: to) }
    }

    func ask(_ request: Request) async -> Response {
        let fields = FormFields(encoded: request.uri.query ?? "")
        let version = fields.trimmed("version") ?? "main", prompt = fields.trimmed("prompt")
        return await read("ask", "Ask") { try AskContent.make($0, prompt: prompt, version: version) }
    }

    // MARK: writing

    /// The form of a write request once `WriteGuard` let it through; otherwise the 403 page.
    func writeForm(_ request: Request) async -> Result<FormFields, ReviewProblem> {
        var fields = FormFields()
        if let declared = request.headers[.contentLength].flatMap({ Int($0) }), declared > maxBodyBytes {
            return .failure(ReviewProblem(status: .contentTooLarge, headline: "The form is too large.", lines: ["Nothing was committed."]))
        }
        if let buffer = try? await request.body.collect(upTo: maxBodyBytes) {
            fields = FormFields(encoded: String(buffer: buffer))
        } else {
            return .failure(ReviewProblem(status: .contentTooLarge, headline: "The form is too large or cut off.", lines: ["Nothing was committed."]))
        }
        if let refusal = guardian.refusal(request, fields: fields) {
            return .failure(ReviewProblem(status: .forbidden, headline: "Not allowed.", lines: [refusal, "Nothing was changed."]))
        }
        return .success(fields)
    }

    /// Runs `body` on the fields of a write request that `WriteGuard` let through; otherwise the 403 page.
    func write(_ request: Request, title: String, template: String = "result", refused: Any = ResultContent(),
               _ body: (FormFields) async -> Response) async -> Response {
        switch await writeForm(request) {
        case .success(let fields): return await body(fields)
        case .failure(let problem): return problemPage(problem, title: title, template: template, content: refused)
        }
    }

    func propose(_ request: Request) async -> Response {
        await write(request, title: "Propose an edit", template: "propose", refused: ProposeContent()) { fields in
            await propose(fields)
        }
    }

    func propose(_ fields: FormFields) async -> Response {
        let title = "Propose an edit"
        let again = ProposeContent(fields)
        do {
            let proposal = try ReviewActions.Proposal(fields)
            let proposed = try await writer.run { try ReviewActions.propose(proposal, workspace: $0) }
            var content = again
            content.result = ProposeContent.Result(proposed, proposal: proposal)
            if proposed.branch != nil { content = ProposeContent(result: content.result) }
            logger.info("review write", metadata: ["action": "\(proposal.checkOnly ? "check" : "propose")", "by": "\(proposal.name)",
                                                   "edit": "\(proposed.editID)", "committed": "\(proposed.result.committed)"])
            return renderer.render("propose", page(title, content, notice: proposed.branch.map { "Proposed on \($0): main is unchanged until someone approves it." }
                                                       ?? "Checked only: nothing was committed."))
        } catch {
            return problemPage(error, title: title, template: "propose", content: again)
        }
    }

    func approve(_ request: Request) async -> Response {
        await write(request, title: "Approve a proposal") { fields in await approve(fields) }
    }

    func approve(_ fields: FormFields) async -> Response {
        let title = "Approve a proposal"
        do {
            let name = try ReviewActions.personName(fields)
            let branch = fields.trimmed("branch") ?? ""
            let merged = try await writer.run { try ReviewActions.approve(branch: branch, name: name, workspace: $0) }
            logger.info("review write", metadata: ["action": "approve", "by": "\(name)", "branch": "\(branch)", "commit": "\(merged.tip.hex)"])
            var facts = [Fact(key: "Merge commit", value: merged.mergeCommit?.hex ?? merged.tip.hex),
                         Fact(key: "Approved by", value: name),
                         Fact(key: "Edits merged", value: merged.theirsAdded.joined(separator: ", ")),
                         Fact(key: "Live edits holding", value: "\(merged.liveEdits.count - merged.dropped.count) of \(merged.liveEdits.count)")]
            if let repair = merged.repair, let c = repair.commit { facts.append(Fact(key: "Repair commit", value: c.hex)) }
            let links = [ResultContent.Link(href: "/commit/\(merged.tip.hex)", text: "The merge on main"),
                         ResultContent.Link(href: "/history?branch=main", text: "History of main")]
            return renderer.render("result", page(title, ResultContent(facts: facts, links: links), notice: "Approved: \(branch) is merged into main."))
        } catch {
            return problemPage(error, title: title)
        }
    }

    func revert(_ request: Request) async -> Response {
        await write(request, title: "Revert a change") { fields in await revert(fields) }
    }

    func revert(_ fields: FormFields) async -> Response {
        let title = "Revert a change"
        do {
            let name = try ReviewActions.personName(fields)
            let commit = fields.trimmed("commit") ?? "", branch = fields.trimmed("branch") ?? "main"
            let report = try await writer.run { try ReviewActions.revert(commit: commit, branch: branch, name: name, workspace: $0) }
            logger.info("review write", metadata: ["action": "revert", "by": "\(name)", "reverted": "\(commit)", "commit": "\(report.commit.hex)"])
            var facts = [Fact(key: "Revert commit", value: report.commit.hex),
                         Fact(key: "Approved by", value: name),
                         Fact(key: "Prompt", value: report.revertedPrompt.prompt),
                         Fact(key: "Answer before the edit", value: report.revertedPrompt.beforeText),
                         Fact(key: "Answer now", value: report.revertedPrompt.afterText),
                         Fact(key: "Answers as before the edit", value: report.revertedPrompt.answersAsBefore ? "yes" : "no"),
                         Fact(key: "Live edits holding", value: "\(report.liveEdits.count - report.dropped.count) of \(report.liveEdits.count)")]
            if let repair = report.repair, let c = repair.commit { facts.append(Fact(key: "Repair commit", value: c.hex)) }
            let links = [ResultContent.Link(href: "/commit/\(report.commit.hex)", text: "The revert on \(branch)"),
                         ResultContent.Link(href: "/history?branch=\(branch)", text: "History of \(branch)")]
            return renderer.render("result", page(title, ResultContent(facts: facts, links: links), notice: "Reverted on \(branch)."))
        } catch {
            return problemPage(error, title: title)
        }
    }
}

/// A write's outcome: a table and where to go next.
struct ResultContent: Sendable {
    struct Link: Sendable {
        var href: String
        var text: String
    }
    var facts: [Fact] = []
    var links: [Link] = []
}

/// The Propose page: the form (filled again after a problem or a check) and what the last action measured.
struct ProposeContent: Sendable {
    struct ProbeRow: Sendable {
        var prompt: String
        var before: String
        var after: String
    }
    struct Result: Sendable {
        var heading: String
        var facts: [Fact]
        var probes: [ProbeRow]
        var hasProbes: Bool
        var branch: String?
        var branchQuery: String
        var formID = "approve"

        init(_ proposed: ReviewActions.Proposed, proposal: ReviewActions.Proposal) {
            let r = proposed.result, m = r.metrics
            heading = proposed.branch == nil ? "Check: what the edit would do (nothing committed)" : "Proposed on \(proposed.branch ?? "")"
            func yes(_ b: Bool) -> String { b ? "yes" : "no" }
            facts = [Fact(key: "Prompt", value: proposal.prompt), Fact(key: "Answer", value: "“\(proposal.target)”"),
                     Fact(key: "Edit id", value: proposed.editID),
                     Fact(key: "Gives the answer after training", value: yes(r.holds)),
                     Fact(key: "Adapter fires on the prompt", value: yes(m.fired))]
            if let p = m.paraphraseReliability { facts.append(Fact(key: "Other wordings given that hold", value: String(format: "%.0f %%", p * 100))) }
            if let w = m.rewordingReliability { facts.append(Fact(key: "Automatic rewordings that hold", value: String(format: "%.0f %%", w * 100))) }
            facts.append(Fact(key: "Probes it would break", value: "\(r.probes.filter(\.broken).count) of \(r.probes.count)"))
            if r.committed { facts.append(Fact(key: "Commit", value: r.commit.hex)) }
            for s in r.superseded { facts.append(Fact(key: "Replaces", value: "edit \(s.id): “\(s.target)”")) }
            probes = r.probes.map { ProbeRow(prompt: $0.prompt, before: $0.before ? "passes" : "fails", after: $0.after ? "passes" : "fails") }
            hasProbes = !probes.isEmpty
            branch = proposed.branch
            branchQuery = proposed.branch?.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? ""
        }
    }

    var prompt = ""
    var target = ""
    var message = ""
    var paraphrases = ""
    var result: Result?
    var formID = "propose"

    init(result: Result? = nil) { self.result = result }

    /// The form filled again with what was sent (never the token).
    init(_ fields: FormFields) {
        prompt = fields["prompt"] ?? ""
        target = fields["target"] ?? ""
        message = fields["message"] ?? ""
        paraphrases = fields["paraphrases"] ?? ""
    }
}
