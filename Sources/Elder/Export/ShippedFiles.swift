import Foundation

/// The files `elder export` writes beside the tensors, embedded in the binary from `Export/Shipped/`
/// (SwiftPM's embedInCode): the rule's specification and the reference loader.
enum ShippedFiles {
    /// `elder_route.py`, as committed.
    static var loader: [UInt8] { PackageResources.elder_route_py }

    /// README.md: a few lines about this export, then the specification as committed.
    static func readme(_ m: ExportManifest) -> String {
        var lines = [String(decoding: PackageResources.README_md, as: UTF8.self), "", "## This export", ""]
        lines.append("- commit `\(m.commit)`, state SHA-256 `\(m.stateHash)`")
        lines.append("- base model `\(m.model.fileName)` (SHA-256 `\(m.model.sha256)`), PEFT base `\(m.baseModel)`")
        lines.append("- method `\(m.editor.method.rawValue)`, \(m.edits.count) live edit\(m.edits.count == 1 ? "" : "s")")
        if let r = m.rule {
            lines.append("- rule: query `\(r.querySource)` after block \(r.queryBlock), `\(r.queryPooling)`, centred \(r.centred), "
                         + "whitening \(r.whitening.map { "γ \($0)" } ?? "off"); deferral `\(r.deferral)`"
                         + (r.margin.map { ", margin \($0), reference margin \(r.referenceMargin ?? 0), minimum \(r.minimumSimilarity ?? 0)" } ?? "")
                         + (r.exactMatchSimilarity.map { ", exact match \($0)" } ?? "")
                         + ", sibling margin \(r.siblingMargin); routing `\(r.routing)`, span `\(r.adapterSpan)`, "
                         + "stop after answer \(r.stopAfterAnswer); blocks \(r.layers), scaling \(r.scaling)")
        }
        lines.append("")
        return lines.joined(separator: "\n")
    }
}
