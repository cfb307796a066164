import ElderRecords
import Foundation

extension LifelongReport {
    /// The facts every benchmark report states: cores, OpenBLAS threads, and the UTC date.
    public static func standardEnvironment(model: String) -> [(String, String)] {
        let threads = ProcessInfo.processInfo.environment["OPENBLAS_NUM_THREADS"] ?? "unset (OpenBLAS default)"
        let formatter = ISO8601DateFormatter()
        return [("model", model), ("cores", String(ProcessInfo.processInfo.activeProcessorCount)),
                ("OPENBLAS_NUM_THREADS", threads), ("date", formatter.string(from: Date()))]
    }

    /// Writes `<name>.md`, `<name>.json`, `<name>.svg` (exact-match curves) and `<name>-token-accuracy.svg`
    /// into `directory`, creating it if needed, and returns the four paths.
    @discardableResult
    public func write(to directory: String, name: String) throws(EditFileError) -> [String] {
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        } catch {
            throw EditFileError(.unreadable, source: directory, line: nil, problem: "cannot create the report folder",
                                fix: "pass a writable --out folder")
        }
        let base = URL(fileURLWithPath: directory).appendingPathComponent(name).path
        let files = [(base + ".md", markdown), (base + ".json", json), (base + ".svg", svg()),
                     (base + "-token-accuracy.svg", svg(kind: .tokenAccuracy))]
        for (path, text) in files { try EditFileWriter.writeText(text, to: path) }
        return files.map(\.0)
    }
}
