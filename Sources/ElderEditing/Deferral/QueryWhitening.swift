import Foundation

/// The whitening of the deferral query: from groups of centred queries that each say one thing in several
/// wordings, the within-group scatter S (how a query moves when only the wording changes), regularized to
/// A = S + γ·mean(diag S)·I, and its Cholesky factor A = L·Lᵀ. Queries are mapped to L⁻¹q, so that
/// (L⁻¹q)·(L⁻¹k) = qᵀA⁻¹k: wording directions are divided down, subject directions kept.
/// Computed in Float64 with fixed loop orders, so the same groups always give the same bits.
public enum QueryWhitening {
    /// L⁻¹ as D×D row-major floats (lower triangular), or nil when the groups are empty.
    public static func fit(groups: [[[Float]]], strength gamma: Float) -> [Float]? {
        guard let d = groups.first(where: { !$0.isEmpty })?.first?.count else { return nil }
        var s = [Double](repeating: 0, count: d * d)
        var n = 0
        var x = [Double](repeating: 0, count: d)
        for group in groups where group.count > 1 {
            var mean = [Double](repeating: 0, count: d)
            for q in group { for j in 0..<d { mean[j] += Double(q[j]) } }
            for j in 0..<d { mean[j] /= Double(group.count) }
            for q in group {
                for j in 0..<d { x[j] = Double(q[j]) - mean[j] }
                for i in 0..<d where x[i] != 0 {
                    let xi = x[i]
                    for j in 0...i { s[i * d + j] += xi * x[j] }
                }
                n += 1
            }
        }
        guard n > 0 else { return nil }
        var trace = 0.0
        for i in 0..<d { trace += s[i * d + i] }
        let ridge = Double(gamma) * trace / Double(n * d) + 1e-12
        for i in 0..<d { for j in 0...i { s[i * d + j] /= Double(n) } ; s[i * d + i] += ridge }
        // Cholesky: A = L·Lᵀ (lower triangle of s).
        var l = [Double](repeating: 0, count: d * d)
        for i in 0..<d {
            for j in 0...i {
                var sum = s[i * d + j]
                for k in 0..<j { sum -= l[i * d + k] * l[j * d + k] }
                l[i * d + j] = j == i ? sum.squareRoot() : sum / l[j * d + j]
            }
        }
        // L⁻¹ by forward substitution, column by column.
        var inv = [Double](repeating: 0, count: d * d)
        for c in 0..<d {
            for i in c..<d {
                var sum = i == c ? 1.0 : 0.0
                for k in c..<i { sum -= l[i * d + k] * inv[k * d + c] }
                inv[i * d + c] = sum / l[i * d + i]
            }
        }
        return inv.map { Float($0) }
    }

    /// `projection`·q for a D×D row-major lower-triangular projection.
    public static func apply(_ projection: [Float], to q: [Float]) -> [Float] {
        let d = q.count
        precondition(projection.count == d * d, "QueryWhitening: a \(projection.count)-value projection for a \(d)-wide query")
        var out = [Float](repeating: 0, count: d)
        for i in 0..<d {
            var sum: Float = 0
            let row = i * d
            for k in 0...i { sum += projection[row + k] * q[k] }
            out[i] = sum
        }
        return out
    }
}

/// Whitenings already fitted in this process, by everything the fit depends on (the query's
/// configuration and the model's reference centre), so rebuilding an editor from a stored memory
/// does not run the calibration prompts again.
final class WhiteningCache: @unchecked Sendable {
    static let shared = WhiteningCache()
    private let lock = NSLock()
    private var fitted: [Key: [Float]] = [:]

    struct Key: Hashable {
        let query: EditorConfiguration.Query
        let modelPath: String
        let centreBits: [UInt32]
        let scaleBits: [UInt32]
    }

    func projection(for key: Key, fit: () -> [Float]?) -> [Float]? {
        lock.lock()
        if let p = fitted[key] { lock.unlock(); return p }
        lock.unlock()
        guard let p = fit() else { return nil }
        lock.lock()
        if fitted.count > 16 { fitted.removeAll() }
        fitted[key] = p
        lock.unlock()
        return p
    }
}
