import ElderTestSupport
import Foundation
import XCTest
@testable import ElderStore

/// The libgit2 face checked against the `git` command line, in both directions.
final class GitInteropTests: XCTestCase {
    var dir = ""

    override func setUpWithError() throws { dir = temporaryFolder("git") }
    override func tearDownWithError() throws { try? FileManager.default.removeItem(atPath: dir) }

    private let who = Signature(name: "Elder Test", email: "test@example.com", time: 1_700_000_000)

    /// Writes blob → tree (nested) → commit on main with libgit2.
    private func commitFile(_ repo: Repository, name: String, content: String, parents: [ObjectID],
                            ref: String? = "refs/heads/main") throws -> ObjectID {
        let blob = try repo.writeBlob(Array(content.utf8))
        let inner = try TreeBuilder(repository: repo)
        try inner.insertBlob(name, blob)
        let outer = try TreeBuilder(repository: repo)
        try outer.insertTree("dir", try inner.write())
        return try Commit.create(in: repo, updateRef: ref, author: who, committer: who,
                                 message: "Add \(name)\n\nBody line.\n\nKey-One: value 1\nKey-Two: two\n",
                                 tree: try outer.write(), parents: parents)
    }

    func testWhatLibgit2WritesGitReads() throws {
        let repo = try Repository.create(at: dir, bare: true)
        let c1 = try commitFile(repo, name: "a.txt", content: "alpha\n", parents: [])
        let c2 = try commitFile(repo, name: "b.txt", content: "beta\n", parents: [c1])
        try repo.createTag("v1", at: c1)
        try repo.createTag("v2", at: c2, message: "Second version\n", tagger: who)
        try repo.setNote("eval: 0.97\n", on: c2, author: who)

        XCTAssertEqual(try git(["fsck", "--strict"], in: dir).status, 0)
        let log = try git(["log", "--format=%H %s", "main"], in: dir).stdout
        XCTAssertEqual(log, "\(c2) Add b.txt\n\(c1) Add a.txt\n")
        XCTAssertEqual(try git(["show", "main:dir/b.txt"], in: dir).stdout, "beta\n")
        XCTAssertEqual(try git(["cat-file", "-t", c2.hex], in: dir).stdout, "commit\n")
        XCTAssertTrue(try git(["cat-file", "-p", c2.hex], in: dir).stdout.contains("parent \(c1.hex)"))
        XCTAssertEqual(try git(["rev-parse", "v1"], in: dir).stdout, c1.hex + "\n")
        XCTAssertEqual(try git(["cat-file", "-t", "v2"], in: dir).stdout, "tag\n")
        XCTAssertEqual(try git(["rev-parse", "v2^{commit}"], in: dir).stdout, c2.hex + "\n")
        XCTAssertEqual(try git(["notes", "--ref", "elder", "show", c2.hex], in: dir).stdout, "eval: 0.97\n")
        let trailers = try git(["log", "-1", "--format=%(trailers:key=Key-Two,valueonly)", "main"], in: dir).stdout
        XCTAssertEqual(trailers.trimmingCharacters(in: .whitespacesAndNewlines), "two")
        XCTAssertEqual(try Commit.lookup(c2, in: repo).trailers.map(\.key), ["Key-One", "Key-Two"])
    }

    func testWhatGitWritesLibgit2Reads() throws {
        let work = dir + "/work"
        try FileManager.default.createDirectory(atPath: work, withIntermediateDirectories: true)
        try git(["init", "-q", "-b", "main"], in: work)
        try "one\n".write(toFile: work + "/f.txt", atomically: true, encoding: .utf8)
        try git(["add", "f.txt"], in: work)
        try git(["commit", "-q", "-m", "First"], in: work)
        try git(["checkout", "-q", "-b", "topic"], in: work)
        try "two\n".write(toFile: work + "/g.txt", atomically: true, encoding: .utf8)
        try git(["add", "g.txt"], in: work)
        try git(["commit", "-q", "-m", "On topic"], in: work)
        try git(["checkout", "-q", "main"], in: work)
        try "three\n".write(toFile: work + "/h.txt", atomically: true, encoding: .utf8)
        try git(["add", "h.txt"], in: work)
        try git(["commit", "-q", "-m", "On main"], in: work)
        try git(["merge", "-q", "--no-edit", "topic"], in: work)
        try git(["tag", "-a", "rel", "-m", "Release"], in: work)
        let head = try git(["rev-parse", "HEAD"], in: work).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        let topic = try git(["rev-parse", "topic"], in: work).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        let first = try git(["rev-parse", "HEAD~2"], in: work).stdout.trimmingCharacters(in: .whitespacesAndNewlines)

        let repo = try Repository.open(at: work)
        XCTAssertEqual(try repo.resolveCommit("HEAD").hex, head)
        XCTAssertEqual(try repo.resolveCommit("rel").hex, head)
        XCTAssertEqual(try repo.referenceTarget("topic")?.hex, topic)
        XCTAssertEqual(try repo.branches(), ["main", "topic"])
        XCTAssertEqual(try repo.tags(), ["rel"])
        XCTAssertEqual(try repo.currentBranch(), "main")
        let merge = try Commit.lookup(try repo.resolveCommit("HEAD"), in: repo)
        XCTAssertEqual(merge.parentIDs.count, 2)
        XCTAssertEqual(merge.parentIDs[1].hex, topic)
        let tree = try merge.tree()
        XCTAssertEqual(tree.entries.map(\.name), ["f.txt", "g.txt", "h.txt"])
        XCTAssertEqual(try repo.readBlob(tree.entry(named: "g.txt")!.id, maxBytes: 100), Array("two\n".utf8))
        XCTAssertThrowsError(try repo.readBlob(tree.entry(named: "g.txt")!.id, maxBytes: 3))

        // Revision walks against git rev-list.
        let topo = try repo.log(from: try repo.resolveCommit("HEAD")).map(\.hex)
        let gitTopo = try git(["rev-list", "--topo-order", "HEAD"], in: work).stdout.split(separator: "\n").map(String.init)
        XCTAssertEqual(Set(topo), Set(gitTopo))
        XCTAssertEqual(topo.first, head)
        XCTAssertEqual(topo.last, first)
        let firstParent = try repo.log(from: try repo.resolveCommit("HEAD"), firstParentOnly: true).map(\.hex)
        let gitFirstParent = try git(["rev-list", "--first-parent", "HEAD"], in: work).stdout.split(separator: "\n").map(String.init)
        XCTAssertEqual(firstParent, gitFirstParent)
        // Merge base and descendant checks against git merge-base.
        let mainBefore = try repo.resolveCommit("HEAD~1")
        let base = try repo.mergeBase(mainBefore, try repo.resolveCommit("topic"))
        let gitBase = try git(["merge-base", "HEAD~1", "topic"], in: work).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        XCTAssertEqual(base?.hex, gitBase)
        XCTAssertTrue(try repo.isDescendant(try repo.resolveCommit("HEAD"), of: try repo.resolveCommit("topic")))
        XCTAssertFalse(try repo.isDescendant(try repo.resolveCommit("topic"), of: mainBefore))
        let ab = try repo.aheadBehind(mainBefore, try repo.resolveCommit("topic"))
        XCTAssertEqual(ab.ahead, 1)
        XCTAssertEqual(ab.behind, 1)
    }

    func testErrorsNameTheOperationAndCode() throws {
        let repo = try Repository.create(at: dir, bare: true)
        XCTAssertThrowsError(try repo.resolveCommit("no-such-branch")) { error in
            guard let e = error as? GitError else { return XCTFail("\(error)") }
            XCTAssertEqual(e.code, .notFound)
            XCTAssertTrue(e.operation.contains("no-such-branch"))
        }
        XCTAssertThrowsError(try Repository.open(at: dir + "/missing")) { XCTAssertTrue($0 is GitError) }
        XCTAssertFalse(TreeBuilder.isValidEntryName("../x"))
        XCTAssertFalse(TreeBuilder.isValidEntryName(".."))
        XCTAssertFalse(TreeBuilder.isValidEntryName("a/b"))
        XCTAssertFalse(TreeBuilder.isValidEntryName(".git"))
        XCTAssertThrowsError(try TreeBuilder(repository: repo).insertBlob("../escape", try repo.writeBlob([1])))
    }

    /// The compare-and-swap of `git_commit_create` with an update ref: a stale first parent is refused.
    func testCommitOnStaleParentIsRefused() throws {
        let repo = try Repository.create(at: dir, bare: true)
        let c1 = try commitFile(repo, name: "a", content: "1", parents: [])
        let c2 = try commitFile(repo, name: "b", content: "2", parents: [c1])
        XCTAssertThrowsError(try commitFile(repo, name: "c", content: "3", parents: [c1])) { error in
            XCTAssertEqual((error as? GitError)?.code, .modified, "\(error)")
        }
        XCTAssertEqual(try repo.referenceTarget("main"), c2)
        XCTAssertThrowsError(try repo.setReference("refs/heads/main", to: c1, expected: c1))
        try repo.setReference("refs/heads/main", to: c1, expected: c2)
        XCTAssertEqual(try repo.referenceTarget("main"), c1)
    }

    func testCloneFetchPushBetweenRepositories() throws {
        let origin = dir + "/origin.git"
        let repo = try Repository.create(at: origin, bare: true)
        let c1 = try commitFile(repo, name: "a", content: "1", parents: [])
        // libgit2 clone, then git log in the clone.
        let clone = try Repository.clone(from: origin, to: dir + "/clone.git", bare: true)
        XCTAssertEqual(try clone.referenceTarget("main"), c1)
        XCTAssertEqual(try git(["log", "--format=%H", "main"], in: dir + "/clone.git").stdout, c1.hex + "\n")
        // New commit in origin; libgit2 fetch into the clone.
        let c2 = try commitFile(repo, name: "b", content: "2", parents: [c1])
        try Remote.lookup("origin", in: clone).fetch()
        XCTAssertEqual(try clone.referenceTarget("refs/remotes/origin/main") ?? clone.referenceTarget("refs/heads/main"), c2)
        // Commit in a third repo and push it to origin with libgit2; git reads it there.
        let third = try Repository.clone(from: origin, to: dir + "/third.git", bare: true)
        let c3 = try commitFile(third, name: "c", content: "3", parents: [c2])
        try Remote.lookup("origin", in: third).push(refspecs: ["refs/heads/main:refs/heads/main"])
        XCTAssertEqual(try git(["rev-parse", "main"], in: origin).stdout, c3.hex + "\n")
        XCTAssertEqual(try git(["fsck", "--strict"], in: origin).status, 0)
        XCTAssertEqual(try clone.remoteNames(), ["origin"])
    }
}
