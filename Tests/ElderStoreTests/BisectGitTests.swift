import ElderStable
import ElderTestSupport
import Foundation
import XCTest
@testable import ElderStore

/// A commit graph built with the `git` CLI, with its shape known to the test (for the oracle).
struct BisectFixture {
    let path: String
    /// Commit ids by index (creation order).
    let ids: [ObjectID]
    /// Parent indices of each commit.
    let parents: [[Int]]
    var index: [ObjectID: Int] { Dictionary(uniqueKeysWithValues: ids.enumerated().map { ($1, $0) }) }

    /// `git` in `directory` (`GitCLI.execute`: a fixed identity, no user config, C messages).
    @discardableResult
    static func git(_ arguments: [String], in directory: String, input: String? = nil,
                    env: [String: String] = [:]) throws -> GitResult {
        try GitCLI.execute(arguments, in: directory, input: input, environment: env)
    }

    /// A linear history of `count` commits made one by one with `git commit --allow-empty`.
    static func linear(_ count: Int, in path: String) throws -> BisectFixture {
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        XCTAssertEqual(try git(["init", "-q", "-b", "main"], in: path).status, 0)
        for i in 0..<count {
            let r = try git(["commit", "-q", "--allow-empty", "-m", "c\(i)"], in: path)
            XCTAssertEqual(r.status, 0, r.stderr)
        }
        let out = try git(["rev-list", "--reverse", "main"], in: path).stdout
        let ids = out.split(separator: "\n").compactMap { ObjectID(hex: String($0)) }
        XCTAssertEqual(ids.count, count)
        return BisectFixture(path: path, ids: ids, parents: (0..<count).map { $0 == 0 ? [] : [$0 - 1] })
    }

    /// Any DAG (`parents[i]` all < i), written by `git fast-import` with committer dates `dates`;
    /// `refs/heads/main` points at the last commit.
    static func dag(parents: [[Int]], dates: [Int64], in path: String) throws -> BisectFixture {
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        XCTAssertEqual(try git(["init", "-q", "-b", "main"], in: path).status, 0)
        var stream = ""
        for (i, ps) in parents.enumerated() {
            if ps.isEmpty { stream += "reset refs/heads/work\n" }
            let message = "c\(i)"
            stream += "commit refs/heads/work\nmark :\(i + 1)\n"
            stream += "committer T <t@example.com> \(dates[i]) +0000\ndata \(message.utf8.count)\n\(message)\n"
            if let first = ps.first { stream += "from :\(first + 1)\n" }
            for p in ps.dropFirst() { stream += "merge :\(p + 1)\n" }
            stream += "\n"
        }
        stream += "reset refs/heads/main\nfrom :\(parents.count)\n\n"
        let marks = path + "/.git/elder-marks"
        let r = try git(["fast-import", "--quiet", "--export-marks=" + marks], in: path, input: stream)
        XCTAssertEqual(r.status, 0, r.stderr)
        var ids = [ObjectID?](repeating: nil, count: parents.count)
        for line in try String(contentsOfFile: marks, encoding: .utf8).split(separator: "\n") {
            let parts = line.split(separator: " ")
            guard parts.count == 2, let n = Int(parts[0].dropFirst()), let id = ObjectID(hex: String(parts[1])) else { continue }
            ids[n - 1] = id
        }
        XCTAssertTrue(ids.allSatisfy { $0 != nil })
        return BisectFixture(path: path, ids: ids.compactMap { $0 }, parents: parents)
    }

    /// A seeded random DAG: a main line, side branches forked anywhere, `merges` merge commits
    /// (either parent order), the last commit on main reaching them all.
    static func randomShape(seed: UInt64, count: Int, merges: Int) -> [[Int]] {
        var rng = SplitMix64(seed: seed)
        var parents: [[Int]] = [[]]
        var mainTip = 0
        var sides: [Int] = []
        var mergesLeft = merges
        for i in 1..<count {
            let remaining = count - i
            if mergesLeft > 0, !sides.isEmpty, rng.below(100) < 12 || remaining <= mergesLeft {
                let s = sides.remove(at: rng.below(sides.count))
                parents.append(rng.below(2) == 0 ? [mainTip, s] : [s, mainTip])
                mainTip = i
                mergesLeft -= 1
            } else if sides.count < 2, mergesLeft > sides.count, remaining > mergesLeft + 1, rng.below(100) < 30 {
                parents.append([rng.below(i)])
                sides.append(i)
            } else if !sides.isEmpty, i < count - 1, rng.below(2) == 0 {
                let k = rng.below(sides.count)
                parents.append([sides[k]])
                sides[k] = i
            } else {
                parents.append([mainTip])
                mainTip = i
            }
        }
        return parents
    }

    func ancestorsOrSelf(_ i: Int) -> Set<Int> {
        var seen: Set<Int> = [i]
        var stack = [i]
        while let c = stack.popLast() { for p in parents[c] where seen.insert(p).inserted { stack.append(p) } }
        return seen
    }

    /// The oracle: a commit is bad iff it has the culprit as an ancestor or is the culprit.
    func isBad(_ id: ObjectID, culprit: Int) -> Bool {
        guard let i = index[id] else { return false }
        return ancestorsOrSelf(i).contains(culprit)
    }
}

extension SplitMix64 {
    /// Uniform in 0..<n (modulo: the tests need repeatable graphs, not unbiased draws).
    mutating func below(_ n: Int) -> Int { Int(next() % UInt64(n)) }
}

/// Our `Bisection` and `git bisect start --no-checkout` side by side on the same commits: at every
/// step both must ask for the same commit (with git's "N revisions left … roughly M steps"), both are
/// marked with the same verdict, and both must end on the same first bad commit.
final class BisectGitTests: XCTestCase {
    var root = ""

    override func setUpWithError() throws { root = temporaryFolder("bisect") }
    override func tearDownWithError() throws { try? FileManager.default.removeItem(atPath: root) }

    /// What `git bisect` said it will do next, read from its output and `BISECT_HEAD`.
    func gitStep(_ result: GitResult, in path: String) throws -> BisectStep? {
        let out = result.stdout
        if let line = out.split(separator: "\n").first(where: { $0.hasSuffix(" is the first bad commit") }) {
            return ObjectID(hex: String(line.prefix(40))).map(BisectStep.firstBad)
        }
        if out.contains("There are only 'skip'ped commits left to test.") {
            let lines = out.split(separator: "\n").map(String.init)
            guard let from = lines.firstIndex(where: { $0.hasPrefix("The first bad commit could be any of") }) else { return nil }
            return .onlySkippedLeft(lines[(from + 1)...].compactMap { ObjectID(hex: $0) })
        }
        let head = try BisectFixture.git(["rev-parse", "BISECT_HEAD"], in: path).stdout
        guard let id = ObjectID(hex: head.trimmingCharacters(in: .whitespacesAndNewlines)) else { return nil }
        if out.contains("Bisecting: a merge base must be tested") { return .testMergeBase(id) }
        let pattern = try NSRegularExpression(pattern: "Bisecting: (\\d+) revisions? left to test after this \\(roughly (\\d+) steps?\\)")
        guard let m = pattern.firstMatch(in: out, range: NSRange(out.startIndex..., in: out)),
              let n = Int(out[Range(m.range(at: 1), in: out)!]), let s = Int(out[Range(m.range(at: 2), in: out)!]) else {
            XCTFail("unexpected git bisect output: \(out) \(result.stderr)")
            return nil
        }
        return .test(id, remaining: n, steps: s)
    }

    func bisectRefs(_ path: String) throws -> String {
        try BisectFixture.git(["for-each-ref", "--format=%(refname) %(objectname)", "refs/bisect/"], in: path).stdout
    }

    /// Runs both bisections to the end with `verdict`; returns our final step and the number of tests.
    @discardableResult
    func sideBySide(_ fixture: BisectFixture, bad: Int, goods: [Int], verdict: (ObjectID) -> BisectVerdict,
                    file: StaticString = #filePath, line: UInt = #line) throws -> (BisectStep, Int) {
        let ours = fixture.path + "-ours.git"
        if !FileManager.default.fileExists(atPath: ours) {
            XCTAssertEqual(try BisectFixture.git(["clone", "-q", "--bare", fixture.path, ours], in: root).status, 0)
        }
        let repository = try Repository.open(at: ours)
        try BisectFixture.git(["bisect", "reset"], in: fixture.path)
        let start = try BisectFixture.git(["bisect", "start", "--no-checkout", fixture.ids[bad].hex] + goods.map { fixture.ids[$0].hex },
                                          in: fixture.path)
        let bisection = try Bisection.start(in: repository, bad: fixture.ids[bad].hex, good: goods.map { fixture.ids[$0].hex })
        var ourStep = try bisection.next()
        var gitResult = start
        var tests = 0
        while true {
            let theirs = try gitStep(gitResult, in: fixture.path)
            XCTAssertEqual(ourStep, theirs, "step \(tests): ours \(ourStep), git's \(String(describing: theirs))", file: file, line: line)
            guard ourStep == theirs, let commit = ourStep.commitToTest else { break }
            let v = verdict(commit)
            tests += 1
            gitResult = try BisectFixture.git(["bisect", v.rawValue, commit.hex], in: fixture.path)
            ourStep = try bisection.mark(v, commit)
            if tests > 200 { XCTFail("no end", file: file, line: line); break }
        }
        // Both kept the same marks in the same refs (`refs/bisect/bad`, `good-<id>`, `skip-<id>`).
        XCTAssertEqual(try bisectRefs(ours), try bisectRefs(fixture.path), "refs/bisect/ differ", file: file, line: line)
        try BisectFixture.git(["bisect", "reset"], in: fixture.path)
        try bisection.reset()
        return (ourStep, tests)
    }

    func testLinear60MatchesGitStepByStep() throws {
        let f = try BisectFixture.linear(60, in: root + "/linear")
        for culprit in [1, 2, 29, 30, 44, 59] {
            let (end, tests) = try sideBySide(f, bad: 59, goods: [0]) { f.isBad($0, culprit: culprit) ? .bad : .good }
            XCTAssertEqual(end, .firstBad(f.ids[culprit]), "culprit \(culprit)")
            XCTAssertLessThanOrEqual(tests, 7, "culprit \(culprit) took \(tests) tests")
        }
    }

    /// Random DAGs of 40 commits with 3 merges, with increasing, equal and scrambled commit dates
    /// (git orders its walk by date, ties in arrival order), for culprits across the candidates.
    func testMergeDAGsMatchGitStepByStep() throws {
        var shapesChecked = 0
        for seed: UInt64 in [1, 2, 3] {
            let parents = BisectFixture.randomShape(seed: seed, count: 40, merges: 3)
            XCTAssertEqual(parents.filter { $0.count == 2 }.count, 3)
            var rng = SplitMix64(seed: seed &+ 100)
            let datings: [[Int64]] = [
                (0..<40).map { 1_700_000_000 + Int64($0) * 60 },
                [Int64](repeating: 1_700_000_000, count: 40),
                (0..<40).map { _ in 1_700_000_000 + Int64(rng.below(5000)) },
            ]
            for (d, dates) in datings.enumerated() {
                let f = try BisectFixture.dag(parents: parents, dates: dates, in: root + "/dag\(seed)-\(d)")
                let tip = 39
                let candidates = f.ancestorsOrSelf(tip).subtracting([0]).sorted()
                let culprits = stride(from: 0, to: candidates.count, by: max(1, candidates.count / 4)).map { candidates[$0] }
                    + parents.indices.filter { parents[$0].count == 2 && candidates.contains($0) }
                for culprit in culprits {
                    let (end, _) = try sideBySide(f, bad: tip, goods: [0]) { f.isBad($0, culprit: culprit) ? .bad : .good }
                    XCTAssertEqual(end, .firstBad(f.ids[culprit]), "seed \(seed) dates \(d) culprit \(culprit)")
                }
                shapesChecked += 1
            }
        }
        XCTAssertEqual(shapesChecked, 9)
    }

    /// Two good commits (the root and a commit on a merged side branch).
    func testSeveralGoodsMatchGit() throws {
        let parents = BisectFixture.randomShape(seed: 7, count: 40, merges: 3)
        let f = try BisectFixture.dag(parents: parents, dates: (0..<40).map { 1_700_000_000 + Int64($0 * 7 % 40) * 60 },
                                      in: root + "/goods")
        let tipAncestors = f.ancestorsOrSelf(39)
        guard let merge = parents.indices.first(where: { parents[$0].count == 2 && tipAncestors.contains($0) }) else {
            return XCTFail("no merge")
        }
        let sideGood = parents[merge][1] == merge - 1 ? parents[merge][0] : parents[merge][1]
        let excluded = f.ancestorsOrSelf(0).union(f.ancestorsOrSelf(sideGood))
        let remaining = tipAncestors.subtracting(excluded).sorted()
        for culprit in stride(from: 0, to: remaining.count, by: max(1, remaining.count / 6)).map({ remaining[$0] }) {
            let (end, _) = try sideBySide(f, bad: 39, goods: [0, sideGood]) { f.isBad($0, culprit: culprit) ? .bad : .good }
            XCTAssertEqual(end, .firstBad(f.ids[culprit]))
        }
    }

    /// Skips (git's `skip_away` and its ranked tie-break): skipped commits next to the culprit still
    /// find it or end with git's "only skipped commits left" list; compared step by step.
    func testSkipsMatchGit() throws {
        let parents = BisectFixture.randomShape(seed: 11, count: 40, merges: 3)
        let f = try BisectFixture.dag(parents: parents, dates: (0..<40).map { 1_700_000_000 + Int64($0) * 60 }, in: root + "/skips")
        let lin = try BisectFixture.linear(60, in: root + "/skiplinear")
        var sawOnlySkipped = false, sawFound = false
        for (fixture, culprit) in [(f, 20), (f, 31), (f, 9), (lin, 30), (lin, 45), (lin, 7)] {
            let near = Set(fixture.parents[culprit] + [culprit - 2, culprit + 1, culprit + 3].filter { $0 > 0 && $0 < fixture.ids.count - 1 })
            for skipCulprit in [false, true] {
                let skipped = skipCulprit ? near.union([culprit]) : near
                let tip = fixture.ids.count - 1
                let (end, _) = try sideBySide(fixture, bad: tip, goods: [0]) { id in
                    if let i = fixture.index[id], skipped.contains(i) { return .skip }
                    return fixture.isBad(id, culprit: culprit) ? .bad : .good
                }
                switch end {
                case .firstBad(let id):
                    XCTAssertEqual(id, fixture.ids[culprit]); sawFound = true
                case .onlySkippedLeft(let ids):
                    XCTAssertTrue(ids.contains(fixture.ids[culprit]), "the culprit is among the undecided ones")
                    sawOnlySkipped = true
                default: XCTFail("unfinished: \(end)")
                }
            }
        }
        XCTAssertTrue(sawFound)
        XCTAssertTrue(sawOnlySkipped)
    }

    /// 3500 commits with 40 merges and the same commit date everywhere (arrival order decides ties;
    /// over 3072 candidates git also takes |2w − N| = 2 as halfway).
    func testLargeDAGMatchesGit() throws {
        let count = 3500
        let parents = BisectFixture.randomShape(seed: 31, count: count, merges: 40)
        let f = try BisectFixture.dag(parents: parents, dates: [Int64](repeating: 1_700_000_000, count: count), in: root + "/large")
        let candidates = f.ancestorsOrSelf(count - 1).subtracting([0]).sorted()
        for culprit in [candidates[candidates.count / 5], candidates[candidates.count * 3 / 4]] {
            let descendants = Set(candidates.filter { f.ancestorsOrSelf($0).contains(culprit) })
            let (end, _) = try sideBySide(f, bad: count - 1, goods: [0]) { descendants.contains(f.index[$0] ?? -1) ? .bad : .good }
            XCTAssertEqual(end, .firstBad(f.ids[culprit]))
        }
        // A line of 3101 commits: git's loose halfway (|2w − N| < N/1024) takes weight 1549 of 3100 first.
        let line = try BisectFixture.dag(parents: (0..<3101).map { $0 == 0 ? [] : [$0 - 1] },
                                         dates: (0..<3101).map { 1_700_000_000 + Int64($0) }, in: root + "/line")
        let (end, _) = try sideBySide(line, bad: 3100, goods: [0]) { line.isBad($0, culprit: 2000) ? .bad : .good }
        XCTAssertEqual(end, .firstBad(line.ids[2000]))
    }

    /// A good commit that is not an ancestor of the bad one: git first asks for the merge base.
    func testMergeBaseMustBeTestedLikeGit() throws {
        // main: 0..19 (line); side: 20..24 forked from 8, never merged.
        var parents: [[Int]] = (0..<20).map { $0 == 0 ? [] : [$0 - 1] }
        parents += [[8], [20], [21], [22], [23]]
        let f = try BisectFixture.dag(parents: parents, dates: (0..<25).map { 1_700_000_000 + Int64($0) * 60 }, in: root + "/mb")
        let (end, _) = try sideBySide(f, bad: 19, goods: [24]) { f.isBad($0, culprit: 13) ? .bad : .good }
        XCTAssertEqual(end, .firstBad(f.ids[13]))
        // The merge base itself bad: git stops ("the bug has been fixed between"), we throw.
        let ours = try Repository.open(at: f.path + "-ours.git")
        let bisection = try Bisection.start(in: ours, bad: f.ids[19], good: [f.ids[24]])
        XCTAssertEqual(try bisection.next(), .testMergeBase(f.ids[8]))
        XCTAssertThrowsError(try bisection.mark(.bad, f.ids[8])) { error in
            XCTAssertEqual(error as? BisectError, .badIsAncestorOfGood(bad: f.ids[8], goods: [f.ids[24]]))
        }
        try bisection.reset()
    }
}
