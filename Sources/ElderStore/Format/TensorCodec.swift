/// The binary form of one grid tensor (a delta, a keyframe or a root state) in a blob.
///
/// Values are integers (grid units). The encoder divides them by their greatest common divisor
/// (`step`, so a delta quantized to k units costs no bits for k), zigzag-maps them to unsigned
/// symbols, packs the symbols at the narrowest width of 2, 4, 8, 16 or 32 bits (widths of 8 bits and
/// more as byte planes: all low bytes first), and compresses the packed bytes with zstd. Layout in
/// FORMAT.md ("Tensor blobs"). Decoding bounds every size before allocating.
public enum TensorCodec {
    static let magic: [UInt8] = Array("ELDT".utf8)
    static let version: UInt8 = 1
    /// The most elements a tensor blob may declare (2^26, 256 MB of float32).
    public static let maxElements = 1 << 26
    static let maxRank = 4
    /// The largest magnitude a blob may hold: a difference of two in-range values (2 × (2^24 − 1)).
    static let maxMagnitude = 2 * Int64(Grid.maxUnits)

    // MARK: encode

    static func encode(_ tensor: GridTensor, level: Int32 = 3, zstd: ZstdContext) throws -> [UInt8] {
        guard tensor.shape.count <= maxRank, tensor.shape.allSatisfy({ $0 >= 1 && $0 <= Int(UInt32.max) }),
              tensor.shape.reduce(1, *) == tensor.units.count, tensor.units.count <= maxElements else {
            throw StoreError.invalidArgument("cannot encode a tensor of shape \(tensor.shape)")
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
        var out = magic
        out.append(version)
        out.append(UInt8(tensor.shape.count))
        out.append(bits)
        out.append(0)
        for d in tensor.shape { out += le(UInt32(d)) }
        out += le(UInt32(max(step, 1)))
        out += le(UInt32(packed.count))
        if bits > 0 { out += try zstd.compress(packed, level: level) }
        return out
    }

    static func gcd(_ values: [Int32]) -> Int32 {
        var g: Int64 = 0
        for v in values where v != 0 {
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

    /// Decodes a tensor blob, refusing any declared size above `maxElements`.
    static func decode(_ blob: [UInt8], what: String, maxElements: Int = TensorCodec.maxElements, zstd: ZstdContext) throws -> GridTensor {
        func fail(_ reason: String) -> StoreError { .corrupt(what: what, reason: reason) }
        guard blob.count >= 16, Array(blob[0..<4]) == magic else { throw fail("not an Elder tensor blob") }
        guard blob[4] == version else { throw fail("tensor blob version \(blob[4])") }
        let rank = Int(blob[5]), bits = blob[6]
        guard rank <= maxRank, [0, 2, 4, 8, 16, 32].contains(bits) else { throw fail("bad rank or width") }
        let headerLength = 8 + 4 * rank + 8
        guard blob.count >= headerLength else { throw fail("truncated header") }
        var shape: [Int] = []
        var count = 1
        for i in 0..<rank {
            let d = Int(readLE(blob, 8 + 4 * i))
            guard d >= 1, d <= maxElements else { throw fail("dimension \(d)") }
            count *= d
            guard count <= maxElements else { throw fail("more than \(maxElements) elements") }
            shape.append(d)
        }
        let step = Int64(readLE(blob, 8 + 4 * rank))
        let packedCount = Int(readLE(blob, 12 + 4 * rank))
        guard step >= 1, packedCount == packedLength(count: count, bits: bits) else { throw fail("bad step or length") }
        var units = [Int32](repeating: 0, count: count)
        if bits == 0 {
            guard blob.count == headerLength else { throw fail("trailing bytes") }
            return GridTensor(shape: shape, units: units)
        }
        let packed = try zstd.decompress(blob, from: headerLength, expected: packedCount, what: what)
        // The largest |q| a width can carry; when even that times `step` is in range, no per-value check is needed.
        let largest = bits >= 32 ? Int64(Int32.max) + 1 : Int64(1) << (Int64(bits) - 1)
        let checked = largest * step > maxMagnitude
        var bad = false
        packed.withUnsafeBufferPointer { p in
            units.withUnsafeMutableBufferPointer { u in
                if bits == 2 || bits == 4 {
                    // One table entry per byte: its 4 (or 2) values, already multiplied by `step`.
                    let perByte = 8 / Int(bits), mask = UInt8((1 << Int(bits)) - 1)
                    var table = [Int32](repeating: 0, count: 256 * perByte)
                    for byte in 0..<256 {
                        for k in 0..<perByte {
                            let z = UInt32((UInt8(byte) >> UInt8(k * Int(bits))) & mask)
                            table[byte * perByte + k] = Int32(Int64(Int32(bitPattern: (z >> 1) ^ (0 &- (z & 1)))) * step)
                        }
                    }
                    table.withUnsafeBufferPointer { t in
                        let whole = count / perByte
                        for j in 0..<whole {
                            let base = Int(p[j]) * perByte
                            for k in 0..<perByte { u[j * perByte + k] = t[base + k] }
                        }
                        for i in (whole * perByte)..<count {
                            u[i] = t[Int(p[i / perByte]) * perByte + i % perByte]
                        }
                    }
                    return
                }
                @inline(__always) func put(_ i: Int, _ z: UInt32) {
                    let q = Int64(Int32(bitPattern: (z >> 1) ^ (0 &- (z & 1))))
                    let v = q * step
                    if checked && abs(v) > maxMagnitude { bad = true }
                    u[i] = Int32(truncatingIfNeeded: v)
                }
                switch bits {
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
        if checked && (bits == 2 || bits == 4) {
            bad = units.contains { abs(Int64($0)) > maxMagnitude }
        }
        if bad { throw fail("value outside the grid's range") }
        return GridTensor(shape: shape, units: units)
    }

    static func le(_ v: UInt32) -> [UInt8] { withUnsafeBytes(of: v.littleEndian) { Array($0) } }

    static func readLE(_ b: [UInt8], _ at: Int) -> UInt32 {
        UInt32(b[at]) | UInt32(b[at + 1]) << 8 | UInt32(b[at + 2]) << 16 | UInt32(b[at + 3]) << 24
    }
}
