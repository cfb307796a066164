import ElderTestSupport
import Foundation
import XCTest

/// A knowledge repo from a hostile colleague, forged with `git` plumbing on top of a real tiny-model history:
/// every command that reads a version exits 0 or with one line (never a crash: 0, 1 or 128), under a memory
/// ceiling measured from the kernel (peak RSS ≤ 200 MB with the tiny model), and `clone` / `pull` refuse it
/// moving no ref.
final class HostileRepoTests: XCTestCase {
    static let ceiling = 200 << 20

    /// One forgery: a name and what it does to a copy of the base repo.
    struct Case: Sendable {
        var name: String
        var forge: @Sendable (Forge) throws -> Void
    }

    static let cases: [Case] = [
        Case(name: "width-0 packs across 30 commits") { f in
            for i in 0..<30 {
                let head = try f.git(["rev-parse", "main"])
                let tree = try f.replace(in: head + "^{tree}", path: ["delta", "adapter.bin"],
                                         with: try f.blob(Forge.zeroPack("molora.9.\(i).A", values: 1 << 23)))
                try f.commit(tree: tree, parent: head, message: try f.elderMessage(parent: head))
            }
        },
        Case(name: "an oversized pack") { f in
            let head = try f.git(["rev-parse", "main"])
            let tree = try f.replace(in: head + "^{tree}", path: ["delta", "adapter.bin"], with: try f.blob(Forge.zeroPack("huge", values: 1 << 26)))
            try f.commit(tree: tree, parent: head, message: try f.elderMessage(parent: head))
        },
        Case(name: "a codebook whose width overflows") { f in
            try f.rewriteCodebook("memory.json") { bytes in
                var object = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any])
                object["width"] = 4_294_967_295
                object["backgroundCount"] = 4_611_686_018_427_387_904
                return Array(try JSONSerialization.data(withJSONObject: object))
            }
        },
        Case(name: "a NaN key") { f in
            try f.rewriteCodebook("vectors.bin") { bytes in
                var b = bytes
                b.replaceSubrange(12..<16, with: [0x00, 0x00, 0xc0, 0x7f])
                return b
            }
        },
        Case(name: "out-of-range allocation codes") { f in
            let name = try f.git(["ls-tree", "--name-only", "main:codebook"]).split(separator: "\n").first { $0.hasPrefix("edit-") }
            try f.rewriteCodebook(String(try XCTUnwrap(name))) { bytes in
                func u32(_ at: Int) -> Int { Int(bytes[at]) | Int(bytes[at + 1]) << 8 | Int(bytes[at + 2]) << 16 | Int(bytes[at + 3]) << 24 }
                let length = u32(16)
                var entry = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(bytes[20..<(20 + length)])) as? [String: Any])
                entry["allocation"] = ["experts": [[0, 900], [1, 2]]]
                entry["codes"] = [["bitCount": 1 << 40, "words": [1]]]
                let json = Array(try JSONSerialization.data(withJSONObject: entry, options: [.sortedKeys]))
                let n = UInt32(json.count)
                return Array(bytes[0..<16]) + [UInt8(n & 0xff), UInt8(n >> 8 & 0xff), UInt8(n >> 16 & 0xff), UInt8(n >> 24)] + json
                    + Array(bytes[(20 + length)...])
            }
        },
        Case(name: "absurd settings (experts 1e12, iterations 1e9)") { f in
            let head = try f.git(["rev-parse", "main"])
            let text = String(decoding: try f.bytes("main:elder.json"), as: UTF8.self)
            let forged = text.replacingOccurrences(of: #""experts" : [0-9]+"#, with: #""experts" : 1000000000000"#, options: .regularExpression)
                .replacingOccurrences(of: #""iterations" : [0-9]+"#, with: #""iterations" : 1000000000"#, options: .regularExpression)
            XCTAssertNotEqual(forged, text)
            let tree = try f.replace(in: try f.removing(["delta", "router"], from: head + "^{tree}"), path: ["elder.json"],
                                     with: try f.blob(Array(forged.utf8)))
            try f.commit(tree: tree, parent: head, message: try f.elderMessage(parent: head, sameState: true))
        },
        Case(name: "a non-Elder commit on top") { f in
            let head = try f.git(["rev-parse", "main"])
            try f.commit(tree: head + "^{tree}", parent: head, message: "a plain git commit\n")
        },
    ]

    func testEveryCommandRefusesForgedVersionsWithOneLineWithinTheCeiling() throws {
        let parent = TinyRepo.folder()
        let base = try TinyRepo.make()
        try TinyEdits.commit([(" The capital of Zorbia is", " Quell"), (" The river of Zorbia is", " Vell")], in: base)
        var report: [String] = []
        for (n, c) in Self.cases.enumerated() {
            let repo = parent + "/hostile-\(n)"
            XCTAssertEqual(try GitCLI.invoke(["clone", "--bare", "-q", "--no-local", base, repo], includingErrors: true).status, 0)
            _ = try GitCLI.run(["config", "elder.model", TinyRepo.modelPath], in: repo)
            // A clean clone made before the forgery: `pull` from the hostile repo must leave its refs alone.
            let downstream = parent + "/downstream-\(n)"
            XCTAssertSucceeded(try ElderProcess.run(["clone", base, downstream, "--model", TinyRepo.modelPath], in: parent))
            try c.forge(Forge(repo: repo))
            let refsBefore = try GitCLI.lines(["for-each-ref", "--format=%(refname) %(objectname)"], in: downstream)

            let commands: [(String, [String], String)] = [
                ("ask", ["ask", "The capital of Zorbia is", "--max-tokens", "4"], repo),
                ("eval", ["eval"], repo),
                ("export", ["export", "HEAD", "--out", parent + "/export-\(n)"], repo),
                ("log", ["log"], repo),
                ("diff", ["diff", "HEAD~1", "HEAD"], repo),
                ("checkout", ["checkout", "main"], repo),
                ("clone", ["clone", repo, parent + "/clone-\(n)", "--model", TinyRepo.modelPath], parent),
                ("pull", ["pull", repo, "main"], downstream),
            ]
            for (name, arguments, folder) in commands {
                let measured = try MeasuredRun.run(arguments, in: folder)
                let run = measured.run
                let what = "\(c.name): elder \(name)"
                XCTAssertTrue([0, 1, 128].contains(run.status), "\(what) exited \(run.status): \(run.stderr.suffix(500))")
                XCTAssertLessThanOrEqual(run.stderr.split(whereSeparator: \.isNewline).count, 1, "\(what): \(run.stderr.prefix(2000))")
                XCTAssertLessThanOrEqual(measured.peakRSS, Self.ceiling, "\(what) peaked at \(measured.peakRSS >> 20) MB")
                report.append("\(c.name) | \(name) | \(run.status) | \(measured.peakRSS >> 20) MB | \(run.stderr.prefix(160))")
                if ["ask", "eval", "clone", "pull"].contains(name) {
                    XCTAssertNotEqual(run.status, 0, "\(what) accepted the forged version: \(run.stdout.prefix(300))")
                }
            }
            XCTAssertFalse(FileManager.default.fileExists(atPath: parent + "/clone-\(n)"), "\(c.name): clone left a folder")
            XCTAssertEqual(try GitCLI.lines(["for-each-ref", "--format=%(refname) %(objectname)"], in: downstream), refsBefore,
                           "\(c.name): pull moved a ref")
        }
        // The table of what each command said, for the log (and docs/TRUST.md).
        print(report.joined(separator: "\n"))
    }
}

extension Forge {
    /// A commit on `main` whose codebook file `name` is `change(old bytes)`.
    func rewriteCodebook(_ name: String, _ change: ([UInt8]) throws -> [UInt8]) throws {
        let head = try git(["rev-parse", "main"])
        let tree = try replace(in: try removing(["delta", "router"], from: head + "^{tree}"), path: ["codebook", name],
                               with: try blob(try change(try bytes("main:codebook/" + name))))
        try commit(tree: tree, parent: head, message: try elderMessage(parent: head, sameState: true))
    }
}
