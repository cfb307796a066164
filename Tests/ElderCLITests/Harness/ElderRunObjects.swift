import ElderTestSupport
import Foundation

extension ElderRun {
    /// A JSON value under `key` of the printed object, as an array of objects.
    func objects(_ key: String) throws -> [[String: Any]] {
        try json()[key] as? [[String: Any]] ?? []
    }
}
