import ElderLab
import ElderTestSupport
import Foundation
import XCTest
@testable import ElderStore

/// Forged objects (written with libgit2 as `git hash-object` would) must be refused from what they declare,
/// before anything of the declared size is allocated.
final class ReadLimitsTests: XCTestCase {
    var dir = ""

    override func setUpWithError() throws { dir = temporaryFolder("limits") + "/repo" }
    override func tearDownWithError() throws { try? FileManager.default.removeItem(atPath: (dir as NSString).deletingLastPathComponent) }

    private func makeStore() throws -> (KnowledgeStore, ObjectID) {
        var editor = SyntheticEditor(shape: smallShape, seed: 11)
        let (store, root) = try SyntheticHistoryWriter.createRepository(at: dir, options: StoreOptions(), editor: &editor)
        let writer = SyntheticHistoryWriter(store: store, editor: editor)
        return (store, try writer.commitEdit(number: 1).id)
    }

    /// A pack of one tensor `name` of `values` values at width 0: ~35 bytes that decode to `values` zeros.
    static func zeroPack(_ name: String, values: Int) -> [UInt8] {
        var bytes = Array("ELDP".utf8) + [1, 0, 0, 0] + TensorCodec.le(1)
        bytes += TensorCodec.le16(UInt16(name.utf8.count)) + Array(name.utf8) + [1, 0] + TensorCodec.le(UInt32(values)) + TensorCodec.le(1)
        return bytes + TensorCodec.le(0)
    }

    /// A commit on `main` whose delta is `pack`, with the trailers of an Elder commit at the next depth.
    static func forgeCommit(_ store: KnowledgeStore, parent: ObjectID, pack: [UInt8]) throws -> ObjectID {
        let repository = store.repository
        let blob = try repository.writeBlob(pack)
        let folder = try TreeBuilder(repository: repository)
        try folder.insertBlob("adapter.bin", blob)
        let root = try TreeBuilder(repository: repository, base: try Commit.lookup(parent, in: repository).tree())
        try root.insertTree("delta", try folder.write())
        let depth = try store.info(of: parent).depth + 1
        let message = "forged\n\nElder-Depth: \(depth)\nElder-State: sha256:\(String(repeating: "0", count: 64))\nElder-Format: 1\n"
        return try Commit.create(in: repository, updateRef: "refs/heads/main", author: Signature(name: "Test", email: "test@example.com"),
                                 committer: Signature(name: "Test", email: "test@example.com"), message: message, tree: try root.write(), parents: [parent])
    }

    func testWidthZeroPacksAcrossCommitsStopAtTheStateLimit() throws {
        let (store, tip) = try makeStore()
        var cursor = tip
        for i in 0..<30 { cursor = try Self.forgeCommit(store, parent: cursor, pack: Self.zeroPack("big\(i)", values: 1 << 23)) }
        // 30 × 2^23 values declared in ~1 KB of objects: the sum passes the state limit after a few packs.
        let fresh = try KnowledgeStore.open(at: dir)
        fresh.limits.stateValues = 1 << 24
        XCTAssertThrowsError(try fresh.state(of: cursor)) { error in
            guard case let StoreError.overLimit(_, limit, _, allowed) = error else { return XCTFail("\(error)") }
            XCTAssertEqual(limit, "elder.maxStateValues")
            XCTAssertEqual(allowed, 1 << 24)
        }
        // With the adapter's schema, the first unknown tensor is refused from its header.
        let schema = try KnowledgeStore.open(at: dir)
        let state = try schema.state(of: tip)
        schema.schema = Dictionary(uniqueKeysWithValues: (state.tensors.merging(state.routers) { a, _ in a }).map { ($0.key, $0.value.shape) })
        XCTAssertThrowsError(try schema.state(of: cursor)) { error in
            XCTAssertTrue("\(error)".contains("is not part of this repo's adapter"), "\(error)")
        }
        // One tensor above the per-tensor limit.
        let single = try KnowledgeStore.open(at: dir)
        single.limits.tensorValues = 1 << 20
        XCTAssertThrowsError(try single.state(of: cursor)) { error in
            XCTAssertTrue("\(error)".contains("elder.maxTensorValues"), "\(error)")
            XCTAssertEqual(String(describing: error).split(separator: "\n").count, 1)
        }
    }

    func testLimitsComeFromGitConfigNotFromTheRepo() throws {
        let (store, _) = try makeStore()
        XCTAssertEqual(store.limits, ReadLimits())
        try store.repository.setConfigValue("elder.maxStateValues", "2m")
        try store.repository.setConfigValue("elder.maxCodebookBytes", "64k")
        let reopened = try KnowledgeStore.open(at: dir)
        XCTAssertEqual(reopened.limits.stateValues, 2 << 20)
        XCTAssertEqual(reopened.limits.codebookBytes, 64 << 10)
        try store.repository.setConfigValue("elder.maxTensorValues", "lots")
        XCTAssertThrowsError(try KnowledgeStore.open(at: dir)) { XCTAssertTrue("\($0)".contains("elder.maxTensorValues"), "\($0)") }
        XCTAssertEqual(ReadLimits.parseSize("99999999999999999999g"), nil)
        XCTAssertEqual(ReadLimits.parseSize("3"), 3)
    }

    func testCodebookOverItsLimitIsRefusedFromObjectHeaders() throws {
        let (store, tip) = try makeStore()
        // 3 MB of zeros is a few KB as a git object; its size is in the object header.
        let big = try store.repository.writeBlob([UInt8](repeating: 0, count: 3 << 20))
        let codebook = try TreeBuilder(repository: store.repository)
        try codebook.insertBlob("memory.json", big)
        let root = try TreeBuilder(repository: store.repository, base: try Commit.lookup(tip, in: store.repository).tree())
        try root.insertTree("codebook", try codebook.write())
        let forged = try Commit.create(in: store.repository, updateRef: nil, author: Signature(name: "Test", email: "test@example.com"),
                                       committer: Signature(name: "Test", email: "test@example.com"), message: "x", tree: try root.write(), parents: [tip])
        store.limits.codebookBytes = 1 << 20
        XCTAssertThrowsError(try store.codebook(at: forged)) { error in
            guard case let StoreError.overLimit(_, limit, declared, _) = error else { return XCTFail("\(error)") }
            XCTAssertEqual(limit, "elder.maxCodebookBytes")
            XCTAssertEqual(declared, 3 << 20)
        }
    }

    /// A loose object in zlib format with one stored (uncompressed) deflate block.
    static func zlibStored(_ data: [UInt8]) -> [UInt8] {
        var a: UInt32 = 1, b: UInt32 = 0
        for byte in data { a = (a + UInt32(byte)) % 65521; b = (b + a) % 65521 }
        let n = UInt16(data.count)
        let adler = b << 16 | a
        return [0x78, 0x01, 0x01, UInt8(n & 0xff), UInt8(n >> 8), UInt8(~n & 0xff), UInt8(~n >> 8)] + data
            + [UInt8(adler >> 24), UInt8(adler >> 16 & 0xff), UInt8(adler >> 8 & 0xff), UInt8(adler & 0xff)]
    }

    func testACodebookBlobWhoseBytesDoNotHashToItsIdIsRefused() throws {
        let (store, tip) = try makeStore()
        let tree = try Commit.lookup(tip, in: store.repository).tree()
        let file = try XCTUnwrap(try tree.subtree(named: "codebook")?.entries.first)
        let original = try store.repository.readBlob(file.id, maxBytes: 1 << 20)
        XCTAssertNoThrow(try store.codebook(at: tip))
        // Same size, one byte changed, written under the old id (as a disk error or a hand edit would leave it).
        var changed = original
        changed[changed.count / 2] ^= 0x20
        let path = store.repository.gitDirectory + "objects/" + String(file.id.hex.prefix(2)) + "/" + String(file.id.hex.dropFirst(2))
        XCTAssertTrue(FileManager.default.fileExists(atPath: path), path)
        try? FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: path)
        try Data(Self.zlibStored(Array("blob \(changed.count)\0".utf8) + changed)).write(to: URL(fileURLWithPath: path))
        let fresh = try KnowledgeStore.open(at: dir)
        XCTAssertThrowsError(try fresh.codebook(at: tip)) { XCTAssertTrue("\($0)".contains("does not hash to its id"), "\($0)") }
    }

    func testKeyframeSumOfManyPacksIsRefusedBeforeDecoding() throws {
        let (store, _) = try makeStore()
        var budget = StateBudget(limits: ReadLimits(tensorValues: 1 << 26, stateValues: 1 << 22), schema: nil)
        let folder = try TreeBuilder(repository: store.repository)
        for g in 0..<5 { try folder.insertBlob("g\(g).bin", try store.repository.writeBlob(Self.zeroPack("g\(g)", values: 1 << 21))) }
        let tree = try folder.write()
        XCTAssertThrowsError(try store.readGroupedPacks(tree, what: "keyframe/sum/adapter", budget: &budget)) { error in
            XCTAssertTrue("\(error)".contains("elder.maxStateValues"), "\(error)")
        }
        // What was admitted stayed within the limit: two packs of 2^21.
        XCTAssertLessThanOrEqual(budget.values, 1 << 22)
    }
}
