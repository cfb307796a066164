import Crypto
import Foundation

/// A model Elder knows by name: the file it is cached as and that file's SHA-256.
public struct KnownModel: Sendable, Equatable {
    public let name: String
    public let fileName: String
    public let sha256: String
}

/// Why a model name or path could not be resolved.
public enum ModelLocatorError: Error, Equatable, CustomStringConvertible {
    case notDownloaded(name: String, path: String)
    case notFound(String)
    case checksumMismatch(path: String, expected: String, found: String)
    case specialFile(String)

    public var description: String {
        switch self {
        case let .notDownloaded(name, path):
            return "model \(name) is not downloaded (expected \(path)): run `bash Samples/fetch-model.sh \(name)`"
        case let .notFound(path):
            return "no model at \(path): give a known name (\(ModelLocator.known.map(\.name).joined(separator: ", "))), a .gguf file or a safetensors folder"
        case let .specialFile(path):
            return "\(path) is not a regular file or folder (a pipe, device or socket): give the model's .gguf file or checkpoint folder"
        case let .checksumMismatch(path, expected, found):
            return "\(path) has sha256 \(found), expected \(expected): delete it and run `bash Samples/fetch-model.sh`"
        }
    }
}

/// Turns `--model NAME|PATH` into a file or folder: known names live in the model cache
/// (`$ELDER_MODELS`, else `~/.cache/elder/models`); anything else is a path.
public enum ModelLocator {
    public static let known: [KnownModel] = [
        KnownModel(name: "smollm2-135m", fileName: "SmolLM2-135M-Instruct.Q4_1.gguf",
                   sha256: "b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53"),
        // Gemma 3 270M (Gemma Terms of Use): fetched onto the user's machine, never committed.
        KnownModel(name: "gemma3-270m", fileName: "gemma-3-270m-q4_k_m.gguf",
                   sha256: "a5fd3b62230aa5ec60212297dc9d20eaa70578ac519e00d93a17e44c087a6818"),
    ]

    public static func defaultModelsFolder(environment: [String: String] = ProcessInfo.processInfo.environment) -> String {
        if let dir = environment["ELDER_MODELS"], !dir.isEmpty { return dir }
        let home = environment["HOME"] ?? FileManager.default.homeDirectoryForCurrentUser.path
        return home + "/.cache/elder/models"
    }

    /// The path of `nameOrPath`: a known model's cached file, or an existing file or folder.
    public static func resolve(_ nameOrPath: String,
                               environment: [String: String] = ProcessInfo.processInfo.environment) throws -> String {
        if let model = known.first(where: { $0.name == nameOrPath.lowercased() }) {
            let path = defaultModelsFolder(environment: environment) + "/" + model.fileName
            guard FileManager.default.fileExists(atPath: path) else {
                throw ModelLocatorError.notDownloaded(name: model.name, path: path)
            }
            // A file in the cache under a known name is used only with that model's SHA-256 (once per process).
            try checkKind(path)
            try verifyOnce(model, at: path)
            return path
        }
        let path = (nameOrPath as NSString).expandingTildeInPath
        guard FileManager.default.fileExists(atPath: path) else { throw ModelLocatorError.notFound(nameOrPath) }
        try checkKind(path)
        return path
    }

    /// A model is a regular file or a folder: a FIFO, device or socket would block or never end.
    public static func checkKind(_ path: String) throws {
        var info = stat()
        guard stat(path, &info) == 0 else { throw ModelLocatorError.notFound(path) }
        let kind = info.st_mode & S_IFMT
        guard kind == S_IFREG || kind == S_IFDIR else { throw ModelLocatorError.specialFile(path) }
    }

    nonisolated(unsafe) private static var verified: Set<String> = []
    private static let verifiedLock = NSLock()

    /// `verify`, remembered per path, size and modification time within this process.
    static func verifyOnce(_ model: KnownModel, at path: String) throws {
        var info = stat()
        guard stat(path, &info) == 0 else { throw ModelLocatorError.notFound(path) }
        let key = "\(path)|\(info.st_size)|\(info.st_mtim.tv_sec).\(info.st_mtim.tv_nsec)"
        verifiedLock.lock()
        let known = verified.contains(key)
        verifiedLock.unlock()
        if known { return }
        try verify(model, at: path)
        verifiedLock.lock()
        verified.insert(key)
        verifiedLock.unlock()
    }

    /// SHA-256 of a file, hex, read in 4 MiB chunks.
    public static func sha256(ofFile path: String) throws -> String {
        guard let handle = FileHandle(forReadingAtPath: path) else { throw ModelLocatorError.notFound(path) }
        defer { try? handle.close() }
        var hasher = SHA256()
        while let chunk = try handle.read(upToCount: 4 << 20), !chunk.isEmpty { hasher.update(data: chunk) }
        return hex(hasher.finalize())
    }

    /// SHA-256 of bytes in memory, as lowercase hex (the same digest `sha256(ofFile:)` gives for a file of them).
    public static func sha256(of bytes: Data) -> String {
        hex(SHA256.hash(data: bytes))
    }

    private static func hex(_ digest: SHA256.Digest) -> String { digest.map { String(format: "%02x", $0) }.joined() }

    /// Checks a known model's file against its recorded checksum.
    public static func verify(_ model: KnownModel, at path: String) throws {
        let found = try sha256(ofFile: path)
        guard found == model.sha256 else {
            throw ModelLocatorError.checksumMismatch(path: path, expected: model.sha256, found: found)
        }
    }
}
