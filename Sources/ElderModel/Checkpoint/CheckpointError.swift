/// Why a model file or folder could not be read. Every case names the file and, where there is one,
/// the tensor or key, so a user can tell what is wrong without a debugger.
public enum CheckpointError: Error, Equatable, CustomStringConvertible {
    case cannotOpen(path: String, reason: String)
    case truncated(path: String, needed: Int, size: Int)
    case badMagic(path: String, found: [UInt8])
    case unsupportedVersion(path: String, version: UInt32)
    case invalid(path: String, reason: String)
    case unsupportedTensorType(path: String, tensor: String, type: String)
    case missingTensors(path: String, names: [String])
    case wrongShape(path: String, tensor: String, expected: [Int], found: [Int])
    case missingMetadata(path: String, key: String)

    public var description: String {
        switch self {
        case let .cannotOpen(path, reason): return "cannot open \(path): \(reason)"
        case let .truncated(path, needed, size): return "\(path) is truncated: needs \(needed) bytes, has \(size)"
        case let .badMagic(path, found): return "\(path) is not a GGUF file (magic \(found.map { String($0, radix: 16) }))"
        case let .unsupportedVersion(path, version): return "\(path): unsupported GGUF version \(version) (2 and 3 are read)"
        case let .invalid(path, reason): return "\(path): \(reason)"
        case let .unsupportedTensorType(path, tensor, type):
            return "\(path): tensor \(tensor) has type \(type), which Elder cannot dequantize (F32, F16, BF16, Q8_0, Q4_0, Q4_1, Q5_0, Q5_1, Q2_K, Q3_K, Q4_K, Q5_K, Q6_K)"
        case let .missingTensors(path, names):
            return "\(path) lacks \(names.count) tensor(s): \(names.prefix(12).joined(separator: ", "))\(names.count > 12 ? ", ..." : "")"
        case let .wrongShape(path, tensor, expected, found): return "\(path): tensor \(tensor) has shape \(found), expected \(expected)"
        case let .missingMetadata(path, key): return "\(path): missing or mistyped metadata \(key)"
        }
    }
}
