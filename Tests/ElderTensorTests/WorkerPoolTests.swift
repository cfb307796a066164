import ElderTensor
import Foundation
import XCTest

/// The persistent worker pool: every part runs exactly once per job, jobs follow each other without
/// loss, and callers on several threads at once all finish (a busy pool runs the caller's parts inline).
final class WorkerPoolTests: XCTestCase {
    final class Counts: @unchecked Sendable {
        let lock = NSLock()
        var values: [Int]
        init(_ n: Int) { values = Array(repeating: 0, count: n) }
        func add(_ i: Int) { lock.lock(); values[i] += 1; lock.unlock() }
    }

    func testEveryPartRunsOncePerJob() {
        let pool = WorkerPool.shared
        for parts in [1, 2, 3, 5] {
            let counts = Counts(parts)
            for _ in 0..<300 { pool.run(parts: parts) { counts.add($0) } }
            XCTAssertEqual(counts.values, Array(repeating: 300, count: parts), "\(parts) parts")
        }
    }

    func testJobsAfterIdleWakeSleepingWorkers() {
        let counts = Counts(2)
        for _ in 0..<5 {
            Thread.sleep(forTimeInterval: 0.05)   // long enough for the workers to sleep
            WorkerPool.shared.run(parts: 2) { counts.add($0) }
        }
        XCTAssertEqual(counts.values, [5, 5])
    }

    func testCallersOnSeveralThreadsAllFinish() {
        let counts = Counts(4 * 3)
        DispatchQueue.concurrentPerform(iterations: 4) { caller in
            for _ in 0..<200 { WorkerPool.shared.run(parts: 3) { counts.add(caller * 3 + $0) } }
        }
        XCTAssertEqual(counts.values, Array(repeating: 200, count: 12))
    }
}
