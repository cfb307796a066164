import ElderEditing
import ElderModel
import ElderTensor
import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// What a lifelong run was started with. A resumed run must have been started with exactly these.
public struct LifelongRunParameters: Codable, Equatable, Sendable {
    /// The method's name in the report: the method, or the variant's label.
    public var name: String
    public var method: String
    /// The `--set` changes, as given.
    public var settings: [String: String]
    public var configuration: EditorConfiguration
    public var model: String
    public var editSet: String
    public var editSetDigest: String
    public var editCount: Int
    public var checkpoints: [Int]
    public var afterEachEdit: Bool

    public init(name: String, method: String, settings: [String: String], configuration: EditorConfiguration, model: String,
                editSet: String, editSetDigest: String, editCount: Int, checkpoints: [Int], afterEachEdit: Bool) {
        self.name = name
        self.method = method
        self.settings = settings
        self.configuration = configuration
        self.model = model
        self.editSet = editSet
        self.editSetDigest = editSetDigest
        self.editCount = editCount
        self.checkpoints = checkpoints
        self.afterEachEdit = afterEachEdit
    }

    /// The first field in which `other` differs, as "field: this vs other", or nil when they match.
    public func difference(from other: LifelongRunParameters) -> String? {
        let pairs: [(String, String, String)] = [
            ("name", name, other.name), ("method", method, other.method),
            ("settings", describe(settings), describe(other.settings)), ("model", model, other.model),
            ("edit file", editSet, other.editSet), ("edits", editSetDigest, other.editSetDigest),
            ("T", String(editCount), String(other.editCount)), ("checkpoints", "\(checkpoints)", "\(other.checkpoints)"),
            ("after-each", String(afterEachEdit), String(other.afterEachEdit)),
        ]
        if let d = pairs.first(where: { $0.1 != $0.2 }) { return "\(d.0): \(d.1) vs \(d.2)" }
        return configuration == other.configuration ? nil : "configuration differs"
    }

    private func describe(_ s: [String: String]) -> String {
        s.isEmpty ? "none" : s.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
    }
}

/// A lifelong run saved between two edits: its parameters, its state (`LifelongRunState`) and the editor's
/// whole state (adapter tensors, `EditMemory`, the training outcomes so far), so that `--resume` continues
/// it exactly. Editors keep nothing else between edits (GRACE's codebook is adapter tensors + memory).
///
/// One file, a safetensors container: the adapter tensors as `adapter/<name>` (float32, exact), the
/// `MemoryCodec` vector file as the float32 tensor `memory/vectors.bin` (its bytes, bit for bit), and in the
/// header's metadata the JSON of the parameters, the state, the outcomes and `memory.json`. It is written
/// to a temporary file and renamed over the previous one, so a crash leaves the old checkpoint or the new.
public struct LifelongCheckpoint: Sendable, Equatable {
    public static let format = "elder-lifelong-checkpoint-1"

    public var parameters: LifelongRunParameters
    public var state: LifelongRunState
    public var adapter: AdapterState
    public var memory: EditMemory
    public var outcomes: [EditOutcome]

    public init(parameters: LifelongRunParameters, state: LifelongRunState, adapter: AdapterState, memory: EditMemory,
                outcomes: [EditOutcome]) {
        self.parameters = parameters
        self.state = state
        self.adapter = adapter
        self.memory = memory
        self.outcomes = outcomes
    }

    /// The checkpoint of `editor` (holding the state after `state.editsApplied` edits).
    public init(parameters: LifelongRunParameters, state: LifelongRunState, editor: EditorUnderTest) {
        self.init(parameters: parameters, state: state, adapter: editor.editor.adapter, memory: editor.editor.memory,
                  outcomes: editor.outcomes)
    }

    static let adapterPrefix = "adapter/", vectorsName = "memory/vectors.bin"

    /// Writes the checkpoint to `path` atomically (temporary file + rename).
    public func write(to path: String) throws(ReportError) {
        do {
            var tensors: [String: Tensor] = [:]
            for (name, t) in adapter.tensors { tensors[Self.adapterPrefix + name] = t }
            let files = try MemoryCodec.encode(memory, layout: .onePiece)
            let bin = files[MemoryCodec.vectorsName] ?? []
            guard bin.count % 4 == 0 else { throw ReportError("the memory's vector file is not a whole number of floats") }
            tensors[Self.vectorsName] = Tensor(shape: [bin.count / 4], scalars: (0..<(bin.count / 4)).map { i in
                Float(bitPattern: UInt32(bin[4 * i]) | UInt32(bin[4 * i + 1]) << 8 | UInt32(bin[4 * i + 2]) << 16 | UInt32(bin[4 * i + 3]) << 24)
            })
            let metadata = [
                "format": Self.format,
                "parameters": try Self.json(parameters), "state": try Self.json(state), "outcomes": try Self.json(outcomes),
                MemoryCodec.jsonName: String(decoding: files[MemoryCodec.jsonName] ?? [], as: UTF8.self),
            ]
            let temporary = path + ".tmp-\(getpid())"
            try SafetensorsFile.write(tensors, metadata: metadata, to: temporary)
            guard rename(temporary, path) == 0 else {
                try? FileManager.default.removeItem(atPath: temporary)
                throw ReportError("\(path): cannot replace the checkpoint (errno \(errno)) — check the folder is writable")
            }
        } catch let error as ReportError {
            throw error
        } catch {
            throw ReportError("\(path): cannot write the checkpoint (\(error))")
        }
    }

    /// Reads the checkpoint at `path`.
    public init(contentsOf path: String) throws(ReportError) {
        do {
            let file = try SafetensorsFile(path: path)
            guard file.metadata["format"] == Self.format, let p = file.metadata["parameters"], let s = file.metadata["state"],
                  let o = file.metadata["outcomes"], let m = file.metadata[MemoryCodec.jsonName] else {
                throw ReportError("\(path): not a lifelong checkpoint of this version (format \(file.metadata["format"] ?? "none"))")
            }
            var adapter = AdapterState()
            for name in file.names where name.hasPrefix(Self.adapterPrefix) {
                adapter[String(name.dropFirst(Self.adapterPrefix.count))] = try file.tensor(name)
            }
            var bin: [UInt8] = []
            for x in try file.tensor(Self.vectorsName).scalars {
                let b = x.bitPattern
                bin += [UInt8(b & 0xff), UInt8((b >> 8) & 0xff), UInt8((b >> 16) & 0xff), UInt8(b >> 24)]
            }
            let memory = try MemoryCodec.decode([MemoryCodec.jsonName: Array(m.utf8), MemoryCodec.vectorsName: bin])
            self.init(parameters: try Self.decode(p), state: try Self.decode(s), adapter: adapter, memory: memory,
                      outcomes: try Self.decode(o))
        } catch let error as ReportError {
            throw error
        } catch {
            throw ReportError("\(path): cannot read the checkpoint (\(error)) — start over with --fresh")
        }
    }

    /// An editor holding this checkpoint's state, over `model`.
    public func editor(model: LoadedModel) throws -> EditorUnderTest {
        let editor = try makeEditor(model: model, configuration: parameters.configuration, adapter: adapter, memory: memory)
        let subject = EditorUnderTest(editor: editor, model: model.model, stop: model.stopTokenIDs)
        subject.outcomes = outcomes
        return subject
    }

    static func json<T: Encodable>(_ value: T) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        return String(decoding: try encoder.encode(value), as: UTF8.self)
    }

    static func decode<T: Decodable>(_ text: String) throws -> T {
        let decoder = JSONDecoder()
        decoder.nonConformingFloatDecodingStrategy = .convertFromString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        return try decoder.decode(T.self, from: Data(text.utf8))
    }
}
