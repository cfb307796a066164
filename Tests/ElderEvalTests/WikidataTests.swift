import ElderRecords
import Foundation
import XCTest
@testable import ElderEval

final class WikidataParserTests: XCTestCase {
    func testParsesBothPromptShapesAndCompoundRelations() {
        let cases: [(String, String, String)] = [
            ("The country of citizenship of Gustav Vigeland is", "Gustav Vigeland", "country of citizenship of"),
            ("The country of Bank of England is", "Bank of England", "country of"),
            ("The official language of Kingdom of Sardinia is", "Kingdom of Sardinia", "official language of"),
            ("The sport played by A. C. Green is", "A. C. Green", "sport played by"),
            ("The country for sport played by Alex Ferguson is", "Alex Ferguson", "country for sport played by"),
            ("The languages spoken, written or signed by Abdullah II of Jordan is", "Abdullah II of Jordan", "languages spoken, written or signed by"),
            ("The color of the flag of Albania is", "Albania", "color of the flag of"),
            ("The language used in People's Republic of China is", "People's Republic of China", "language used in"),
            ("Bavaria shares a border with", "Bavaria", "shares a border with"),
            ("Lake Constance is located in or next to body of water", "Lake Constance", "is located in or next to body of water"),
            ("Kyiv Oblast is located in", "Kyiv Oblast", "is located in"),
            ("Abuja is capital of", "Abuja", "is capital of"),
            ("John Gotti convicted of", "John Gotti", "convicted of"),
        ]
        for (prompt, subject, relation) in cases {
            let parsed = WikidataRelationParser.parse(prompt)
            XCTAssertEqual(parsed?.subject, subject, prompt)
            XCTAssertEqual(parsed?.relation, relation, prompt)
        }
        XCTAssertNil(WikidataRelationParser.parse("The country of citizenship of Rico Carty is [MASK]"))
        XCTAssertNil(WikidataRelationParser.parse("Something else entirely"))
    }

    func testCatalogHasDisjointTemplateGroupsForAtLeast25Relations() {
        XCTAssertGreaterThanOrEqual(RelationCatalog.all.count, 25)
        XCTAssertEqual(Set(RelationCatalog.all.map(\.relation)).count, RelationCatalog.all.count)
        for entry in RelationCatalog.all {
            XCTAssertGreaterThanOrEqual(entry.training.count, 3, entry.relation)
            XCTAssertGreaterThanOrEqual(entry.heldout.count, 2, entry.relation)
            XCTAssertTrue(Set(entry.training).isDisjoint(with: entry.heldout), entry.relation)
            XCTAssertEqual(Set(entry.training).count, entry.training.count, entry.relation)
            XCTAssertEqual(Set(entry.heldout).count, entry.heldout.count, entry.relation)
            for template in entry.training + entry.heldout {
                XCTAssertEqual(template.components(separatedBy: RelationTemplates.placeholder).count, 2, template)
                XCTAssertFalse(template.hasSuffix(" "), template)
            }
        }
    }

    func testSubjectThatStartsATemplateIsCapitalized() {
        let religion = RelationCatalog.templates(for: "religion of")
        XCTAssertEqual(religion?.trainingPrompts(subject: "burqa").first, "Burqa follows the religion of")
        XCTAssertEqual(religion?.trainingPrompts(subject: "burqa")[2], "The faith of burqa is")
    }
}

/// A small BIG-bench-shaped data set: three catalog relations, duplicates, list targets, one [MASK].
enum WikidataFixture {
    static var json: String {
        var examples: [String] = []
        let people = ["Ana", "Ben", "Cleo", "Dov", "Eli", "Fay", "Gus", "Hal", "Ida", "Jon", "Kim", "Lou"]
        let countries = ["France", "Japan", "Peru", "Chad"]
        for (i, person) in people.enumerated() {
            examples.append(#"{"input": "The country of citizenship of \#(person) is", "target": "\#(countries[i % 4])"}"#)
            examples.append(#"{"input": "The eye color of \#(person) is", "target": "\#(i % 2 == 0 ? "blue" : "brown")"}"#)
        }
        // Ana holds two citizenships: neither may become her counterfactual target.
        examples.append(#"{"input": "The country of citizenship of Ana is", "target": ["Japan", "Peru"]}"#)
        for (i, city) in ["Oslo", "Lima", "Nara", "Lyon", "Kobe", "Cusco"].enumerated() {
            examples.append(#"{"input": "\#(city) is located in", "target": "\#(["Norway", "Peru", "Japan", "France", "Japan", "Peru"][i])"}"#)
        }
        examples.append(#"{"input": "The family name of Rudolf Hess is [MASK]", "target": "Heß"}"#)
        examples.append(#"{"input": "The genre of Miles Davis is", "target": "jazz"}"#)
        for (person, religion) in [("Ana", "Christianity"), ("Ben", "Christian"), ("Cleo", "Islam"), ("Dov", "Islam")] {
            examples.append(#"{"input": "The religion of \#(person) is", "target": "\#(religion)"}"#)
        }
        return #"{"name": "qa_wikidata", "examples": [\#(examples.joined(separator: ",\n"))]}"#
    }

    static func facts() throws -> [WikidataFact] { try WikidataFacts.parse(data: Data(json.utf8)) }
}

final class EditSetBuilderTests: XCTestCase {
    func testFixtureParses() throws {
        let facts = try WikidataFixture.facts()
        XCTAssertEqual(facts.count, 37)
        XCTAssertEqual(facts[24].answers, ["Japan", "Peru"])
        XCTAssertFalse(facts[31].isParsed)
        XCTAssertEqual(EditSetBuilder(facts: facts).editableFacts.count, 36)
    }

    func testFactWithoutAnotherObjectOfItsRelationIsNeverEdited() throws {
        // "genre of" holds only "jazz": Miles Davis has no counterfactual, so 12 people + 6 cities remain.
        let edits = try EditSetBuilder(facts: WikidataFixture.facts()).build(.init(count: 18, seed: 5))
        XCTAssertFalse(edits.contains { $0.subject == "Miles Davis" })
    }

    func testEditsAreCounterfactualOnePerSubjectWithSameRelationObjects() throws {
        let facts = try WikidataFixture.facts()
        let builder = EditSetBuilder(facts: facts)
        let edits = try builder.build(.init(count: 15, seed: 7, probesPerEdit: 3))
        XCTAssertEqual(edits.count, 15)
        XCTAssertEqual(Set(edits.compactMap(\.subject)).count, 15, "one edit per subject")
        for edit in edits {
            let subject = try XCTUnwrap(edit.subject), relation = try XCTUnwrap(edit.relation)
            let truths = facts.filter { $0.subject == subject && $0.relation == relation }.flatMap(\.answers)
            let sameRelation = Set(facts.filter { $0.relation == relation }.flatMap(\.answers))
            let new = String(edit.target.dropFirst())
            XCTAssertTrue(edit.target.hasPrefix(" "))
            let lowerTruths = truths.map { $0.lowercased() }, lowerNew = new.lowercased()
            XCTAssertFalse(lowerTruths.contains { $0.hasPrefix(lowerNew) || lowerNew.hasPrefix($0) }, "\(edit.prompt) keeps a true answer")
            XCTAssertTrue(sameRelation.contains(new), "\(new) is not an object of \(relation)")
            XCTAssertEqual(edit.trueTarget, " " + (truths.first ?? ""))
            XCTAssertFalse(edit.paraphrases.contains(edit.prompt))
            XCTAssertEqual(edit.id, "wikidata-\(facts.firstIndex { $0.prompt == edit.prompt } ?? -1)")
        }
        let ana = edits.first { $0.subject == "Ana" && $0.relation == "country of citizenship of" }
        if let ana { XCTAssertFalse([" France", " Japan", " Peru"].contains(ana.target)) }
    }

    func testCounterfactualPoolExcludesTruthsAndTheirStems() throws {
        let facts = try WikidataFixture.facts()
        let builder = EditSetBuilder(facts: facts)
        let anaReligion = try XCTUnwrap(facts.first { $0.prompt == "The religion of Ana is" })
        XCTAssertEqual(builder.counterfactualPool(for: anaReligion), ["Islam"])   // not "Christian"
        // Ana's citizenship: France, Japan and Peru are all true (two facts); only Chad remains.
        let anaCountry = try XCTUnwrap(facts.first { $0.prompt == "The country of citizenship of Ana is" })
        XCTAssertEqual(builder.counterfactualPool(for: anaCountry), ["Chad"])
        // Common objects are preferred: Japan and Peru (2 facts each) over Norway and France (1).
        let oslo = try XCTUnwrap(facts.first { $0.prompt == "Oslo is located in" })
        XCTAssertEqual(builder.counterfactualPool(for: oslo), ["Japan", "Peru"])
        // Nara: Japan is true; Peru (2 facts) is the only repeated object left, so France and Norway (1) are not used.
        let nara = try XCTUnwrap(facts.first { $0.prompt == "Nara is located in" })
        XCTAssertEqual(builder.counterfactualPool(for: nara), ["Peru"])
        // Lima: Peru is true; Japan is the only repeated object left.
        let lima = try XCTUnwrap(facts.first { $0.prompt == "Lima is located in" })
        XCTAssertEqual(builder.counterfactualPool(for: lima), ["Japan"])
    }

    func testHeldoutTemplatesAreNeverUsedForTraining() throws {
        let edits = try EditSetBuilder(facts: WikidataFixture.facts()).build(.init(count: 18, seed: 3))
        for edit in edits {
            let templates = try XCTUnwrap(RelationCatalog.templates(for: edit.relation ?? ""))
            let subject = try XCTUnwrap(edit.subject)
            XCTAssertEqual(edit.paraphrases, templates.trainingPrompts(subject: subject))
            XCTAssertEqual(edit.heldout, templates.heldoutPrompts(subject: subject))
            XCTAssertTrue(Set(edit.heldout).isDisjoint(with: edit.paraphrases + [edit.prompt]))
        }
        // No held-out text of any edit appears in the training text of any edit of the set.
        let training = Set(edits.flatMap { $0.paraphrases + [$0.prompt] })
        XCTAssertTrue(Set(edits.flatMap(\.heldout)).isDisjoint(with: training))
    }

    func testProbesAreOtherSubjectsNeverEditedWithEmptyExpectedAnswer() throws {
        let facts = try WikidataFixture.facts()
        let edits = try EditSetBuilder(facts: facts).build(.init(count: 10, seed: 11, probesPerEdit: 2))
        let edited = Set(edits.compactMap(\.subject))
        for edit in edits {
            XCTAssertEqual(edit.probes.count, 2)
            XCTAssertEqual(Set(edit.probes.map(\.prompt)).count, 2)
            for probe in edit.probes {
                let sources = facts.filter { $0.prompt == probe.prompt }
                XCTAssertFalse(sources.isEmpty)
                XCTAssertFalse(sources.contains { edited.contains($0.subject ?? "") }, "probe \(probe.prompt) is about an edited subject")
                XCTAssertEqual(probe.expected, "")
                XCTAssertTrue(sources.map { " " + $0.answers[0] }.contains(probe.datasetAnswer ?? ""))
            }
        }
    }

    func testSameSeedGivesByteIdenticalFileAndOtherSeedDiffers() throws {
        let facts = try WikidataFixture.facts()
        let a = EditFileWriter.text(try EditSetBuilder(facts: facts).build(.init(count: 12, seed: 42)))
        let b = EditFileWriter.text(try EditSetBuilder(facts: WikidataFixture.facts()).build(.init(count: 12, seed: 42)))
        let c = EditFileWriter.text(try EditSetBuilder(facts: facts).build(.init(count: 12, seed: 43)))
        XCTAssertEqual(Data(a.utf8), Data(b.utf8))
        XCTAssertNotEqual(a, c)
    }

    func testAskingForTooManyEditsSaysHowManyExist() throws {
        XCTAssertThrowsError(try EditSetBuilder(facts: WikidataFixture.facts()).build(.init(count: 100, seed: 1))) { error in
            XCTAssertTrue(String(describing: error).contains("only"), String(describing: error))
        }
    }

    func testLocalityProbeSetAvoidsExcludedSubjects() throws {
        let builder = EditSetBuilder(facts: try WikidataFixture.facts())
        let probes = try builder.localityProbes(count: 5, seed: 1, excludingSubjects: ["Ana", "Ben", "Oslo"])
        XCTAssertEqual(probes.count, 5)
        XCTAssertFalse(probes.contains { $0.prompt.contains("Ana ") || $0.prompt.contains("Ben ") || $0.prompt.hasPrefix("Oslo") })
        XCTAssertEqual(try builder.localityProbes(count: 5, seed: 1, excludingSubjects: ["Ana", "Ben", "Oslo"]), probes)
    }

    func testSeededGeneratorIsStable() {
        var rng = SeededGenerator(seed: 1)
        // SplitMix64 reference values for seed 1 (from the published algorithm).
        XCTAssertEqual(rng.next(), 0x910A_2DEC_8902_5CC1)
        XCTAssertEqual(rng.next(), 0xBEEB_8DA1_658E_EC67)
        var a = SeededGenerator(seed: 9), b = SeededGenerator(seed: 9)
        var x = Array(0..<50), y = Array(0..<50)
        a.shuffle(&x); b.shuffle(&y)
        XCTAssertEqual(x, y)
        XCTAssertEqual(x.sorted(), Array(0..<50))
        XCTAssertNotEqual(x, Array(0..<50))
    }
}
