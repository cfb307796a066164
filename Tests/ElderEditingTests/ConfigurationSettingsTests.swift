import ElderEditing
import XCTest

/// `EditorConfiguration.settings` spells a configuration out in the `--set` vocabulary: applied to the
/// method's preset it gives the same configuration back, so a report's settings reproduce the run.
final class ConfigurationSettingsTests: XCTestCase {
    func testSettingsRoundTripThroughEveryPreset() throws {
        for method in EditorConfiguration.Method.allCases {
            let preset = EditorConfiguration.preset(method, blockCount: 30)
            for changed in [preset, try preset.applying(["lr": "0.0003", "stop-loss": "0.2", "layers": "21,23"])] {
                XCTAssertEqual(try preset.applying(changed.settings), changed, "\(method.rawValue)")
            }
        }
        // From another preset too: the settings carry everything the vocabulary can say.
        let paper = EditorConfiguration.elderPaper(blockCount: 30)
        var fromDefault = try EditorConfiguration.elderDefault(blockCount: 30).applying(paper.settings)
        fromDefault.method = paper.method
        XCTAssertEqual(fromDefault, paper)
    }

    func testEverySettingKeyIsSpelledOut() {
        let keys = Set(EditorConfiguration.elderDefault(blockCount: 30).settings.keys)
        XCTAssertEqual(keys.subtracting(EditorConfiguration.overrideKeys.keys), [], "settings the vocabulary does not know")
        XCTAssertEqual(Set(EditorConfiguration.overrideKeys.keys).subtracting(keys), ["epsilon"],
                       "a similarity deferral spells margins, not ε")
        XCTAssertEqual(EditorConfiguration.elderPaper(blockCount: 30).settings["epsilon"], "12")
    }

    func testExpertsAreBoundedWithAOneLineReason() throws {
        let base = EditorConfiguration.elderDefault(blockCount: 30)
        XCTAssertNoThrow(try base.applying(["experts": "\(EditorConfiguration.maximumExperts)"]).validate(blockCount: 30))
        for bad in ["0", "\(EditorConfiguration.maximumExperts + 1)"] {
            XCTAssertThrowsError(try base.applying(["experts": bad]).validate(blockCount: 30)) { error in
                XCTAssertEqual("\(error)", "experts per layer must be 1...\(EditorConfiguration.maximumExperts), got \(bad)")
            }
        }
    }
}
