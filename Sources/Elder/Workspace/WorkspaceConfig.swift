import ElderEditing
import ElderModel
import Foundation

/// The base model a knowledge repo is bound to: its file name, SHA-256 and architecture.
public struct ModelIdentity: Codable, Sendable, Equatable {
    public var fileName: String
    public var sha256: String
    public var architecture: LlamaConfiguration

    /// Identity of a loaded model: the SHA-256 of its `.gguf` file, or for a checkpoint folder the
    /// SHA-256 of "name sha256\n" lines over its files in name order. Cached per path and size.
    public static func of(_ model: LoadedModel) throws -> ModelIdentity {
        ModelIdentity(fileName: (model.path as NSString).lastPathComponent, sha256: try ModelHashes.sha256(path: model.path),
                      architecture: model.configuration)
    }
}

/// SHA-256 of model files, remembered per (path, size, modification time) so opening twice hashes once.
enum ModelHashes {
    nonisolated(unsafe) private static var cache: [String: String] = [:]
    private static let lock = NSLock()

    static func sha256(path: String) throws -> String {
        let attributes = try FileManager.default.attributesOfItem(atPath: path)
        let key = "\(path)|\(attributes[.size] ?? 0)|\((attributes[.modificationDate] as? Date)?.timeIntervalSince1970 ?? 0)"
        lock.lock()
        if let hit = cache[key] { lock.unlock(); return hit }
        lock.unlock()
        var isDirectory: ObjCBool = false
        _ = FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory)
        let hash: String
        if isDirectory.boolValue {
            let names = try FileManager.default.contentsOfDirectory(atPath: path).sorted()
            var lines = ""
            for name in names {
                var sub: ObjCBool = false
                _ = FileManager.default.fileExists(atPath: path + "/" + name, isDirectory: &sub)
                if sub.boolValue { continue }
                lines += "\(name) \(try ModelLocator.sha256(ofFile: path + "/" + name))\n"
            }
            hash = ModelLocator.sha256(of: Data(lines.utf8))
        } else {
            hash = try ModelLocator.sha256(ofFile: path)
        }
        lock.lock(); cache[key] = hash; lock.unlock()
        return hash
    }
}

/// The workspace's section of `elder.json`: which model, which editor configuration.
public struct WorkspaceConfig: Codable, Sendable, Equatable {
    public static let currentVersion = 1
    public var version: Int
    public var model: ModelIdentity
    public var editor: EditorConfiguration

    public init(model: ModelIdentity, editor: EditorConfiguration) {
        self.version = Self.currentVersion
        self.model = model
        self.editor = editor
    }

    func encoded() throws -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return Array(try encoder.encode(self))
    }

    public static func decode(_ bytes: [UInt8]) throws -> WorkspaceConfig {
        let config: WorkspaceConfig
        do { config = try JSONDecoder().decode(WorkspaceConfig.self, from: Data(bytes)) } catch {
            throw WorkspaceError.invalidWorkspaceConfig("\(error)")
        }
        guard config.version == currentVersion else {
            throw WorkspaceError.invalidWorkspaceConfig("workspace version \(config.version), this Elder reads \(currentVersion)")
        }
        // Everything is checked against its range before any of it sizes a loop or an allocation (a repo can
        // come from anyone): the architecture as a model file's would be, the editor against it.
        do {
            try config.model.architecture.validate(source: "elder.json")
            try config.editor.validate(blockCount: config.model.architecture.layerCount)
        } catch {
            throw WorkspaceError.invalidWorkspaceConfig("\(error)")
        }
        guard config.model.sha256.utf8.count == 64, config.model.sha256.utf8.allSatisfy({ (48...57).contains($0) || (97...102).contains($0) }) else {
            throw WorkspaceError.invalidWorkspaceConfig("the model's sha256 is not 64 hex digits")
        }
        let name = config.model.fileName
        guard (1...255).contains(name.utf8.count), !name.contains("/"), name != ".", name != "..", !name.contains("\0") else {
            throw WorkspaceError.invalidWorkspaceConfig("the model's file name must be one file name, not a path")
        }
        return config
    }

    /// The tensors a version of this repo can hold (`EditorConfiguration.adapterShapes`), over `model` or
    /// the architecture `elder.json` records.
    public func adapterShapes(model: LlamaConfiguration? = nil) -> [String: [Int]]? {
        editor.adapterShapes(model: model ?? self.model.architecture)
    }
}
