/// A small least-recently-used cache of rebuilt states, keyed by commit id (or any content id).
/// Entries are exact grid states, so a hit is as good as a rebuild. Capacity 0 keeps nothing.
struct RebuildCache {
    private var entries: [ObjectID: (state: GridState, tick: UInt64)] = [:]
    private var tick: UInt64 = 0
    let capacity: Int

    init(capacity: Int) { self.capacity = max(capacity, 0) }

    mutating func get(_ id: ObjectID) -> GridState? {
        guard let entry = entries[id] else { return nil }
        tick += 1
        entries[id] = (entry.state, tick)
        return entry.state
    }

    mutating func put(_ id: ObjectID, _ state: GridState) {
        guard capacity > 0 else { return }
        tick += 1
        entries[id] = (state, tick)
        while entries.count > capacity, let oldest = entries.min(by: { $0.value.tick < $1.value.tick })?.key {
            entries[oldest] = nil
        }
    }

    mutating func removeAll() { entries = [:] }
    var count: Int { entries.count }
}
