@testable import Elder
import ElderStore
import XCTest

/// The model-free parts of merge conflicts and bisect deciders.
final class MergeConflictRulesTests: XCTestCase {
    func testNormalizationComparesPromptsAsAUserWould() {
        XCTAssertEqual(MergeConflicts.normalized("  The CEO of  Acme\tis "), "the ceo of acme is")
        // Composed and decomposed accents are the same text.
        XCTAssertEqual(MergeConflicts.normalized("Caf\u{E9} owner is"), MergeConflicts.normalized("Cafe\u{301} owner is"))
        XCTAssertNotEqual(MergeConflicts.normalized("The CEO of Acme is"), MergeConflicts.normalized("The CEO of Acme was"))
        XCTAssertEqual(MergeConflicts.normalized(" Jane Doe"), MergeConflicts.normalized("jane doe"))
    }

    func testConflictErrorListsEveryPairAndSaysWhatToDo() {
        func side(_ id: String, _ target: String) -> ConflictingEdit {
            ConflictingEdit(editID: id, prompt: "The CEO of Acme is", target: target, commit: nil)
        }
        let error = WorkspaceError.mergeConflicts(branch: "main", theirs: "side", conflicts: [
            MergeConflict(ours: side("a", " Jane"), theirs: side("b", " John"), reason: .samePrompt, prompt: "The CEO of Acme is"),
            MergeConflict(ours: side("c", " X"), theirs: side("d", " Y"), reason: .routedByDeferral, prompt: "Acme's boss is"),
        ])
        let text = "\(error)"
        XCTAssertTrue(text.contains("2 conflicts"), text)
        XCTAssertTrue(text.contains("ours a says \" Jane\", theirs b says \" John\" (same-prompt)"), text)
        XCTAssertTrue(text.contains("\"Acme's boss is\": ours c"), text)
        XCTAssertTrue(text.contains("--prefer ours|theirs"), text)
    }

    func testCommandExitStatusesMapAsGitBisectRun() throws {
        XCTAssertEqual(try BisectVerdict(exitCode: 0), .good)
        XCTAssertEqual(try BisectVerdict(exitCode: 125), .skip)
        XCTAssertEqual(try BisectVerdict(exitCode: 1), .bad)
        XCTAssertEqual(try BisectVerdict(exitCode: 127), .bad)
        XCTAssertThrowsError(try BisectVerdict(exitCode: 128))
    }
}
