import Elder
import ElderEditing
import XCTest

/// Ids of edits given without one: stable from the content (an interrupted edit file resumes by them),
/// `e` + the last 12 hex digits of FNV-1a over "prompt\0target" (the value computed in Python).
final class EditIDTests: XCTestCase {
    func testContentIDsAreStableAndTimeIDsWellFormed() {
        XCTAssertEqual(Workspace.contentEditID(prompt: "The CEO of Acme is", target: " Jane Doe"), "eabb97d442838")
        let timed = Workspace.makeEditID(EditRequest(id: "", prompt: "p", target: " t"))
        XCTAssertEqual(timed.count, 13)
        XCTAssertTrue(timed.hasPrefix("e") && timed.dropFirst().allSatisfy(\.isHexDigit), timed)
    }
}
