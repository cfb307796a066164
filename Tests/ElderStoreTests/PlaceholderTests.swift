import XCTest

final class ElderStorePackageTests: XCTestCase {
    func testModuleBuilds() { XCTAssertTrue(true) }
}
