/// The routing of an editor that always acts, on every layer it adapts.
func alwaysFired(layers: [Int]) -> RoutingExplanation {
    RoutingExplanation(fired: true, layers: layers.map { .init(layer: $0, experts: [], weights: []) })
}

/// Editors whose memory holds only the training rows: no allocation, no deferral key or code.
func plainEntry(id: String, prompts: [[Int]], target: [Int], keys: [[Float]] = []) -> EditMemory.Entry {
    EditMemory.Entry(id: id, allocation: Allocation(experts: []), keys: keys, codes: [],
                     rows: prompts.map { $0 + target }, promptLengths: prompts.map(\.count))
}
