/// Which rows of an edit's batch each training step takes when the rewordings are taken in turn
/// (`rewordings-per-step`): the given wordings, the next `perStep` rewordings and the replayed rows; and how
/// many converged steps in a row early stopping waits for, so that every rewording has converged in its turn.
/// Rows are laid out as the editor builds the batch: given wordings, then rewordings, then replayed rows.
struct RewordingTurns: Equatable {
    let given: Int
    let rewordings: Int
    let replayed: Int
    /// Rewordings per step, at most `rewordings`.
    let perStep: Int

    /// `perStep` nil (or at least `rewordings`): every step takes every row.
    init(given: Int, rewordings: Int, replayed: Int, perStep: Int?) {
        (self.given, self.rewordings, self.replayed) = (given, rewordings, replayed)
        self.perStep = min(perStep ?? rewordings, rewordings)
    }

    var inTurn: Bool { perStep < rewordings }

    /// The row indices step `step` trains, ascending.
    func rows(atStep step: Int) -> [Int] {
        let all = given + rewordings + replayed
        guard inTurn else { return Array(0..<all) }
        let turn = (0..<perStep).map { given + (step * perStep + $0) % rewordings }.sorted()
        return Array(0..<given) + turn + Array((given + rewordings)..<all)
    }

    /// Converged steps in a row after which every rewording has converged in its latest turn.
    var convergedStepsToStop: Int { inTurn ? (rewordings + perStep - 1) / perStep : 1 }
}
