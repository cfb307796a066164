import CLibGit2

/// A git object id (SHA-1, 20 bytes) as a Swift value.
public struct ObjectID: Hashable, Sendable, CustomStringConvertible, Comparable {
    public let bytes: [UInt8]

    init(_ oid: git_oid) {
        var copy = oid
        bytes = withUnsafeBytes(of: &copy.id) { Array($0) }
    }

    init(_ pointer: UnsafePointer<git_oid>) { self.init(pointer.pointee) }

    /// Parses 40 hexadecimal digits; nil for anything else.
    public init?(hex: String) {
        let utf8 = Array(hex.utf8)
        guard utf8.count == 40 else { return nil }
        var out = [UInt8](); out.reserveCapacity(20)
        func nibble(_ c: UInt8) -> UInt8? {
            switch c {
            case 48...57: return c - 48
            case 97...102: return c - 87
            case 65...70: return c - 55
            default: return nil
            }
        }
        var i = 0
        while i < 40 {
            guard let hi = nibble(utf8[i]), let lo = nibble(utf8[i + 1]) else { return nil }
            out.append(hi << 4 | lo); i += 2
        }
        bytes = out
    }

    public var hex: String {
        let digits = Array("0123456789abcdef".utf8)
        var out = [UInt8](); out.reserveCapacity(40)
        for b in bytes { out.append(digits[Int(b >> 4)]); out.append(digits[Int(b & 15)]) }
        return String(decoding: out, as: UTF8.self)
    }

    public var description: String { hex }
    public var short: String { String(hex.prefix(10)) }

    public static func < (a: ObjectID, b: ObjectID) -> Bool { a.bytes.lexicographicallyPrecedes(b.bytes) }

    /// The C value, for passing to libgit2.
    var raw: git_oid {
        var oid = git_oid()
        withUnsafeMutableBytes(of: &oid.id) { dst in
            for i in 0..<20 { dst[i] = bytes[i] }
        }
        return oid
    }

    /// Runs `body` with a pointer to the C value.
    @discardableResult
    func withRaw<R>(_ body: (UnsafePointer<git_oid>) throws -> R) rethrows -> R {
        var oid = raw
        return try withUnsafePointer(to: &oid) { try body($0) }
    }
}
