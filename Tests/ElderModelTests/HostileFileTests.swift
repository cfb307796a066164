import ElderTestSupport
import ElderModel
import ElderTensor
import Foundation
import XCTest

/// Broken and malicious files give a typed `CheckpointError`: no crash, no huge allocation.
final class HostileFileTests: XCTestCase {
    /// A small valid GGUF file to break.
    func validGGUF() -> Data {
        var w = GGUFWriter()
        w.metadata("general.architecture", .string("llama"))
        w.metadata("list", .array([.string("x"), .string("yz")]))
        w.tensor("t", Tensor(shape: [2, 32], scalars: (0..<64).map(Float.init)))
        return w.data()
    }

    func write(_ data: Data, _ name: String = "h.gguf") -> String {
        let path = temporaryFolder() + "/" + name
        XCTAssertTrue(FileManager.default.createFile(atPath: path, contents: data))
        return path
    }

    /// Opens and fully reads a GGUF file; returns the error, if any.
    func gguf(_ data: Data) -> CheckpointError? {
        do {
            let f = try GGUFFile(path: write(data))
            for t in f.tensors { _ = try f.tensor(t.name) }
            return nil
        } catch let e as CheckpointError {
            return e
        } catch {
            XCTFail("untyped error \(error)")
            return nil
        }
    }

    func testEveryTruncationIsATypedError() {
        let data = validGGUF()
        XCTAssertNil(gguf(data))
        // Every prefix that cuts into the header, the tensor infos or the data.
        var failures = 0
        for n in 0..<data.count - 1 where gguf(data.prefix(n)) != nil { failures += 1 }
        // Only cuts inside the final padding after the last tensor's data could still parse; here there is none.
        XCTAssertEqual(failures, data.count - 1)
    }

    func testWrongMagicAndVersion() {
        var data = validGGUF()
        data[0] = UInt8(ascii: "X")
        guard case .badMagic = gguf(data) else { return XCTFail("magic") }
        data = validGGUF()
        data.replaceSubrange(4..<8, with: le(UInt32(1)))
        XCTAssertEqual(gguf(data).map { "\($0)" }?.contains("version 1"), true)
        data.replaceSubrange(4..<8, with: le(UInt32(99)))
        guard case .unsupportedVersion = gguf(data) else { return XCTFail("version") }
    }

    /// Header: magic(4) version(4) tensor count(8) kv count(8), then key 1.
    func testAbsurdCountsAndLengths() {
        for (range, value) in [(8..<16, UInt64.max), (8..<16, 1 << 40), (16..<24, UInt64.max), (16..<24, 1 << 50),
                               (24..<32, UInt64.max), (24..<32, 1 << 45)] {
            var data = validGGUF()
            data.replaceSubrange(range, with: le(value))
            guard case .invalid = gguf(data) else { return XCTFail("bytes \(range) = \(value): \(String(describing: gguf(data)))") }
        }
        // The array count of "list": find it after its key and type codes.
        var data = validGGUF()
        let key = Data("list".utf8)
        let at = data.range(of: key)!.upperBound + 4 + 4
        data.replaceSubrange(at..<at + 8, with: le(UInt64(1) << 61))
        guard case .invalid = gguf(data) else { return XCTFail("array count") }
        // A string length inside the array.
        data = validGGUF()
        data.replaceSubrange(at + 8..<at + 16, with: le(UInt64.max - 3))
        guard case .invalid = gguf(data) else { return XCTFail("string length") }
    }

    func testUnknownValueTypesAndBadBools() {
        var data = validGGUF()
        let typeAt = data.range(of: Data("general.architecture".utf8))!.upperBound
        data.replaceSubrange(typeAt..<typeAt + 4, with: le(UInt32(77)))
        XCTAssertTrue(gguf(data).map { "\($0)" }?.contains("unknown metadata value type 77") ?? false)
        var w = GGUFWriter()
        w.metadata("flag", .bool(true))
        data = w.data()
        data[data.range(of: Data("flag".utf8))!.upperBound + 4] = 7
        guard case .invalid = gguf(data) else { return XCTFail("bool 7") }
    }

    /// Tensor info: name, rank, dims, type, offset, located from the end of the infos.
    func tensorInfoData(rank: UInt32 = 2, dims: [UInt64], type: UInt32 = 0, offset: UInt64 = 0) -> Data {
        var w = GGUFWriter()
        w.rawTensor("t", dims: dims, type: type, bytes: Data(count: 256))
        var data = w.data()
        // Patch the rank (which the writer derives from dims) when asked for an impossible one.
        if rank != UInt32(dims.count) {
            let at = data.range(of: Data("t".utf8), options: [], in: 24..<data.count)!.upperBound
            data.replaceSubrange(at..<at + 4, with: le(rank))
        }
        if offset != 0 {
            let at = data.range(of: Data("t".utf8), options: [], in: 24..<data.count)!.upperBound + 4 + 8 * dims.count + 4
            data.replaceSubrange(at..<at + 8, with: le(offset))
        }
        return data
    }

    func testAbsurdTensorSizesOffsetsAndTypes() {
        XCTAssertNil(gguf(tensorInfoData(dims: [32, 2])))
        for (name, data) in [
            ("huge dims", tensorInfoData(dims: [1 << 40, 1 << 40])),
            ("overflowing dims", tensorInfoData(dims: [UInt64.max, 2])),
            ("more data than the file", tensorInfoData(dims: [1 << 20, 4])),
            ("offset past the end", tensorInfoData(dims: [32, 2], offset: 1 << 50)),
            ("misaligned offset", tensorInfoData(dims: [32, 2], offset: 3)),
            ("rank 9", tensorInfoData(rank: 9, dims: [32, 2])),
            ("rank 0", tensorInfoData(rank: 0, dims: [32, 2])),
            ("Q4_0 row not a block multiple", tensorInfoData(dims: [33, 2], type: 2)),
        ] {
            guard case .invalid = gguf(data) else { return XCTFail("\(name): \(String(describing: gguf(data)))") }
        }
        guard case .unsupportedTensorType(_, "t", "unknown type 200") = gguf(tensorInfoData(dims: [32, 2], type: 200)) else {
            return XCTFail("unknown type")
        }
    }

    func testDuplicateTensorAndNonFileInputs() throws {
        var w = GGUFWriter()
        w.tensor("t", Tensor(zeros: [8]))
        w.tensor("t", Tensor(zeros: [8]))
        guard case .invalid = gguf(w.data()) else { return XCTFail("duplicate") }
        XCTAssertThrowsError(try GGUFFile(path: "/nonexistent/x.gguf")) { XCTAssertTrue($0 is CheckpointError) }
        XCTAssertThrowsError(try GGUFFile(path: NSTemporaryDirectory())) { XCTAssertTrue($0 is CheckpointError) }
    }

    func testMetadataIsBoundedAndAFIFOIsRefusedWithoutWaiting() throws {
        // 5 M one-byte values (5 MB on disk) would be ~250 MB of Swift values: refused from the array's length.
        var w = GGUFWriter()
        w.metadata("general.architecture", .string("llama"))
        var data = w.data()
        let count = 5_000_000
        // Patch in an extra key: an array of `count` uint8 values, then the bytes.
        var extra = Data()
        extra += le(UInt64(4)) + Data("junk".utf8) + le(UInt32(9)) + le(UInt32(0)) + le(UInt64(count))
        extra += Data(count: count)
        data = GGUFFile.withExtraMetadata(data, extra)
        guard case let .invalid(_, reason)? = gguf(data) else { return XCTFail("a 5 M-value array was accepted") }
        XCTAssertTrue(reason.contains("metadata array"), reason)
        // A FIFO (nobody writes to it) is refused at once instead of blocking the open.
        let fifo = temporaryFolder() + "/model.gguf"
        XCTAssertEqual(mkfifo(fifo, 0o644), 0)
        let start = Date()
        XCTAssertThrowsError(try GGUFFile(path: fifo)) { XCTAssertTrue("\($0)".contains("not a regular file"), "\($0)") }
        XCTAssertThrowsError(try ModelLocator.resolve(fifo)) { XCTAssertTrue("\($0)".contains("not a regular file or folder"), "\($0)") }
        XCTAssertLessThan(Date().timeIntervalSince(start), 5)
    }

    func testAKnownModelNameIsUsedOnlyWithItsSHA256() throws {
        let folder = temporaryFolder()
        let name = try XCTUnwrap(ModelLocator.known.first)
        XCTAssertTrue(FileManager.default.createFile(atPath: folder + "/" + name.fileName, contents: validGGUF()))
        XCTAssertThrowsError(try ModelLocator.resolve(name.name, environment: ["ELDER_MODELS": folder])) { error in
            XCTAssertTrue("\(error)".contains("expected \(name.sha256)"), "\(error)")
        }
    }

    func testHostileSafetensors() throws {
        func open(_ data: Data) -> Error? {
            do { let f = try SafetensorsFile(path: write(data, "h.safetensors")); for n in f.names { _ = try f.tensor(n) }; return nil }
            catch { return error }
        }
        func file(header: String, dataBytes: Int) -> Data {
            var d = le(UInt64(header.utf8.count))
            d.append(Data(header.utf8))
            d.append(Data(count: dataBytes))
            return d
        }
        XCTAssertNil(open(file(header: #"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}"#, dataBytes: 8)))
        let cases = [
            le(UInt64.max) + Data("{}".utf8),                                                           // header length
            file(header: #"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}"#, dataBytes: 4),    // data truncated
            file(header: #"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,1e18]}}"#, dataBytes: 8),
            file(header: #"{"a":{"dtype":"F32","shape":[4294967296,4294967296],"data_offsets":[0,8]}}"#, dataBytes: 8),
            file(header: #"{"a":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}}"#, dataBytes: 8),     // size mismatch
            file(header: #"{"a":{"dtype":"I64","shape":[1],"data_offsets":[0,8]}}"#, dataBytes: 8),     // dtype
            file(header: #"{"a":{"dtype":"F32","shape":[2],"data_offsets":[8,0]}}"#, dataBytes: 8),     // reversed
            file(header: "not json", dataBytes: 0),
            Data([1, 2, 3]),
        ]
        for (i, data) in cases.enumerated() {
            let error = open(data)
            XCTAssertNotNil(error as? CheckpointError, "case \(i): \(String(describing: error))")
        }
    }
}

extension GGUFFile {
    /// `file` (as `GGUFWriter` writes it: no tensors after the metadata matter here) with one more metadata
    /// entry `entry` (key, type, value) inserted after the existing ones and the key count raised.
    static func withExtraMetadata(_ file: Data, _ entry: Data) -> Data {
        var bytes = [UInt8](file)
        // Header: magic(4) version(4) tensorCount(8) keyCount(8).
        var keys = UInt64(0)
        for k in 0..<8 { keys |= UInt64(bytes[16 + k]) << (8 * UInt64(k)) }
        keys += 1
        for k in 0..<8 { bytes[16 + k] = UInt8(truncatingIfNeeded: keys >> (8 * UInt64(k))) }
        // Insert right after the header: the parser reads keys in file order.
        bytes.insert(contentsOf: [UInt8](entry), at: 24)
        return Data(bytes)
    }
}
