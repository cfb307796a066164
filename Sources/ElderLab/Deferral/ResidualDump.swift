import ElderEditing
import ElderModel
import ElderRecords
import Foundation

/// Method research: every prompt of an edit set (reference prompts, and per edit its prompt, training
/// paraphrases, held-out paraphrases and probes) with the residual stream after some blocks, per token,
/// as raw float32 files plus a JSON index, for offline analysis of deferral queries.
public enum ResidualDump {
    /// Every prompt the dumps cover, labelled with its kind and edit (-1 reference, -2 - g calibration group g).
    static func items(_ records: [EditRecord]) -> [(kind: String, edit: Int, text: String)] {
        var items: [(kind: String, edit: Int, text: String)] = ReferencePrompts.default.map { ("reference", -1, $0) }
        for (g, group) in CalibrationPrompts.groups.enumerated() { items += group.map { ("calibration", -2 - g, $0) } }
        for (i, r) in records.enumerated() {
            items.append(("prompt", i, r.prompt))
            items += r.paraphrases.map { ("paraphrase", i, $0) }
            items += r.heldout.map { ("heldout", i, $0) }
            items += r.probes.map { ("probe", i, $0.prompt) }
        }
        return items
    }

    /// The deferral query of every prompt (`query`: the editor's `normalizedQuery`, as its memory compares
    /// them): one row of `queries.f32` per item of `index.json`.
    public static func writeQueries(records: [EditRecord], folder: String, query: (String) -> [Float]) throws {
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        var data = Data()
        var index: [[String: Any]] = []
        var width = 0
        for (n, item) in items(records).enumerated() {
            let q = query(item.text)
            width = q.count
            data.append(q.withUnsafeBufferPointer { Data(buffer: $0) })
            index.append(["kind": item.kind, "edit": item.edit, "text": item.text])
            if n % 1000 == 0 { FileHandle.standardError.write("queries \(n)\n".data(using: .utf8)!) }
        }
        try data.write(to: URL(fileURLWithPath: "\(folder)/queries.f32"))
        let json = try JSONSerialization.data(withJSONObject: ["dimension": width, "items": index])
        try json.write(to: URL(fileURLWithPath: "\(folder)/index.json"))
    }

    public static func write(loaded: LoadedModel, records: [EditRecord], layers: [Int], folder: String) throws {
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let items = items(records)
        let top = (layers.max() ?? 0) + 1
        var handles: [Int: FileHandle] = [:]
        for l in layers {
            let path = "\(folder)/residual-\(l).f32"
            FileManager.default.createFile(atPath: path, contents: nil)
            handles[l] = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
        }
        var index: [[String: Any]] = []
        var offset = 0
        for (n, item) in items.enumerated() {
            let ids = loaded.tokenizer.encode(item.text)
            let trace = loaded.model.trace(ids, layers: top)
            for l in layers {
                let data = trace.residuals[l]!.scalars.withUnsafeBufferPointer { Data(buffer: $0) }
                handles[l]!.write(data)
            }
            index.append(["kind": item.kind, "edit": item.edit, "text": item.text, "tokens": ids, "offset": offset])
            offset += ids.count
            if n % 500 == 0 { FileHandle.standardError.write("dumped \(n)/\(items.count)\n".data(using: .utf8)!) }
        }
        for h in handles.values { try h.close() }
        let json = try JSONSerialization.data(withJSONObject: ["dimension": loaded.configuration.hiddenSize, "layers": layers,
                                                               "rows": offset, "items": index])
        try json.write(to: URL(fileURLWithPath: "\(folder)/index.json"))
    }
}
