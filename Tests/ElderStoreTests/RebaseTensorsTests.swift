import ElderLab
import ElderTestSupport
import Foundation
import XCTest
@testable import ElderStore

/// `KnowledgeStore.rebasedTensors`: a change computed on one tip and moved onto a later tip (an edit that
/// lost the race to another writer) is the later tip plus the change's difference, exactly.
final class RebaseTensorsTests: XCTestCase {
    func testAChangeMovedOntoANewTipIsThatTipPlusItsDifference() throws {
        let dir = temporaryFolder("rebase-tensors")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var editor = SyntheticEditor(shape: smallShape, seed: 5)
        let (store, root) = try KnowledgeStore.create(at: dir, options: StoreOptions(), initial: editor.initialState())
        var carry = CompactionCarry()
        // Trains one edit on `tip`'s state: its changed tensors on the grid.
        func trained(on tip: ObjectID) throws -> StoredState {
            let held = try store.state(of: tip)
            let allocation = editor.allocation()
            return try store.compact(trained: editor.trainedEdit(from: held, allocation: allocation), parent: tip, carry: &carry)
        }
        func commit(_ change: StoredState, on tip: ObjectID, _ n: Int) throws -> CommitResult {
            try store.commit(CommitRequest(branch: "main", parents: [tip], tensors: change.tensors, routers: change.routers,
                                           message: "Edit \(n)"))
        }
        let a = try commit(try trained(on: root.id), on: root.id, 1).id
        // Edit 2 is trained on a; edit 3 lands first (also on a), so edit 2 must move onto b.
        let late = try trained(on: a)
        let b = try commit(try trained(on: a), on: a, 3).id
        XCTAssertThrowsError(try commit(late, on: a, 2)) { error in
            guard case StoreError.staleParent = error else { return XCTFail("\(error)") }
        }
        let rebased = try store.rebasedTensors(late, from: a, onto: b)
        XCTAssertEqual(Set(rebased.tensors.keys), Set(late.tensors.keys))
        XCTAssertEqual(Set(rebased.routers.keys), Set(late.routers.keys))
        // Independently, in Double: b + (late − a), value by value.
        let (atA, atB) = (try store.state(of: a), try store.state(of: b))
        for (name, t) in late.tensors.merging(late.routers, uniquingKeysWith: { x, _ in x }) {
            let expected = (0..<t.count).map { Float(Double(atB[name]!.values[$0]) + Double(t.values[$0]) - Double(atA[name]!.values[$0])) }
            XCTAssertEqual(rebased[name]?.values, expected, name)
        }
        // Landed on b, the commit's delta is exactly the change's difference from a.
        let landed = try commit(rebased, on: b, 2)
        var expectedState = try store.gridState(of: b)
        try expectedState.add(try late.units(on: store.grid).difference(from: try store.gridState(of: a).filtered(to: late)))
        XCTAssertEqual(try store.gridState(of: landed.id), expectedState)
    }
}

private extension GridState {
    /// The tensors of this state that `change` names.
    func filtered(to change: StoredState) -> GridState {
        GridState(tensors: tensors.filter { change.tensors[$0.key] != nil }, routers: routers.filter { change.routers[$0.key] != nil })
    }
}
