import ElderEditing

extension EditMemory {
    /// `memory` with `entry` put back where it stood in `original` (before the first entry that came after
    /// it there), so a revert restores the memory's order as well as its entries.
    func restoring(_ entry: Entry, orderedAs original: EditMemory) -> EditMemory {
        var out = self
        out.entries.removeAll { $0.id == entry.id }
        let later = Set((original.entries.firstIndex { $0.id == entry.id }.map { original.entries[($0 + 1)...].map(\.id) }) ?? [])
        let at = out.entries.firstIndex { later.contains($0.id) } ?? out.entries.count
        out.entries.insert(entry, at: at)
        return out
    }
}
