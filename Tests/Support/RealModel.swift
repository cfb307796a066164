import ElderModel
import Foundation
import XCTest

/// Access to the real SmolLM2 model and the golden files for the real-model suites.
///
/// Skips when `ELDER_FAST` is set; when the model is missing, fails under `CI` and skips otherwise.
public enum RealModel {
    public static var path: String {
        ProcessInfo.processInfo.environment["ELDER_MODEL_PATH"]
            ?? (ModelLocator.defaultModelsFolder() + "/SmolLM2-135M-Instruct.Q4_1.gguf")
    }

    public static func requirePath(file: StaticString = #filePath, line: UInt = #line) throws -> String {
        let env = ProcessInfo.processInfo.environment
        if env["ELDER_FAST"] != nil { throw XCTSkip("ELDER_FAST is set: real-model suite skipped") }
        guard FileManager.default.fileExists(atPath: path) else {
            if env["CI"] != nil {
                XCTFail("model missing at \(path); run `bash Samples/fetch-model.sh`", file: file, line: line)
            }
            throw XCTSkip("model missing at \(path); run `bash Samples/fetch-model.sh`")
        }
        return path
    }

    public static let goldenFolder: String = {
        let env = ProcessInfo.processInfo.environment
        if let dir = env["ELDER_TESTDATA"] { return dir + "/smollm2" }
        return sharedFolder + "/testdata/smollm2"
    }()

    /// The package's root folder (Tests/Support/RealModel.swift -> root).
    public static let packageRoot: URL = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()

    /// `shared/` beside the package (as CI lays it out), or ELDER_SHARED.
    public static let sharedFolder: String = {
        if let dir = ProcessInfo.processInfo.environment["ELDER_SHARED"] { return dir }
        let repo = packageRoot
        let candidates = [repo.appendingPathComponent("../shared").standardized.path,
                          repo.appendingPathComponent("../../shared").standardized.path]
        return candidates.first { FileManager.default.fileExists(atPath: $0) } ?? candidates[0]
    }()

    public static func golden<T: Decodable>(_ name: String, as: T.Type) throws -> T {
        let url = URL(fileURLWithPath: goldenFolder + "/" + name)
        return try JSONDecoder().decode(T.self, from: Data(contentsOf: url))
    }

    /// One shared load of the model per test process (loading costs about a second).
    nonisolated(unsafe) private static var cached: LoadedModel?
    private static let lock = NSLock()
    public static func load() throws -> LoadedModel {
        let path = try requirePath()
        lock.lock(); defer { lock.unlock() }
        if let cached { return cached }
        let m = try LoadedModel.load(path: path)
        cached = m
        return m
    }
}
