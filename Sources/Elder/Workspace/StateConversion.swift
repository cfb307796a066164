import ElderEditing
import ElderStore
import ElderTensor

/// Between the editor's `AdapterState` and the store's `StoredState`: tensors named `router.*` go in the
/// store's router group, every other tensor in the adapter group. Values are copied unchanged.
enum StateConversion {
    static let routerPrefix = "router."

    static func stored(_ adapter: AdapterState, only names: [String]? = nil) -> StoredState {
        var out = StoredState()
        for name in names ?? adapter.names {
            guard let t = adapter[name] else { continue }
            let stored = StoredTensor(shape: t.shape, values: t.scalars)
            if name.hasPrefix(routerPrefix) { out.routers[name] = stored } else { out.tensors[name] = stored }
        }
        return out
    }

    static func adapter(_ state: StoredState) -> AdapterState {
        var out = AdapterState()
        for (name, t) in state.tensors.merging(state.routers, uniquingKeysWith: { a, _ in a }) {
            out[name] = Tensor(shape: t.shape, scalars: t.values)
        }
        return out
    }

    /// `base` with the tensors of `changes` replacing its own.
    static func applying(_ changes: StoredState, to base: AdapterState) -> AdapterState {
        var out = base
        for (name, t) in changes.tensors.merging(changes.routers, uniquingKeysWith: { a, _ in a }) {
            out[name] = Tensor(shape: t.shape, scalars: t.values)
        }
        return out
    }
}
