import XCTest

final class ElderEditingPackageTests: XCTestCase {
    func testModuleBuilds() { XCTAssertTrue(true) }
}
