import ElderModel
import Foundation
import XCTest

/// Access to the real Gemma 3 270M model (`bash Samples/fetch-model.sh gemma3-270m`) and its golden files
/// (Tests/Fixtures/gemma3-270m), for the real-model suites: skipped under `ELDER_FAST`; when the model is
/// missing, a failure under `CI` and a skip otherwise, as with SmolLM2.
public enum RealGemma {
    public static var path: String {
        ProcessInfo.processInfo.environment["ELDER_GEMMA_PATH"]
            ?? (ModelLocator.defaultModelsFolder() + "/gemma-3-270m-q4_k_m.gguf")
    }

    public static func requirePath(file: StaticString = #filePath, line: UInt = #line) throws -> String {
        let env = ProcessInfo.processInfo.environment
        if env["ELDER_FAST"] != nil { throw XCTSkip("ELDER_FAST is set: real-model suite skipped") }
        guard FileManager.default.fileExists(atPath: path) else {
            if env["CI"] != nil {
                XCTFail("Gemma missing at \(path); run `bash Samples/fetch-model.sh gemma3-270m`", file: file, line: line)
            }
            throw XCTSkip("Gemma missing at \(path); run `bash Samples/fetch-model.sh gemma3-270m`")
        }
        return path
    }

    public static let goldenFolder = "Tests/Fixtures/gemma3-270m"

    public static func golden<T: Decodable>(_ name: String, as: T.Type) throws -> T {
        try JSONDecoder().decode(T.self, from: Data(contentsOf: RealModel.packageFile(goldenFolder + "/" + name)))
    }

    /// One shared load per test process.
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
