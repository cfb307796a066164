import ElderTestSupport
import Foundation
import XCTest

/// `elder-bench store` runs end to end on a tiny history and writes its Markdown and JSON report.
final class BenchStoreSmokeTests: XCTestCase {
    func testBenchStoreWritesItsReport() throws {
        let dir = TinyRepo.folder()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let result = try ElderProcess.run(["store", "--edits", "3,6", "--keyframe", "4", "--repeats", "1",
                                           "--layers", "2", "--loras", "4", "--rank", "2", "--in-dim", "16", "--out-dim", "8",
                                           "--out", dir + "/reports", "--work-dir", dir], in: dir, executable: ElderProcess.benchBinary)
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertTrue(result.stdout.contains("# elder-bench store"))
        let json = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: dir + "/reports/bench-store.json"))) as? [String: Any]
        let rows = try XCTUnwrap(json?["rows"] as? [[String: Any]])
        XCTAssertEqual(rows.map { $0["edits"] as? Int }, [3, 6])
        XCTAssertGreaterThan(try XCTUnwrap(rows.first?["packedBytesPerEdit"] as? Double), 0)
        XCTAssertTrue(FileManager.default.fileExists(atPath: dir + "/reports/bench-store.md"))
        // The synthetic repos are removed afterwards.
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir).sorted(), ["reports"])
    }
}
