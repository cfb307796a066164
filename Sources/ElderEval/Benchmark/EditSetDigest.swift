import ElderEditing
import ElderRecords
import ElderStable

extension EditRecord {
    /// A fingerprint of an ordered list of edits: FNV-1a (64 bits) over their JSON Lines text, as hex.
    /// Two runs whose fingerprints differ did not apply the same edits in the same order.
    public static func digest(_ records: [EditRecord]) -> String {
        "fnv1a64:" + hex16(stableHash(records.map(\.jsonLine).joined(separator: "\n")))
    }
}
