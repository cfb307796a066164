import ElderRecords
import Foundation
import XCTest
@testable import ElderEval

/// The committed sample files parse, are written in the writer's canonical form, and are exactly what
/// `elder edit-set build` makes from the committed data set (Samples/data/qa_wikidata.dev.json).
final class SampleFileTests: XCTestCase {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()
    static let dataPath = root.appendingPathComponent("Samples/data/qa_wikidata.dev.json").path

    func path(_ relative: String) -> String { SampleFileTests.root.appendingPathComponent(relative).path }

    func text(_ relative: String) throws -> String { try String(contentsOfFile: path(relative), encoding: .utf8) }

    func testSampleEditFilesAreCanonicalAndComplete() throws {
        for (file, count) in [("Samples/edits/company-faq.jsonl", 20), ("Samples/edits/wikidata-50.jsonl", 50),
                              ("Samples/edits/wikidata-1000.jsonl", 1000)] {
            let records = try EditFileReader.readAll(path: path(file))
            XCTAssertEqual(records.count, count, file)
            XCTAssertEqual(EditFileWriter.text(records), try text(file), "\(file) is not in canonical form")
            XCTAssertEqual(Set(records.compactMap(\.id)).count, count, file)
            for record in records {
                XCTAssertFalse(record.paraphrases.isEmpty, record.prompt)
                XCTAssertFalse(record.heldout.isEmpty, record.prompt)
                XCTAssertFalse(record.probes.isEmpty, record.prompt)
                XCTAssertTrue(Set(record.heldout).isDisjoint(with: record.paraphrases + [record.prompt]), record.prompt)
            }
        }
    }

    func testLocalityProbeFileAvoidsEditedSubjects() throws {
        let probes = try ProbeFile.read(path: path("Samples/probes/locality.jsonl"))
        XCTAssertEqual(probes.count, 100)
        XCTAssertEqual(ProbeFile.text(probes), try text("Samples/probes/locality.jsonl"))
        let edited = Set(try EditFileReader.readAll(path: path("Samples/edits/wikidata-1000.jsonl")).compactMap(\.subject))
        for probe in probes {
            let subject = try XCTUnwrap(WikidataRelationParser.parse(probe.prompt)?.subject, probe.prompt)
            XCTAssertFalse(edited.contains(subject), probe.prompt)
            XCTAssertEqual(probe.expected, "")
            XCTAssertNotNil(probe.datasetAnswer)
        }
    }

    func testWikidataSamplesAreWhatTheBuilderMakes() throws {
        let facts = try WikidataFacts.load(path: SampleFileTests.dataPath)
        XCTAssertEqual(facts.count, 12_000)
        let parsed = facts.filter(\.isParsed).count
        XCTAssertGreaterThan(parsed, 11_900, "almost every prompt parses into subject and relation")
        // The catalog covers the 25 most frequent relations of the data set.
        var counts: [String: Int] = [:]
        for fact in facts { if let relation = fact.relation { counts[relation, default: 0] += 1 } }
        let top25 = counts.sorted { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }.prefix(25).map(\.key)
        for relation in top25 { XCTAssertNotNil(RelationCatalog.templates(for: relation), relation) }
        for entry in RelationCatalog.all { XCTAssertGreaterThan(counts[entry.relation] ?? 0, 0, entry.relation) }

        let builder = EditSetBuilder(facts: facts)
        for (file, count) in [("Samples/edits/wikidata-50.jsonl", 50), ("Samples/edits/wikidata-1000.jsonl", 1000)] {
            let built = EditFileWriter.text(try builder.build(.init(count: count, seed: 1)))
            XCTAssertEqual(Data(built.utf8), Data(try text(file).utf8), "\(file) differs from a fresh build with seed 1")
        }
        let edited = Set(try EditFileReader.readAll(path: path("Samples/edits/wikidata-1000.jsonl")).compactMap(\.subject))
        XCTAssertEqual(ProbeFile.text(try builder.localityProbes(count: 100, seed: 1, excludingSubjects: edited)),
                       try text("Samples/probes/locality.jsonl"))
    }
}
