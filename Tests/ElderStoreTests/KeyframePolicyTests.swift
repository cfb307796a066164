import ElderLab
import ElderTestSupport
import Foundation
import XCTest
@testable import ElderStore

/// Adaptive keyframes: a commit writes one exactly when the delta bytes since the carried keyframe reach
/// that keyframe's sum bytes (or the distance reaches K), checked against sizes the git command line reports.
final class KeyframePolicyTests: XCTestCase {
    var dir = ""

    override func setUpWithError() throws { dir = temporaryFolder("policy") + "/repo" }
    override func tearDownWithError() throws { try? FileManager.default.removeItem(atPath: (dir as NSString).deletingLastPathComponent) }

    private func history(edits: Int, options: StoreOptions) throws -> [CommitResult] {
        let shape = SyntheticAdapterShape(layers: 2, loras: 16, rank: 2, inputDim: 32, outputDim: 16, topK: 2)
        var editor = SyntheticEditor(shape: shape, seed: 5, movesRouters: false)
        let (store, root) = try SyntheticHistoryWriter.createRepository(at: dir, options: options, editor: &editor)
        let writer = SyntheticHistoryWriter(store: store, editor: editor)
        return [root] + (try (1...edits).map { try writer.commitEdit(number: $0) })
    }

    /// Bytes of the blobs under `path` in `commit`, as `git ls-tree -r -l` lists them (0 when absent).
    private func bytes(_ commit: ObjectID, _ paths: [String]) throws -> Int {
        let out = try git(["ls-tree", "-r", "-l", commit.hex, "--"] + paths, in: dir).stdout
        return out.split(separator: "\n").reduce(0) { total, line in
            total + (Int(line.split(separator: " ", omittingEmptySubsequences: true)[3].split(separator: "\t")[0]) ?? 0)
        }
    }

    private func keyframeDepth(_ commit: ObjectID) throws -> Int {
        let json = try git(["show", "\(commit.hex):keyframe/meta.json"], in: dir).stdout
        let object = try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any]
        return try XCTUnwrap(object?["depth"] as? Int)
    }

    private func checkPolicy(_ commits: [CommitResult], ratio: Double, cap: Int) throws {
        let deltas = try commits.map { try bytes($0.id, ["delta/adapter.bin", "router/router.bin"]) }
        for d in 1..<commits.count {
            let carried = try keyframeDepth(commits[d - 1].id)
            let replay = deltas[(carried + 1)...d].reduce(0, +)
            let sum = try bytes(commits[carried].id, ["keyframe/sum"])
            let expected = d - carried >= cap || Double(replay) >= ratio * Double(sum)
            XCTAssertEqual(commits[d].isKeyframe, expected, "depth \(d): replay \(replay) B, sum \(sum) B since keyframe \(carried)")
            XCTAssertEqual(try keyframeDepth(commits[d].id), commits[d].isKeyframe ? d : carried)
        }
    }

    func testAdaptiveKeyframesFollowTheReplayRule() throws {
        let commits = try history(edits: 40, options: StoreOptions(keyframeInterval: 1_000))
        try checkPolicy(commits, ratio: 1, cap: 1_000)
        let depths = commits.filter(\.isKeyframe).map(\.depth)
        print("adaptive keyframes at depths \(depths)")
        // The root's keyframe has no sum, so depth 1 writes one; gaps then grow with the sum.
        XCTAssertEqual(depths.prefix(2), [0, 1])
        XCTAssertGreaterThan(zip(depths.dropFirst(), depths).map { $0 - $1 }.max() ?? 0, 4, "\(depths)")
        let fresh = try KnowledgeStore.open(at: dir)
        for c in commits { XCTAssertEqual(try fresh.state(of: c.id).sha256, c.stateHash) }
        XCTAssertEqual(try git(["fsck", "--strict"], in: dir).status, 0)
    }

    func testTheIntervalCapsTheDistanceAndTheRatioScalesIt() throws {
        let commits = try history(edits: 30, options: StoreOptions(keyframeInterval: 6, keyframeReplayRatio: 3))
        try checkPolicy(commits, ratio: 3, cap: 6)
        let depths = commits.filter(\.isKeyframe).map(\.depth)
        XCTAssertLessThanOrEqual(zip(depths.dropFirst(), depths).map { $0 - $1 }.max() ?? 0, 6, "\(depths)")
        XCTAssertLessThanOrEqual(30 - (depths.last ?? 0), 5)
    }

    func testFixedIntervalAndBadRatiosStillWork() throws {
        let commits = try history(edits: 9, options: StoreOptions(keyframeInterval: 3, keyframeReplayRatio: nil))
        XCTAssertEqual(commits.filter(\.isKeyframe).map(\.depth), [0, 3, 6, 9])
        for bad in [0.0, -1, .nan, .infinity] {
            XCTAssertThrowsError(try KnowledgeStore.create(at: dir + "-\(bad)", options: StoreOptions(keyframeReplayRatio: bad),
                                                           initial: StoredState(tensors: ["a": .zeros([2])])))
        }
    }
}
