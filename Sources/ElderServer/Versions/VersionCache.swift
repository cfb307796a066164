import ElderStore

/// Rebuilt versions by commit id, least recently used out first, within a byte bound. A version alone
/// larger than the bound is not kept (the request that rebuilt it still uses it).
struct VersionCache {
    let limitBytes: Int
    private var entries: [ObjectID: (version: ServedVersion, lastUse: UInt64)] = [:]
    private var clock: UInt64 = 0
    private(set) var bytes = 0

    init(limitBytes: Int) { self.limitBytes = max(0, limitBytes) }

    var count: Int { entries.count }

    mutating func get(_ commit: ObjectID) -> ServedVersion? {
        guard let entry = entries[commit] else { return nil }
        clock += 1
        entries[commit] = (entry.version, clock)
        return entry.version
    }

    /// Keeps `version`; returns the versions dropped to stay within the bound (possibly `version` itself).
    mutating func insert(_ version: ServedVersion) -> [ServedVersion] {
        if let old = entries[version.commit] { bytes -= old.version.byteCount }
        clock += 1
        entries[version.commit] = (version, clock)
        bytes += version.byteCount
        var evicted: [ServedVersion] = []
        while bytes > limitBytes, let oldest = entries.min(by: { $0.value.lastUse < $1.value.lastUse }) {
            entries[oldest.key] = nil
            bytes -= oldest.value.version.byteCount
            evicted.append(oldest.value.version)
        }
        return evicted
    }

    /// The commits held, most recently used first.
    var commits: [ObjectID] { entries.sorted { $0.value.lastUse > $1.value.lastUse }.map(\.key) }
}
