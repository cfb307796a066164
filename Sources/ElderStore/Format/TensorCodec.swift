/// The binary form of a group of grid tensors (a commit's adapter delta, its router delta, a keyframe
/// part) in one blob: a "tensor pack". Layout in FORMAT.md ("StoredTensor packs").
///
/// Values are integers (grid units). For each tensor the encoder divides them by their greatest
/// common divisor (`step`: a delta quantized to k units costs no bits for k), zigzag-maps them to
/// unsigned symbols and packs the symbols at the narrowest width of 2, 4, 8, 16 or 32 bits (widths of
/// 8 bits and more as byte planes: all low bytes first). The packed bytes of all tensors are
/// compressed as one zstd frame, so the group shares entropy tables (36 small frames per commit cost
/// ~6 KB of tables). Decoding bounds every size before allocating.
public enum TensorCodec {
    static let magic: [UInt8] = Array("ELDP".utf8)
    static let version: UInt8 = 1
    /// The most elements a pack may declare in all (2^26, 256 MB of float32).
    public static let maxElements = 1 << 26
    static let maxTensors = 1 << 16
    static let maxRank = 4
    /// The largest magnitude a pack may hold: a difference of two in-range values (2 × (2^24 − 1)).
    static let maxMagnitude = 2 * Int64(Grid.maxUnits)

    // MARK: encode

    static func encode(_ tensors: [String: GridTensor], level: Int32 = 1, zstd: ZstdContext) throws -> [UInt8] {
        guard tensors.count <= maxTensors else { throw StoreError.invalidArgument("too many tensors in one pack") }
        var header = magic + [version, 0, 0, 0]
        header += le(UInt32(tensors.count))
        var payload: [UInt8] = []
        var total = 0
        for name in StateHash.sortedNames(tensors.keys) {
            let tensor = tensors[name]!
            total += tensor.units.count
            guard Names.isValid(name), (1...maxRank).contains(tensor.shape.count),
                  tensor.shape.allSatisfy({ $0 >= 1 && $0 <= Int(UInt32.max) }),
                  tensor.shape.reduce(1, *) == tensor.units.count, total <= maxElements else {
                throw StoreError.invalidArgument("cannot encode tensor \(name) of shape \(tensor.shape)")
            }
            let step = gcd(tensor.units)
            var maxSymbol: UInt32 = 0
            var symbols = [UInt32](repeating: 0, count: tensor.units.count)
            if step > 0 {
                for i in 0..<symbols.count {
                    let q = tensor.units[i] / step
                    let z = UInt32(bitPattern: (q << 1) ^ (q >> 31))
                    symbols[i] = z
                    maxSymbol = max(maxSymbol, z)
                }
            }
            let bits: UInt8 = maxSymbol == 0 ? 0 : maxSymbol < 4 ? 2 : maxSymbol < 16 ? 4 : maxSymbol < 256 ? 8
                : maxSymbol < 65536 ? 16 : 32
            let packed = pack(symbols, bits: bits)
            let nameBytes = Array(name.utf8)
            header += le16(UInt16(nameBytes.count)) + nameBytes
            header += [UInt8(tensor.shape.count), bits]
            for d in tensor.shape { header += le(UInt32(d)) }
            header += le(UInt32(max(step, 1)))
            payload += packed
        }
        header += le(UInt32(payload.count))
        if !payload.isEmpty { header += try zstd.compress(payload, level: level) }
        return header
    }

    static func gcd(_ values: [Int32]) -> Int32 {
        var g: Int64 = 0
        for v in values where v != 0 {
            if g != 0 && Int64(v) % g == 0 { continue }
            var a = abs(Int64(v)), b = g
            while b != 0 { (a, b) = (b, a % b) }
            g = a
            if g == 1 { break }
        }
        return Int32(g)
    }

    static func packedLength(count: Int, bits: UInt8) -> Int {
        switch bits {
        case 0: return 0
        case 2: return (count + 3) / 4
        case 4: return (count + 1) / 2
        default: return count * Int(bits / 8)
        }
    }

    static func pack(_ symbols: [UInt32], bits: UInt8) -> [UInt8] {
        let n = symbols.count
        var out = [UInt8](repeating: 0, count: packedLength(count: n, bits: bits))
        symbols.withUnsafeBufferPointer { s in
            out.withUnsafeMutableBufferPointer { o in
                switch bits {
                case 0: break
                case 2: for i in 0..<n { o[i >> 2] |= UInt8(s[i]) << UInt8((i & 3) * 2) }
                case 4: for i in 0..<n { o[i >> 1] |= UInt8(s[i]) << UInt8((i & 1) * 4) }
                default:
                    let width = Int(bits / 8)
                    for plane in 0..<width {
                        let shift = UInt32(plane * 8)
                        for i in 0..<n { o[plane * n + i] = UInt8(truncatingIfNeeded: s[i] >> shift) }
                    }
                }
            }
        }
        return out
    }

    // MARK: decode

    /// What a pack's header declares: its tensors' names, shapes and widths, and where the payload starts.
    /// Reading it allocates nothing in proportion to the declared sizes, so a reader checks them first.
    struct Header {
        struct Entry { let name: String; let shape: [Int]; let bits: UInt8; let step: Int64; let offset: Int; let count: Int }
        var entries: [Entry]
        /// Where the zstd frame starts, and the unpacked payload's length.
        var payloadStart: Int
        var payloadLength: Int

        var tensors: [(name: String, shape: [Int])] { entries.map { ($0.name, $0.shape) } }
    }

    /// Parses a pack's header, checking the format's own bounds (names, ranks, widths, at most `maxElements`).
    static func header(_ blob: [UInt8], what: String) throws -> Header {
        func fail(_ reason: String) -> StoreError { .corrupt(what: what, reason: reason) }
        var reader = ByteReader(bytes: blob)
        guard let m = reader.bytes(4), m == magic else { throw fail("not an Elder tensor pack") }
        guard let v = reader.bytes(4), v[0] == version else { throw fail("unsupported tensor pack version") }
        guard let count32 = reader.u32(), Int(count32) <= maxTensors else { throw fail("bad tensor count") }
        var entries: [Header.Entry] = []
        var total = 0, offset = 0
        var previous: [UInt8]? = nil
        for _ in 0..<Int(count32) {
            guard let nameLength = reader.u16(), let nameBytes = reader.bytes(Int(nameLength)),
                  let rank = reader.u8(), let bits = reader.u8() else { throw fail("truncated header") }
            let name = String(decoding: nameBytes, as: UTF8.self)
            guard Names.isValid(name), Array(name.utf8) == nameBytes else { throw fail("invalid tensor name") }
            if let previous, !previous.lexicographicallyPrecedes(nameBytes) { throw fail("names not in order") }
            previous = nameBytes
            guard (1...maxRank).contains(Int(rank)), [0, 2, 4, 8, 16, 32].contains(bits) else { throw fail("bad rank or width of \(name)") }
            var shape: [Int] = []
            var elements = 1
            for _ in 0..<Int(rank) {
                guard let d = reader.u32(), d >= 1, Int(d) <= maxElements else { throw fail("bad dimension of \(name)") }
                elements *= Int(d)
                guard elements <= maxElements else { throw fail("\(name) is too large") }
                shape.append(Int(d))
            }
            total += elements
            guard total <= maxElements else { throw fail("more than \(maxElements) elements") }
            guard let step = reader.u32(), step >= 1 else { throw fail("bad step of \(name)") }
            let length = packedLength(count: elements, bits: bits)
            entries.append(Header.Entry(name: name, shape: shape, bits: bits, step: Int64(step), offset: offset, count: elements))
            offset += length
        }
        guard let payloadLength = reader.u32(), Int(payloadLength) == offset else { throw fail("payload length") }
        if offset == 0, reader.position != blob.count { throw fail("trailing bytes") }
        return Header(entries: entries, payloadStart: reader.position, payloadLength: offset)
    }

    /// Decodes a tensor pack, refusing any declared size above the format's bounds before allocating.
    static func decode(_ blob: [UInt8], what: String, zstd: ZstdContext) throws -> [String: GridTensor] {
        try decode(blob, header: try header(blob, what: what), what: what, zstd: zstd)
    }

    /// Decodes a pack whose header was parsed (and its sizes admitted) already.
    static func decode(_ blob: [UInt8], header: Header, what: String, zstd: ZstdContext) throws -> [String: GridTensor] {
        var payload: [UInt8] = []
        if header.payloadLength > 0 {
            payload = try zstd.decompress(blob, from: header.payloadStart, expected: header.payloadLength, what: what)
        }
        var out: [String: GridTensor] = [:]
        for e in header.entries {
            out[e.name] = GridTensor(shape: e.shape, units: try unpack(payload, offset: e.offset, count: e.count, bits: e.bits,
                                                                       step: e.step, what: "\(what)/\(e.name)"))
        }
        return out
    }

    /// The `count` values packed at `payload[offset...]` with width `bits`, times `step`.
    static func unpack(_ payload: [UInt8], offset: Int, count: Int, bits: UInt8, step: Int64, what: String) throws -> [Int32] {
        if bits == 0 { return [Int32](repeating: 0, count: count) }
        // The largest |q| a width can carry; when even that times `step` is in range, no per-value check is needed.
        let largest = bits >= 32 ? Int64(Int32.max) + 1 : Int64(1) << (Int64(bits) - 1)
        let checked = largest * step > maxMagnitude
        var bad = false
        let units = payload.withUnsafeBufferPointer { whole in
            let p = UnsafeBufferPointer(rebasing: whole[offset...])
            return [Int32](unsafeUninitializedCapacity: count) { u, initialized in
                initialized = count
                if bits == 4 && !checked {
                    // A table of both values of every byte, already multiplied by `step`.
                    var table = [Int32](repeating: 0, count: 512)
                    for byte in 0..<256 {
                        for k in 0..<2 {
                            let z = UInt32((UInt8(byte) >> UInt8(4 * k)) & 15)
                            table[2 * byte + k] = Int32(truncatingIfNeeded: Int64(Int32(bitPattern: (z >> 1) ^ (0 &- (z & 1)))) * step)
                        }
                    }
                    table.withUnsafeBufferPointer { t in
                        for j in 0..<(count / 2) {
                            let b = Int(p[j]) &* 2
                            u[2 &* j] = t[b]
                            u[2 &* j &+ 1] = t[b &+ 1]
                        }
                        if count % 2 == 1 { u[count - 1] = t[Int(p[count / 2]) * 2] }
                    }
                    return
                }
                @inline(__always) func put(_ i: Int, _ z: UInt32) {
                    let v = Int64(Int32(bitPattern: (z >> 1) ^ (0 &- (z & 1)))) * step
                    if checked && abs(v) > maxMagnitude { bad = true }
                    u[i] = Int32(truncatingIfNeeded: v)
                }
                switch bits {
                case 2: for i in 0..<count { put(i, UInt32((p[i >> 2] >> UInt8((i & 3) * 2)) & 3)) }
                case 4: for i in 0..<count { put(i, UInt32((p[i >> 1] >> UInt8((i & 1) * 4)) & 15)) }
                case 8: for i in 0..<count { put(i, UInt32(p[i])) }
                case 16: for i in 0..<count { put(i, UInt32(p[i]) | UInt32(p[count + i]) << 8) }
                default:
                    for i in 0..<count {
                        put(i, UInt32(p[i]) | UInt32(p[count + i]) << 8 | UInt32(p[2 * count + i]) << 16
                            | UInt32(p[3 * count + i]) << 24)
                    }
                }
            }
        }
        if bad { throw StoreError.corrupt(what: what, reason: "value outside the grid's range") }
        return units
    }

    static func le(_ v: UInt32) -> [UInt8] { withUnsafeBytes(of: v.littleEndian) { Array($0) } }
    static func le16(_ v: UInt16) -> [UInt8] { withUnsafeBytes(of: v.littleEndian) { Array($0) } }
}

/// Reads little-endian fields from a byte array; every read is bounds-checked (nil past the end).
struct ByteReader {
    let bytes: [UInt8]
    var position = 0

    mutating func bytes(_ n: Int) -> [UInt8]? {
        guard n >= 0, n <= bytes.count - position else { return nil }
        defer { position += n }
        return Array(bytes[position..<(position + n)])
    }

    mutating func u8() -> UInt8? { bytes(1)?[0] }
    mutating func u16() -> UInt16? { bytes(2).map { UInt16($0[0]) | UInt16($0[1]) << 8 } }
    mutating func u32() -> UInt32? {
        bytes(4).map { UInt32($0[0]) | UInt32($0[1]) << 8 | UInt32($0[2]) << 16 | UInt32($0[3]) << 24 }
    }
}
