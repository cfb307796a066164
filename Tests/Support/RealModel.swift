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
        try require(path, fetch: "bash Samples/fetch-model.sh", file: file, line: line)
    }

    /// `path` if the model file is there; a skip under `ELDER_FAST`, else a failure under `CI` (and a skip
    /// outside it) naming the `fetch` command when it is missing.
    public static func require(_ path: String, fetch: String, file: StaticString = #filePath, line: UInt = #line) throws -> String {
        let env = ProcessInfo.processInfo.environment
        if env["ELDER_FAST"] != nil { throw XCTSkip("ELDER_FAST is set: real-model suite skipped") }
        guard FileManager.default.fileExists(atPath: path) else {
            if env["CI"] != nil {
                XCTFail("model missing at \(path); run `\(fetch)`", file: file, line: line)
            }
            throw XCTSkip("model missing at \(path); run `\(fetch)`")
        }
        return path
    }

    /// The package's root folder (Tests/Support/RealModel.swift -> root).
    public static let packageRoot: URL = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent().standardized

    /// A file the tests read, given relative to the package root (`Tests/Fixtures/...`, `Samples/...`).
    /// Test data lives in the repo: a path that leaves the package is a bug in the test, so it fails the
    /// test instead of reading whatever happens to lie beside the clone.
    public static func packageFile(_ relative: String) throws -> URL {
        let url = packageRoot.appendingPathComponent(relative).standardized
        guard url.path.hasPrefix(packageRoot.path + "/") else {
            throw PackageFileError(description: "\(relative) is outside the package at \(packageRoot.path); "
                                   + "test data belongs under Tests/Fixtures or Samples")
        }
        return url
    }

    /// The SmolLM2 golden files (Tests/Fixtures/smollm2/README.md says where they come from).
    public static let goldenFolder = "Tests/Fixtures/smollm2"

    public static func golden<T: Decodable>(_ name: String, as: T.Type) throws -> T {
        try JSONDecoder().decode(T.self, from: Data(contentsOf: packageFile(goldenFolder + "/" + name)))
    }

    /// One shared load of the model per test process (loading costs about a second).
    public static func load() throws -> LoadedModel { try shared(requirePath()) }

    /// One shared load of each model file per test process.
    nonisolated(unsafe) private static var cached: [String: LoadedModel] = [:]
    private static let lock = NSLock()
    public static func shared(_ path: String) throws -> LoadedModel {
        lock.lock(); defer { lock.unlock() }
        if let hit = cached[path] { return hit }
        let m = try LoadedModel.load(path: path)
        cached[path] = m
        return m
    }
}

/// A test asked for a file outside the package.
public struct PackageFileError: Error, CustomStringConvertible {
    public let description: String
}
