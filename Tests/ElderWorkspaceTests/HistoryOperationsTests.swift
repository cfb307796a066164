import Elder
import ElderEditing
import ElderStore
import ElderTestSupport
import Foundation
import XCTest

/// Bisect, revert (with and without repair) and merge on a real 60-edit history (`EditHistoryFixture`,
/// built once for the class). Measured numbers are printed with the prefix `MEASURED:`.
final class HistoryOperationsTests: XCTestCase {
    override class func tearDown() {
        EditHistoryFixture.cleanUp()
        super.tearDown()
    }

    func pct(_ x: Double) -> String { String(format: "%.1f %%", 100 * x) }

    // MARK: bisect

    /// Edit 46 makes "The capital of France is" answer " Lyon"; a probe expecting " Paris" finds it in at
    /// most ⌈log2 60⌉ + 1 = 7 probe runs.
    func testBisectFindsTheEditThatBreaksAProbe() throws {
        let f = try EditHistoryFixture.get()
        let ws = f.ws
        let prompt = EditHistoryFixture.france.prompt
        XCTAssertTrue(try ws.probe(prompt, expected: " Paris", at: f.commits[0].hex).good)
        XCTAssertFalse(try ws.probe(prompt, expected: " Paris", at: "main").good)
        defer { try? ws.history.bisectReset() }

        let first = try ws.history.bisectStart(bad: "main", good: [f.commits[0].hex])
        guard case .test(_, let remaining, _)? = first else { return XCTFail("\(first)") }
        print("MEASURED: bisect over \(EditHistoryFixture.editCount) candidates: \(remaining) left after the first test")
        let run = try ws.bisectRun(.probe(prompt: prompt, expected: " Paris"))
        let bound = Int(ceil(log2(Double(EditHistoryFixture.editCount)))) + 1
        print("MEASURED: bisect named \(run.firstBad?.short ?? "nothing") in \(run.probeRuns) probe runs (bound \(bound)); "
            + "answers: \(run.tests.map { "\($0.verdict.rawValue):\($0.answer ?? "")" })")
        XCTAssertEqual(run.firstBad, f.commits[EditHistoryFixture.franceIndex])
        XCTAssertLessThanOrEqual(run.probeRuns, bound)
        XCTAssertEqual(run.tests.count, run.probeRuns)
        XCTAssertEqual(try ws.log(run.firstBad!.hex, limit: 1).first?.editID, EditHistoryFixture.france.id)
        // The marks are in the repo, as git keeps them: git names the same first bad commit.
        XCTAssertEqual(try f.git(["rev-parse", "refs/bisect/bad"]).out, f.commits[EditHistoryFixture.franceIndex].hex)
        XCTAssertEqual(try ws.history.bisectLog().count, 1 + run.tests.count)

        // A command decides the same way (exit 1 = bad, 0 = good; one commit skipped with 125).
        let france = f.commits[EditHistoryFixture.franceIndex].hex
        let skipped = f.commits[30].hex
        try ws.history.bisectStart(bad: "main", good: [f.commits[0].hex])
        let script = """
        [ "$ELDER_BISECT_REV" = \(skipped) ] && exit 125
        git --git-dir "$ELDER_REPO" merge-base --is-ancestor \(france) "$ELDER_BISECT_REV" && exit 1
        exit 0
        """
        let byCommand = try ws.bisectRun(.command(["sh", "-c", script]))
        XCTAssertEqual(byCommand.firstBad?.hex, france)
        XCTAssertEqual(byCommand.probeRuns, byCommand.tests.count)
        // Exit statuses above 127 abort the run, as in git.
        try ws.history.bisectStart(bad: "main", good: [f.commits[0].hex])
        XCTAssertThrowsError(try ws.bisectRun(.command(["sh", "-c", "exit 200"]))) { error in
            XCTAssertEqual(error as? BisectError, .runAborted(exitCode: 200))
        }
        // Manual marks: `good`/`bad` without a revision mark the commit waiting to be tested.
        try ws.history.bisectStart(bad: "main", good: [f.commits[0].hex])
        var step = try ws.history.bisectNext()
        var manual = 0
        while let c = step.commitToTest {
            manual += 1
            step = try ws.history.bisectMark(try ws.probe(prompt, expected: " Paris", at: c.hex).good ? .good : .bad)
        }
        XCTAssertEqual(step, .firstBad(f.commits[EditHistoryFixture.franceIndex]))
        XCTAssertEqual(manual, run.probeRuns)
        try ws.history.bisectReset()
        XCTAssertNil(try ws.history.bisection())
    }

    // MARK: revert

    /// Reverting edit 30 of 60: its prompt answers as before the edit, and ≥ 95 % of the other 59 live
    /// edits still hold; with repair, the dropped ones are retrained in a follow-up commit.
    func testRevertInTheMiddleOfTheHistory() throws {
        let f = try EditHistoryFixture.get()
        let ws = f.ws
        let index = 30
        let reverted = f.edits[index - 1]
        let tipChecks = try ws.liveEdits(at: "main").count
        XCTAssertEqual(tipChecks, EditHistoryFixture.editCount)
        for name in ["revert-plain", "revert-repair"] { try ws.store.repository.createBranch(name, at: f.commits.last!) }

        let plain = try ws.revert(f.commits[index].hex, on: "revert-plain")
        XCTAssertEqual(plain.editID, reverted.id)
        XCTAssertNil(plain.repair)
        XCTAssertTrue(plain.revertedPrompt.answersAsBefore, "\(plain.revertedPrompt)")
        XCTAssertEqual(plain.liveEdits.count, EditHistoryFixture.editCount - 1)
        print("MEASURED: revert of edit \(index)/\(EditHistoryFixture.editCount) without repair: reverted prompt "
            + "\"\(plain.revertedPrompt.beforeText)\" before the edit, \"\(plain.revertedPrompt.afterText)\" after the revert; "
            + "\(plain.liveEdits.count - plain.dropped.count)/\(plain.liveEdits.count) other edits hold (\(pct(plain.fractionHolding))); "
            + "dropped \(plain.dropped)")
        XCTAssertGreaterThanOrEqual(plain.fractionHolding, 0.95)
        XCTAssertEqual(try ws.log("revert-plain", limit: 1).first?.metrics["Live-Edits-Holding"],
                       "\(plain.liveEdits.count - plain.dropped.count)/\(plain.liveEdits.count)")

        let repaired = try ws.revert(f.commits[index].hex, on: "revert-repair", repair: true)
        XCTAssertTrue(repaired.revertedPrompt.answersAsBefore)
        XCTAssertEqual(repaired.stateHash, plain.stateHash, "the revert commit itself is exact either way")
        if let r = repaired.repair {
            print("MEASURED: revert of edit \(index) with repair: \(r.holdingBefore)/\(r.before.count) before repair "
                + "(\(pct(r.fractionBefore))), \(r.holdingAfter)/\(r.after.count) after (\(pct(r.fractionAfter))); retrained \(r.repairedEdits)")
            XCTAssertEqual(Set(r.repairedEdits), Set(plain.dropped))
            XCTAssertGreaterThanOrEqual(r.holdingAfter, r.holdingBefore)
            XCTAssertNotNil(r.commit)
            XCTAssertEqual(try ws.resolve("revert-repair"), r.commit)
            let entry = try XCTUnwrap(ws.log("revert-repair", limit: 1).first)
            XCTAssertEqual(entry.metrics["Repairs"], repaired.commit.hex)
            XCTAssertEqual(entry.metrics["Live-Edits-Holding"], "\(r.holdingAfter)/\(r.after.count)")
            // The reverted prompt still answers as before the edit after the repair.
            let n = plain.revertedPrompt.beforeText
            XCTAssertEqual(try ws.ask(reverted.prompt, at: "revert-repair", maxTokens: ws.model.tokenizer.encode(reverted.target).count + 3).text, n)
        } else {
            print("MEASURED: revert of edit \(index) with repair: nothing dropped, nothing to repair (\(pct(repaired.fractionHolding)))")
            XCTAssertEqual(try ws.resolve("revert-repair"), repaired.commit)
        }
    }

    // MARK: merge

    /// Branch `a` (edits 21–40) and branch `b` (20 other edits) from the base after edit 20: the merge
    /// commit is exactly ours + theirs − base, and the 40 edits hold on the merged version (after repair).
    func testMergeOfTwoBranchesOfTwentyEdits() throws {
        let f = try EditHistoryFixture.get()
        let ws = f.ws
        let repo = ws.store.repository
        for name in ["m-plain", "m-repair"] { try repo.createBranch(name, at: f.commits[EditHistoryFixture.aIndex]) }
        let ours = f.commits[EditHistoryFixture.aIndex], theirs = try ws.resolve("b"), base = f.commits[EditHistoryFixture.baseIndex]
        let new40 = Set(f.edits[EditHistoryFixture.baseIndex..<EditHistoryFixture.aIndex].map(\.id) + f.branchB.map(\.id))

        let plain = try ws.merge("b", into: "m-plain", repair: false)
        XCTAssertEqual(plain.kind, .merge)
        XCTAssertEqual(plain.base, base)
        XCTAssertEqual(try f.git(["merge-base", ours.hex, theirs.hex]).out, base.hex)
        XCTAssertEqual(Set(plain.oursAdded + plain.theirsAdded), new40)
        XCTAssertNil(plain.repair)
        XCTAssertEqual(plain.liveEdits.count, EditHistoryFixture.aIndex + EditHistoryFixture.branchEdits)
        let merge = try XCTUnwrap(plain.mergeCommit)
        XCTAssertEqual(try f.git(["rev-list", "--parents", "-n", "1", merge.hex]).out, "\(merge.hex) \(ours.hex) \(theirs.hex)")
        // Exact: merged − ours == theirs − base, tensor by tensor, in grid units.
        let store = ws.store
        let lhs = try store.gridState(of: merge).difference(from: try store.gridState(of: ours))
        let rhs = try store.gridState(of: theirs).difference(from: try store.gridState(of: base))
        XCTAssertEqual(lhs.tensors.filter { !$0.value.isZero }, rhs.tensors.filter { !$0.value.isZero })
        XCTAssertEqual(lhs.routers.filter { !$0.value.isZero }, rhs.routers.filter { !$0.value.isZero })
        XCTAssertEqual(Set(try ws.liveEdits(at: merge.hex).map(\.id)), Set(try ws.liveEdits(at: ours.hex).map(\.id) + f.branchB.map(\.id)))
        XCTAssertEqual(Set(try ws.version(at: merge.hex).memory.entries.map(\.id)), Set(try ws.liveEdits(at: merge.hex).map(\.id)))
        let plain40 = plain.liveEdits.filter { new40.contains($0.editID) }
        print("MEASURED: merge of 20 + 20 edits without repair: \(plain40.filter(\.holds).count)/40 of the branches' edits hold, "
            + "\(plain.liveEdits.count - plain.dropped.count)/\(plain.liveEdits.count) of all live edits (\(pct(plain.fractionHolding))); "
            + "dropped \(plain.dropped); identical allocations across sides: \(plain.allocationCollisions.count); "
            + "(layer, LoRA) slots trained on both sides: \(plain.sharedSlots)/\(plain.totalSlots)")
        XCTAssertEqual(try f.git(["fsck", "--strict"]).status, 0)

        let repaired = try ws.merge("b", into: "m-repair", repair: true)
        XCTAssertEqual(repaired.stateHash, plain.stateHash, "the merge commit is the same exact state with or without repair")
        let final = repaired.repair?.after ?? repaired.liveEdits
        let final40 = final.filter { new40.contains($0.editID) }
        print("MEASURED: merge of 20 + 20 edits with repair: \(final40.filter(\.holds).count)/40 hold after repair "
            + "(\(final.filter(\.holds).count)/\(final.count) live); retrained \(repaired.repair?.repairedEdits ?? [])")
        XCTAssertEqual(final40.count, 40)
        XCTAssertEqual(final40.filter(\.holds).count, 40, "not holding: \(final40.filter { !$0.holds }.map(\.editID))")
        XCTAssertEqual(try ws.resolve("m-repair"), repaired.tip)

        // Fast-forward and up to date.
        try repo.createBranch("ff", at: base)
        let ff = try ws.merge("a", into: "ff")
        XCTAssertEqual(ff.kind, .fastForward)
        XCTAssertEqual(try ws.resolve("ff"), ours)
        let same = try ws.merge(base.hex, into: "ff")
        XCTAssertEqual(same.kind, .upToDate)
        XCTAssertEqual(try ws.resolve("ff"), ours)
    }

    /// Two edits on branch `c` contradict edits of branch `a`: one by the same prompt, one by held-out
    /// paraphrases of an edit of a (texts a never trained on), which the deferrals route to each other. The merge throws listing both, commits nothing;
    /// `prefer: .ours` drops c's edits exactly (the merged state is a's, bit for bit) and says so.
    func testContradictingEditsAreAConflict() throws {
        let f = try EditHistoryFixture.get()
        let ws = f.ws
        let repo = ws.store.repository
        let aEdits = Array(f.edits[EditHistoryFixture.baseIndex..<EditHistoryFixture.aIndex])
        // An edit of a whose unseen paraphrase the deferral on a routes to it.
        var routed: (EditRequest, String)?
        for e in aEdits.reversed() where e.id != aEdits[0].id {
            for h in f.heldout[e.id] ?? [] {
                let r = try ws.ask(h, at: "a", maxTokens: 1).routing
                if r?.fired == true, r?.matchedEdit == e.id { routed = (e, h); break }
            }
            if routed != nil { break }
        }
        let (paraphrased, heldoutPrompt) = try XCTUnwrap(routed, "no held-out paraphrase of a's edits routes to its edit")
        try repo.createBranch("c", at: f.commits[EditHistoryFixture.baseIndex])
        let same = EditRequest(id: "c-same-prompt", prompt: aEdits[0].prompt, target: " Atlantis")
        // Its other held-out paraphrases train it (none is a text of a's edit, so only the deferral can tell).
        let para = EditRequest(id: "c-paraphrase", prompt: heldoutPrompt, target: " Atlantis",
                               paraphrases: (f.heldout[paraphrased.id] ?? []).filter { $0 != heldoutPrompt })
        try ws.edit(same, on: "c")
        try ws.edit(para, on: "c")

        let tip = try ws.resolve("a")
        XCTAssertThrowsError(try ws.merge("c", into: "a")) { error in
            guard case WorkspaceError.mergeConflicts(_, _, let conflicts) = error else { return XCTFail("\(error)") }
            print("MEASURED: conflicts reported: \(conflicts.map(\.description))")
            let pairs = Set(conflicts.map { [$0.ours.editID, $0.theirs.editID] })
            XCTAssertEqual(pairs, [[aEdits[0].id, same.id], [paraphrased.id, para.id]])
            XCTAssertEqual(conflicts.first { $0.theirs.editID == same.id }?.reason, .samePrompt)
            XCTAssertEqual(conflicts.first { $0.theirs.editID == para.id }?.reason, .routedByDeferral)
            XCTAssertTrue("\(error)".contains("--prefer"))
        }
        XCTAssertEqual(try ws.resolve("a"), tip, "a conflict commits nothing")

        try repo.createBranch("a-ours", at: tip)
        let resolved = try ws.merge("c", into: "a-ours", prefer: .ours, repair: false)
        XCTAssertEqual(resolved.kind, .merge)
        XCTAssertEqual(Set(resolved.droppedByPreference), [same.id, para.id])
        XCTAssertEqual(resolved.stateHash, try ws.stateHash(at: tip.hex), "dropping c's edits leaves exactly a's state")
        XCTAssertEqual(Set(try ws.liveEdits(at: "a-ours").map(\.id)), Set(try ws.liveEdits(at: tip.hex).map(\.id)))
        let entry = try XCTUnwrap(ws.log("a-ours", limit: 1).first)
        XCTAssertEqual(entry.parents.count, 2)
        XCTAssertEqual(entry.metrics["Conflicts-Resolved"], "2 in favour of ours")
        XCTAssertTrue(entry.message.contains(same.id) && entry.message.contains(para.id), entry.message)
    }

    // MARK: cherry-pick

    /// Five edits of branch b (made from the base at edit 20) picked one at a time onto a copy of a (40
    /// edits): each pick is exact (the state moves by the picked commit's delta), and with repair every
    /// live edit holds at the end.
    func testCherryPickFiveEditsOfAnotherBranch() throws {
        let f = try EditHistoryFixture.get()
        let ws = f.ws
        try ws.store.repository.createBranch("cp", at: f.commits[EditHistoryFixture.aIndex])
        let bCommits = try ws.store.repository.log(from: try ws.resolve("b"), excluding: [f.commits[EditHistoryFixture.baseIndex]])
        XCTAssertEqual(bCommits.count, EditHistoryFixture.branchEdits)
        var pickedHeld = 0, lines: [String] = []
        for commit in bCommits.prefix(5).reversed() {
            let before = try ws.resolve("cp")
            let r = try ws.cherryPick(commit.hex, onto: "cp", repair: true)
            let change = try ws.store.gridState(of: r.commit).difference(from: try ws.store.gridState(of: before))
            let delta = try ws.store.delta(of: commit)
            XCTAssertEqual(change.tensors.filter { !$0.value.isZero }, delta.tensors.filter { !$0.value.isZero })
            XCTAssertEqual(r.editIDs, [try XCTUnwrap(ws.store.info(of: commit).editID)])
            if r.liveEdits.first(where: { $0.editID == r.editIDs[0] })?.holds == true { pickedHeld += 1 }
            let final = r.repair?.after ?? r.liveEdits
            lines.append("\(r.editIDs[0]): \(r.liveEdits.count - r.dropped.count)/\(r.liveEdits.count) hold on the pick, "
                + "\(final.filter(\.holds).count)/\(final.count) after \(r.repair.map { "repairing \($0.repairedEdits)" } ?? "no repair"); "
                + "slots shared \(r.sharedSlots)/\(r.totalSlots), collisions \(r.allocationCollisions.count)")
            XCTAssertEqual(try ws.resolve("cp"), r.tip)
        }
        print("MEASURED: cherry-pick of 5 edits of b onto a (40 edits): the picked edit held on the exact pick \(pickedHeld)/5; "
            + lines.joined(separator: " | "))
        let live = try ws.liveEdits(at: "cp")
        XCTAssertEqual(live.count, EditHistoryFixture.aIndex + 5)
        // `elder eval` of the tip, independently of what the picks reported.
        let evaluation = try ws.evaluate(at: "cp")
        XCTAssertEqual(Set(evaluation.edits.map(\.id)), Set(live.map(\.id)))
        XCTAssertEqual(evaluation.edits.filter(\.holds).count, live.count, "not holding: \(evaluation.edits.filter { !$0.holds }.map(\.id))")
        XCTAssertEqual(try f.git(["fsck", "--strict"]).status, 0)
    }
}
