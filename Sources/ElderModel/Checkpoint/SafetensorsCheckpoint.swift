import ElderTensor
import Foundation

/// The weights of a Hugging Face checkpoint folder: `model.safetensors`, or the shards named by
/// `model.safetensors.index.json` (each shard opened and mapped once).
public final class SafetensorsCheckpoint: TensorSource, @unchecked Sendable {
    public let folder: String
    private let fileOf: [String: SafetensorsFile]

    public init(folder: String) throws {
        self.folder = folder
        let fm = FileManager.default
        let index = folder + "/model.safetensors.index.json"
        var fileOf: [String: SafetensorsFile] = [:]
        if fm.fileExists(atPath: index) {
            guard let data = fm.contents(atPath: index),
                  let root = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
                  let map = root["weight_map"] as? [String: String] else {
                throw CheckpointError.invalid(path: index, reason: "no weight_map object")
            }
            var shards: [String: SafetensorsFile] = [:]
            for shard in Set(map.values) {
                guard !shard.contains("/"), !shard.hasPrefix(".") else {
                    throw CheckpointError.invalid(path: index, reason: "shard name '\(shard)' leaves the folder")
                }
                shards[shard] = try SafetensorsFile(path: folder + "/" + shard)
            }
            for (name, shard) in map {
                guard let file = shards[shard], file.entries[name] != nil else {
                    throw CheckpointError.missingTensors(path: folder + "/" + shard, names: [name])
                }
                fileOf[name] = file
            }
        } else {
            let single = try SafetensorsFile(path: folder + "/model.safetensors")
            for name in single.entries.keys { fileOf[name] = single }
        }
        self.fileOf = fileOf
    }

    public var names: [String] { fileOf.keys.sorted() }
    public var sourcePath: String { folder }
    public func contains(_ name: String) -> Bool { fileOf[name] != nil }
    public func shape(of name: String) -> [Int]? { fileOf[name]?.entries[name]?.shape }
    public func tensor(_ name: String) throws -> Tensor {
        guard let file = fileOf[name] else { throw CheckpointError.missingTensors(path: folder, names: [name]) }
        return try file.tensor(name)
    }
}
