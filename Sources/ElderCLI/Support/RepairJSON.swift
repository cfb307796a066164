import Elder
import ElderCommandLine

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

/// The human lines after a verified commit (revert, merge, cherry-pick): how many live edits hold and which
/// do not, then the repair commit, or `hint` (how to retrain them) when edits dropped and none ran.
func verificationLines(_ verified: some LiveEditsVerified, repair: RepairReport?, hint: String, console: Console) -> [String] {
    let live = verified.liveEdits, dropped = verified.dropped
    var lines = ["  live edits holding: \(live.count - dropped.count)/\(live.count)"
        + (dropped.isEmpty ? "" : " — " + console.red("not holding: " + dropped.joined(separator: ", ")))]
    if let repair {
        lines.append("  repair \(repair.commit.map { console.yellow($0.short) } ?? "(nothing to commit)"): retrained "
                     + "\(repair.repairedEdits.joined(separator: ", ")); now \(repair.holdingAfter)/\(repair.after.count) hold")
    } else if !dropped.isEmpty {
        lines.append("  " + console.dim(hint))
    }
    return lines
}
