import XCTest

final class ElderTensorPackageTests: XCTestCase {
    func testModuleBuilds() { XCTAssertTrue(true) }
}
