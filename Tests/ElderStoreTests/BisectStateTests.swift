import ElderTestSupport
import Foundation
import XCTest
@testable import ElderStore

/// Bisection state kept in the repository, the automatic run, and exit-code verdicts.
final class BisectStateTests: XCTestCase {
    var root = ""

    override func setUpWithError() throws { root = temporaryFolder("bisect-state") }
    override func tearDownWithError() throws { try? FileManager.default.removeItem(atPath: root) }

    func testStateSurvivesReopeningAndResetRemovesIt() throws {
        let f = try BisectFixture.linear(30, in: root + "/repo")
        let culprit = 11
        var expectedLog: [BisectLogEntry] = [BisectLogEntry(kind: .start, commits: [f.ids[29], f.ids[0]])]
        var step: BisectStep
        do {
            let repository = try Repository.open(at: f.path)
            let bisection = try Bisection.start(in: repository, bad: "main", good: ["main~29"])
            step = try bisection.next()
            for _ in 0..<2 {
                guard let c = step.commitToTest else { return XCTFail("finished early") }
                let v: BisectVerdict = f.isBad(c, culprit: culprit) ? .bad : .good
                step = try bisection.mark(v, c)
                expectedLog.append(BisectLogEntry(kind: v == .bad ? .bad : .good, commits: [c]))
            }
        }
        // A new process would see only the repository: open it afresh.
        let reopened = try Repository.open(at: f.path)
        guard let resumed = try Bisection.resume(in: reopened) else { return XCTFail("bisection lost") }
        XCTAssertEqual(try resumed.next(), step)
        XCTAssertEqual(try resumed.log(), expectedLog)
        let marks = try resumed.marks()
        XCTAssertEqual(marks.good.count, 1 + expectedLog.filter { $0.kind == .good }.count)
        XCTAssertNotNil(marks.bad)
        // The refs are git's: the CLI sees the same marks.
        let refs = try BisectFixture.git(["for-each-ref", "--format=%(refname)", "refs/bisect/"], in: f.path).stdout
        XCTAssertTrue(refs.contains("refs/bisect/bad\n"))
        XCTAssertTrue(refs.contains("refs/bisect/good-\(f.ids[0].hex)"))
        let end = try resumed.run { f.isBad($0, culprit: culprit) ? .bad : .good }
        XCTAssertEqual(end, .firstBad(f.ids[culprit]))

        try resumed.reset()
        XCTAssertNil(try Bisection.resume(in: try Repository.open(at: f.path)))
        XCTAssertEqual(try BisectFixture.git(["for-each-ref", "refs/bisect/"], in: f.path).stdout, "")
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: f.path + "/.git").filter { $0.hasPrefix("ELDER_BISECT") }
        XCTAssertEqual(leftovers, [])
        XCTAssertThrowsError(try resumed.next()) { XCTAssertEqual($0 as? BisectError, .notStarted) }
        XCTAssertThrowsError(try resumed.mark(.good, "main")) { XCTAssertEqual($0 as? BisectError, .notStarted) }
    }

    /// Every culprit of 60 linear commits is found in at most ⌈log2 60⌉ + 1 = 7 tests.
    func testRunOn60LinearCommitsTakesAtMost7Tests() throws {
        let f = try BisectFixture.linear(60, in: root + "/repo")
        let repository = try Repository.open(at: f.path)
        var worst = 0
        for culprit in 1..<60 {
            let bisection = try Bisection.start(in: repository, bad: f.ids[59], good: [f.ids[0]])
            var tests = 0
            let end = try bisection.run { id in
                tests += 1
                return f.isBad(id, culprit: culprit) ? .bad : .good
            }
            XCTAssertEqual(end, .firstBad(f.ids[culprit]))
            XCTAssertLessThanOrEqual(tests, 7, "culprit \(culprit)")
            worst = max(worst, tests)
            XCTAssertEqual(try bisection.log().count, tests + 1)
            try bisection.reset()
        }
        print("bisect 60 linear commits: at most \(worst) tests over 59 culprits")
    }

    func testVerdictFromExitCodeLikeGitBisectRun() throws {
        XCTAssertEqual(try BisectVerdict(exitCode: 0), .good)
        XCTAssertEqual(try BisectVerdict(exitCode: 125), .skip)
        for code: Int32 in [1, 2, 124, 126, 127] { XCTAssertEqual(try BisectVerdict(exitCode: code), .bad) }
        for code: Int32 in [128, 129, 255, -1] {
            XCTAssertThrowsError(try BisectVerdict(exitCode: code)) {
                XCTAssertEqual($0 as? BisectError, .runAborted(exitCode: code))
            }
        }
    }

    /// The same shell test (exit 0 / 1 / 125) run by `git bisect run` and by our `run`.
    func testRunWithCommandMatchesGitBisectRun() throws {
        let parents = BisectFixture.randomShape(seed: 5, count: 40, merges: 3)
        let f = try BisectFixture.dag(parents: parents, dates: (0..<40).map { 1_700_000_000 + Int64($0) * 60 }, in: root + "/run")
        let ours = root + "/run-ours.git"
        XCTAssertEqual(try BisectFixture.git(["clone", "-q", "--bare", f.path, ours], in: root).status, 0)
        let candidates = f.ancestorsOrSelf(39).subtracting([0]).sorted()
        // The first commit a bisection would test cannot be tested (exit 125): git's skip_away picks another.
        let repository = try Repository.open(at: ours)
        guard let skipped = try Bisection.start(in: repository, bad: f.ids[39], good: [f.ids[0]]).next().commitToTest else {
            return XCTFail("nothing to test")
        }
        // A culprit that neither is the skipped commit nor has it as a parent (else git cannot decide).
        guard let culprit = candidates.dropFirst(candidates.count / 3).first(where: { c in
            f.ids[c] != skipped && !f.parents[c].contains { f.ids[$0] == skipped }
        }) else { return XCTFail("no culprit") }
        // bad iff the culprit is an ancestor-or-self.
        let script = "c=$1; [ \"$c\" = \(skipped.hex) ] && exit 125; "
            + "git merge-base --is-ancestor \(f.ids[culprit].hex) \"$c\" && exit 1; exit 0"
        // `git bisect run` passes no argument: its script reads the commit from BISECT_HEAD.
        try BisectFixture.git(["bisect", "start", "--no-checkout", f.ids[39].hex, f.ids[0].hex], in: f.path)
        let headScript = "set -- $(git rev-parse BISECT_HEAD); " + script
        let gitResult = try BisectFixture.git(["bisect", "run", "sh", "-c", headScript], in: f.path)
        XCTAssertTrue(gitResult.stdout.contains("\(f.ids[culprit].hex) is the first bad commit"), gitResult.stdout + gitResult.stderr)
        let gitLog = try BisectFixture.git(["bisect", "log"], in: f.path).stdout
        try BisectFixture.git(["bisect", "reset"], in: f.path)

        let bisection = try Bisection.start(in: repository, bad: f.ids[39], good: [f.ids[0]])
        var tested: [ObjectID] = []
        let end = try bisection.run { id in
            tested.append(id)
            let r = try ElderProcess.run(["-c", script, "sh", id.hex], in: ours, executable: "/bin/sh")
            return try BisectVerdict(exitCode: r.status)
        }
        XCTAssertEqual(end, .firstBad(f.ids[culprit]))
        // Same commits tested with the same verdicts, in the same order as git's log.
        let gitMarks = gitLog.split(separator: "\n").filter { $0.hasPrefix("git bisect ") && !$0.hasPrefix("git bisect start") }
            .map { $0.split(separator: " ").suffix(2).joined(separator: " ") }
        let ourMarks = try bisection.log().dropFirst().map { "\($0.kind.rawValue) \($0.commits[0].hex)" }
        XCTAssertEqual(ourMarks, gitMarks)
        XCTAssertEqual(tested.count, ourMarks.count)
        XCTAssertTrue(ourMarks.contains("skip \(skipped.hex)"))
        // An exit status of 128 or more aborts the run, keeping the marks made before it.
        try Bisection.start(in: repository, bad: f.ids[39], good: [f.ids[0]])
        XCTAssertThrowsError(try bisection.run { _ in try BisectVerdict(exitCode: 128) }) {
            XCTAssertEqual($0 as? BisectError, .runAborted(exitCode: 128))
        }
        XCTAssertEqual(try bisection.log().count, 1)
        try bisection.reset()
    }

    /// A 3000-commit history with 60 merges: correct answer, test count near log2 N, time per step.
    func testLargeHistory() throws {
        let count = 3000
        let parents = BisectFixture.randomShape(seed: 21, count: count, merges: 60)
        let f = try BisectFixture.dag(parents: parents, dates: (0..<count).map { 1_700_000_000 + Int64($0) * 60 },
                                      in: root + "/large")
        let repository = try Repository.open(at: f.path)
        let candidates = f.ancestorsOrSelf(count - 1).subtracting([0]).sorted()
        let culprit = candidates[candidates.count * 2 / 3]
        let culpritDescendants = Set(candidates.filter { f.ancestorsOrSelf($0).contains(culprit) })
        let started = Date()
        let bisection = try Bisection.start(in: repository, bad: f.ids[count - 1], good: [f.ids[0]])
        var tests = 0
        let end = try bisection.run { id in
            tests += 1
            return culpritDescendants.contains(f.index[id] ?? -1) ? .bad : .good
        }
        let seconds = Date().timeIntervalSince(started)
        XCTAssertEqual(end, .firstBad(f.ids[culprit]))
        let bound = Int((log2(Double(candidates.count))).rounded(.up)) + 3
        XCTAssertLessThanOrEqual(tests, bound)
        print("bisect \(candidates.count) candidates (60 merges): \(tests) tests, \(String(format: "%.1f", seconds * 1000 / Double(tests + 1))) ms per step")
        try bisection.reset()
    }

    func testNeedsBadAndGood() throws {
        let f = try BisectFixture.linear(5, in: root + "/repo")
        let repository = try Repository.open(at: f.path)
        let bisection = try Bisection.start(in: repository, bad: "main", good: [])
        XCTAssertThrowsError(try bisection.next()) {
            XCTAssertEqual($0 as? BisectError, .needsBadAndGood(hasBad: true, goodCount: 0))
        }
        XCTAssertEqual(try bisection.mark(.good, "main~4"), .test(f.ids[2], remaining: 1, steps: 1))
        XCTAssertThrowsError(try bisection.mark(.good, "main")) {
            XCTAssertEqual($0 as? BisectError, .bothGoodAndBad(f.ids[4]))
        }
        try bisection.reset()
    }
}
