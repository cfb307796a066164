import XCTest

final class ElderModelPackageTests: XCTestCase {
    func testModuleBuilds() { XCTAssertTrue(true) }
}
