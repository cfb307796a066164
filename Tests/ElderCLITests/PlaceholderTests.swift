import XCTest

final class ElderCLIPackageTests: XCTestCase {
    func testModuleBuilds() { XCTAssertTrue(true) }
}
