import Elder

/// A repair commit as `merge --json` and `revert --json` print it: which edits were retrained and how many
/// live edits held before and after.
struct RepairJSON: Encodable {
    var commit: String?
    var repaired: [String]
    var holdingBefore: Int
    var holdingAfter: Int
    var liveEdits: Int
    var stillDropped: [String]

    init(_ r: RepairReport) {
        commit = r.commit?.hex
        repaired = r.repairedEdits
        holdingBefore = r.holdingBefore
        holdingAfter = r.holdingAfter
        liveEdits = r.after.count
        stillDropped = r.stillDropped
    }
}
