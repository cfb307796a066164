import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A read-only file mapped into memory with POSIX `mmap`, unmapped when the last reference goes.
///
/// This is the one type in ElderModel that owns raw memory: every read goes through `bytes(_:)`,
/// which checks the range against the file size, so parsers above it stay in safe Swift.
public final class MappedFile: @unchecked Sendable {
    public let path: String
    public let count: Int
    private let base: UnsafeRawPointer?

    public init(path: String) throws {
        self.path = path
        // Non-blocking: opening a FIFO for reading would otherwise wait for a writer; fstat then refuses it.
        let fd = open(path, O_RDONLY | O_NONBLOCK | O_NOCTTY)
        guard fd >= 0 else { throw CheckpointError.cannotOpen(path: path, reason: String(cString: strerror(errno))) }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else {
            throw CheckpointError.cannotOpen(path: path, reason: String(cString: strerror(errno)))
        }
        guard (info.st_mode & S_IFMT) == S_IFREG else { throw CheckpointError.cannotOpen(path: path, reason: "not a regular file") }
        count = Int(info.st_size)
        if count == 0 {
            base = nil
            return
        }
        guard let mapped = mmap(nil, count, PROT_READ, MAP_PRIVATE, fd, 0), mapped != MAP_FAILED else {
            throw CheckpointError.cannotOpen(path: path, reason: "mmap failed: \(String(cString: strerror(errno)))")
        }
        base = UnsafeRawPointer(mapped)
    }

    deinit {
        if let base { munmap(UnsafeMutableRawPointer(mutating: base), count) }
    }

    /// Calls `body` with the bytes `range` of the file; the range must lie inside the file.
    public func withBytes<R>(_ range: Range<Int>, _ body: (UnsafeRawBufferPointer) throws -> R) throws -> R {
        guard range.lowerBound >= 0, range.upperBound <= count else {
            throw CheckpointError.truncated(path: path, needed: range.upperBound, size: count)
        }
        guard let base else { return try body(UnsafeRawBufferPointer(start: nil, count: 0)) }
        return try body(UnsafeRawBufferPointer(start: base + range.lowerBound, count: range.count))
    }

    /// Copies the bytes `range` out of the file.
    public func data(_ range: Range<Int>) throws -> Data {
        try withBytes(range) { Data($0) }
    }

    /// The bytes `range` of the file, checked once here, for a reader that comes back to them many times
    /// (quantized weights are read in place on every decoding step).
    public func region(_ range: Range<Int>) throws -> MappedRegion {
        guard range.lowerBound >= 0, range.upperBound <= count else {
            throw CheckpointError.truncated(path: path, needed: range.upperBound, size: count)
        }
        return MappedRegion(file: self, start: base.map { $0 + range.lowerBound }, count: range.count)
    }
}

/// A checked range of a `MappedFile`; holding it keeps the file mapped.
public struct MappedRegion: @unchecked Sendable {
    let file: MappedFile
    private let start: UnsafeRawPointer?
    public let count: Int

    fileprivate init(file: MappedFile, start: UnsafeRawPointer?, count: Int) {
        (self.file, self.start, self.count) = (file, start, count)
    }

    public func withUnsafeBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        try withExtendedLifetime(file) { try body(UnsafeRawBufferPointer(start: start, count: count)) }
    }

    /// The first byte, for kernels that hold the region (and so the mapping) while they read.
    var baseAddress: UnsafeRawPointer { start ?? UnsafeRawPointer(bitPattern: 1)! }
}

/// A bounds-checked little-endian cursor over a byte range of a `MappedFile`.
///
/// Every read checks that the bytes exist first; lengths and counts read from the file are checked
/// against what is left before anything is allocated for them.
struct ByteCursor {
    let file: MappedFile
    private(set) var offset: Int
    let end: Int

    init(file: MappedFile, offset: Int = 0, end: Int? = nil) {
        self.file = file
        self.offset = offset
        self.end = end ?? file.count
    }

    var remaining: Int { end - offset }

    mutating func read<T: FixedWidthInteger>(_: T.Type) throws -> T {
        let size = MemoryLayout<T>.size
        guard remaining >= size else { throw CheckpointError.truncated(path: file.path, needed: offset + size, size: end) }
        let value = try file.withBytes(offset..<offset + size) { T(littleEndian: $0.loadUnaligned(as: T.self)) }
        offset += size
        return value
    }

    mutating func readFloat() throws -> Float { Float(bitPattern: try read(UInt32.self)) }
    mutating func readDouble() throws -> Double { Double(bitPattern: try read(UInt64.self)) }

    /// Reads `count` raw bytes; `count` must not exceed what is left.
    mutating func readBytes(_ count: Int) throws -> [UInt8] {
        guard count >= 0, count <= remaining else {
            throw CheckpointError.truncated(path: file.path, needed: offset &+ max(count, 0), size: end)
        }
        let bytes = try file.withBytes(offset..<offset + count) { [UInt8]($0) }
        offset += count
        return bytes
    }

    mutating func skip(_ count: Int) throws {
        guard count >= 0, count <= remaining else {
            throw CheckpointError.truncated(path: file.path, needed: offset &+ max(count, 0), size: end)
        }
        offset += count
    }
}
