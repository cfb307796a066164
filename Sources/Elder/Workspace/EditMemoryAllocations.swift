import ElderEditing

extension EditMemory {
    /// The (layer, LoRA) slots the allocations of the edits `ids` train.
    func slots(of ids: some Sequence<String>) -> Set<[Int]> {
        var out = Set<[Int]>()
        for id in ids {
            for (layer, experts) in (entry(id)?.allocation.experts ?? []).enumerated() { for j in experts { out.insert([layer, j]) } }
        }
        return out
    }

    /// Pairs [resident, incoming]: an edit of this memory not among `incoming` whose allocation is an
    /// incoming edit's very allocation (every LoRA shared), for each incoming edit in order.
    func allocationCollisions(of incoming: [String]) -> [[String]] {
        let incomingIDs = Set(incoming)
        return incoming.flatMap { id -> [[String]] in
            guard let allocation = entry(id)?.allocation else { return [] }
            return entries.filter { !incomingIDs.contains($0.id) && $0.allocation == allocation }.map { [$0.id, id] }
        }
    }
}
