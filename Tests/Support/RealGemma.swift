import ElderModel
import Foundation

/// Access to the real Gemma 3 270M model (`bash Samples/fetch-model.sh gemma3-270m`, or `ELDER_GEMMA_PATH`)
/// and its golden files (Tests/Fixtures/gemma3-270m), skipped or failed as `RealModel.require` says.
public enum RealGemma {
    public static var path: String {
        ProcessInfo.processInfo.environment["ELDER_GEMMA_PATH"]
            ?? (ModelLocator.defaultModelsFolder() + "/gemma-3-270m-q4_k_m.gguf")
    }

    public static func requirePath(file: StaticString = #filePath, line: UInt = #line) throws -> String {
        try RealModel.require(path, fetch: "bash Samples/fetch-model.sh gemma3-270m", file: file, line: line)
    }

    public static let goldenFolder = "Tests/Fixtures/gemma3-270m"

    public static func golden<T: Decodable>(_ name: String, as: T.Type) throws -> T {
        try JSONDecoder().decode(T.self, from: Data(contentsOf: RealModel.packageFile(goldenFolder + "/" + name)))
    }

    /// One shared load per test process.
    public static func load() throws -> LoadedModel { try RealModel.shared(requirePath()) }
}
