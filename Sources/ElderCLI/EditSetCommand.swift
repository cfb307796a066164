import ArgumentParser
import ElderCommandLine
import ElderEval
import ElderRecords
import Foundation

extension ElderCommand {
    /// Edit files: build counterfactual edit sets and probe files from data, import public data sets,
    /// and check a file before `elder edit --file` uses it.
    struct EditSet: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "edit-set",
            abstract: "Build, import and check JSON Lines edit files (see Samples/edits/FORMAT.md).",
            subcommands: [Build.self, Probes.self, Import.self, Check.self])
    }
}

/// Turns a typed error of ElderEval into a one-line message and exit code 1.
private func failing<T>(_ body: () throws -> T) throws -> T {
    do { return try body() } catch let error as EditFileError {
        throw CommandFailure(description: error.description)
    } catch let error as EditSetBuildError {
        throw CommandFailure(description: error.description)
    }
}

extension ElderCommand.EditSet {
    struct Build: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Make counterfactual edits from qa_wikidata facts, deterministically by seed.",
            discussion: "Example: elder edit-set build --data Samples/data/qa_wikidata.dev.json --count 50 --seed 1 --out Samples/edits/wikidata-50.jsonl")

        @Option(help: "The qa_wikidata JSON file (BIG-bench format).") var data: String
        @Option(help: "How many edits (one per subject).") var count: Int
        @Option(help: "Seed: the same seed gives the same file, byte for byte.") var seed: UInt64 = 1
        @Option(help: "Locality probes per edit.") var probesPerEdit: Int = 3
        @Option(help: "Training paraphrases per edit (default: all of the relation's training templates; 0: prompt and target only, as a person types an edit).")
        var paraphrases: Int?
        @Option(help: "Facts per subject, N or MIN-MAX (e.g. 2-5: subject groups of two to five facts about one entity, spread through the stream).")
        var factsPerSubject: String = "1"
        @Option(help: "Least distance in the stream between two facts of one subject (default: count / (8 × the largest group)).")
        var siblingGap: Int?
        @Option(help: "Only facts of this relation (repeat the option for several; default: every relation with templates).")
        var relation: [String] = []
        @Option(help: "Output JSON Lines file.") var out: String

        func validate() throws {
            guard count > 0 else { throw ValidationError("--count must be at least 1") }
            guard probesPerEdit >= 0 else { throw ValidationError("--probes-per-edit must be 0 or more") }
            if let paraphrases, paraphrases < 0 { throw ValidationError("--paraphrases must be 0 or more") }
            if let siblingGap, siblingGap < 1 { throw ValidationError("--sibling-gap must be at least 1") }
            _ = try factsRange()
            for name in relation where RelationCatalog.templates(for: name) == nil {
                throw ValidationError("no templates for relation \"\(name)\"; use one of: "
                                      + RelationCatalog.all.map(\.relation).joined(separator: ", "))
            }
        }

        /// `--facts-per-subject` as a range: "2" or "2-5".
        func factsRange() throws -> ClosedRange<Int> {
            let parts = factsPerSubject.split(separator: "-", omittingEmptySubsequences: false).map { Int($0) }
            guard (1...2).contains(parts.count), let low = parts.first ?? nil, let high = parts.last ?? nil, low >= 1, high >= low else {
                throw ValidationError("--facts-per-subject takes N or MIN-MAX with 1 ≤ MIN ≤ MAX (e.g. 2-5), got \(factsPerSubject)")
            }
            return low...high
        }

        func run() throws {
            try failing {
                let builder = EditSetBuilder(facts: try WikidataFacts.load(path: data))
                let records = try builder.build(.init(
                    count: count, seed: seed, probesPerEdit: probesPerEdit, trainingParaphrases: paraphrases,
                    factsPerSubject: try factsRange(), minimumSiblingGap: siblingGap,
                    relations: relation.isEmpty ? nil : Set(relation)))
                try EditFileWriter.write(records, to: out)
                print("wrote \(records.count) edits to \(out)")
            }
        }
    }

    struct Probes: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Make a locality probe file from qa_wikidata facts whose subjects no edit file touches.",
            discussion: "Example: elder edit-set probes --data qa_wikidata.dev.json --count 100 --exclude Samples/edits/wikidata-1000.jsonl --out Samples/probes/locality.jsonl")

        @Option(help: "The qa_wikidata JSON file.") var data: String
        @Option(help: "How many probes (one per subject).") var count: Int = 100
        @Option(help: "Seed.") var seed: UInt64 = 1
        @Option(help: "Edit files whose subjects the probes must avoid.") var exclude: [String] = []
        @Option(help: "Output JSON Lines file.") var out: String

        func run() throws {
            try failing {
                var subjects: Set<String> = []
                for path in exclude {
                    for record in try EditFileReader.readAll(path: path) {
                        if let subject = record.subject { subjects.insert(subject) }
                    }
                }
                let builder = EditSetBuilder(facts: try WikidataFacts.load(path: data))
                let probes = try builder.localityProbes(count: count, seed: seed, excludingSubjects: subjects)
                try ProbeFile.write(probes, to: out)
                print("wrote \(probes.count) probes to \(out)")
            }
        }
    }

    struct Import: ParsableCommand {
        enum Format: String, ExpressibleByArgument, CaseIterable { case zsre, counterfact }

        static let configuration = CommandConfiguration(
            abstract: "Convert EasyEdit/ROME ZsRE or CounterFact records (JSON array or JSON Lines) to an edit file.")

        @Option(help: "Source format: zsre or counterfact.") var format: Format
        @Option(name: .customLong("in"), help: "The data set file.") var input: String
        @Option(help: "Output JSON Lines file.") var out: String

        func run() throws {
            try failing {
                let result = format == .zsre ? try ZsREImporter.read(path: input) : try CounterFactImporter.read(path: input)
                try EditFileWriter.write(result.records, to: out)
                print("wrote \(result.records.count) edits to \(out)" + (result.skipped > 0 ? " (skipped \(result.skipped) records without an edit)" : ""))
            }
        }
    }

    struct Check: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Read an edit file and report its first problem with its line number.")

        @Argument(help: "The edit file to check.") var file: String

        func run() throws {
            try failing {
                let reader = try EditFileReader(path: file)
                var edits = 0, paraphrases = 0, heldout = 0, probes = 0
                while let record = try reader.nextRecord() {
                    edits += 1
                    paraphrases += record.paraphrases.count
                    heldout += record.heldout.count
                    probes += record.probes.count
                }
                print("\(file): \(edits) edits, \(paraphrases) training paraphrases, \(heldout) held-out, \(probes) probes: ok")
            }
        }
    }
}
