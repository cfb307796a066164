import ElderRecords
/// Why an edit set could not be built as asked.
public struct EditSetBuildError: Error, Equatable, Sendable, CustomStringConvertible {
    public var description: String
}

/// Builds CounterFact-style counterfactual edits from qa_wikidata facts, deterministically by seed.
///
/// Each edit takes one fact whose relation has templates (`RelationCatalog`), one per subject, and
/// replaces its answer by another object of the same relation that is none of the subject's true
/// answers. Training paraphrases and held-out paraphrases come from the relation's two template groups.
/// Locality probes are other facts of the data set whose subject is not edited anywhere in the set
/// (the first of the same relation, the rest of any relation); their `expected` answer is left empty
/// for the benchmark to fill with the base model's own answer, and the data set's answer is kept.
/// The same facts, options and seed always give the same records (no hashing order is used).
public struct EditSetBuilder: Sendable {
    public struct Options: Sendable {
        public var count: Int
        public var seed: UInt64
        public var probesPerEdit: Int

        public init(count: Int, seed: UInt64, probesPerEdit: Int = 3) {
            self.count = count
            self.seed = seed
            self.probesPerEdit = probesPerEdit
        }
    }

    public let facts: [WikidataFact]

    /// Per relation: each distinct answer with its count, sorted by count (descending) then text.
    private let objectCounts: [String: [ObjectCount]]
    /// Every true answer (lowercased) of each subject and relation, across duplicate facts.
    private let trueAnswers: [SubjectRelation: Set<String>]

    public init(facts: [WikidataFact]) {
        self.facts = facts
        var counts: [String: [String: Int]] = [:]
        var truths: [SubjectRelation: Set<String>] = [:]
        for fact in facts {
            guard let subject = fact.subject, let relation = fact.relation else { continue }
            for answer in fact.answers { counts[relation, default: [:]][answer, default: 0] += 1 }
            truths[SubjectRelation(subject: subject, relation: relation), default: []]
                .formUnion(fact.answers.map { $0.lowercased() })
        }
        objectCounts = counts.mapValues { table in
            table.map { ObjectCount(object: $0.key, count: $0.value) }
                .sorted { $0.count != $1.count ? $0.count > $1.count : $0.object < $1.object }
        }
        trueAnswers = truths
    }

    /// Facts that can become edits: parsed, with answers, of a relation that has templates.
    public var editableFacts: [WikidataFact] {
        facts.filter { fact in
            guard fact.isParsed, !fact.answers.isEmpty, let relation = fact.relation else { return false }
            return RelationCatalog.templates(for: relation) != nil
        }
    }

    public func build(_ options: Options) throws(EditSetBuildError) -> [EditRecord] {
        guard options.count > 0 else { throw EditSetBuildError(description: "count must be at least 1") }
        var rng = SeededGenerator(seed: options.seed)
        var candidates = editableFacts
        rng.shuffle(&candidates)

        // One edit per subject: two edits on one subject would test each other's locality.
        var chosen: [WikidataFact] = []
        var editedSubjects: Set<String> = []
        for fact in candidates where chosen.count < options.count {
            guard let subject = fact.subject, !editedSubjects.contains(subject) else { continue }
            guard counterfactualPool(for: fact).isEmpty == false else { continue }
            editedSubjects.insert(subject)
            chosen.append(fact)
        }
        guard chosen.count == options.count else {
            throw EditSetBuildError(description: "asked for \(options.count) edits but the data set has only "
                                    + "\(chosen.count) editable subjects; ask for fewer")
        }

        let probeFacts = facts.filter { fact in
            guard fact.isParsed, let subject = fact.subject, !fact.answers.isEmpty else { return false }
            return !editedSubjects.contains(subject)
        }
        var probeFactsByRelation: [String: [WikidataFact]] = [:]
        for fact in probeFacts { probeFactsByRelation[fact.relation ?? "", default: []].append(fact) }

        var records: [EditRecord] = []
        for fact in chosen {
            let pool = counterfactualPool(for: fact)
            let newObject = pool[rng.below(pool.count)]
            records.append(edit(from: fact, newObject: newObject,
                                probes: probes(for: fact, count: options.probesPerEdit,
                                               sameRelation: probeFactsByRelation[fact.relation ?? ""] ?? [],
                                               any: probeFacts, rng: &rng)))
        }
        return records
    }

    /// `count` probes from facts whose subject is not in `excludingSubjects`, one per subject.
    public func localityProbes(count: Int, seed: UInt64, excludingSubjects: Set<String> = []) throws(EditSetBuildError) -> [Probe] {
        var rng = SeededGenerator(seed: seed)
        var candidates = facts.filter { fact in
            guard fact.isParsed, let subject = fact.subject, !fact.answers.isEmpty else { return false }
            return !excludingSubjects.contains(subject)
        }
        rng.shuffle(&candidates)
        var seen: Set<String> = []
        var probes: [Probe] = []
        for fact in candidates where probes.count < count {
            guard let subject = fact.subject, seen.insert(subject).inserted else { continue }
            probes.append(probe(from: fact))
        }
        guard probes.count == count else {
            throw EditSetBuildError(description: "asked for \(count) probes but only \(probes.count) facts qualify; ask for fewer")
        }
        return probes
    }

    /// Other objects of the fact's relation that are none of the subject's true answers, most frequent
    /// first. An object equal to a true answer without case, or a prefix of one or the reverse
    /// ("Christian" for "Christianity"), is not a counterfactual. Common objects (5+ facts, else 2+)
    /// are preferred when at least two remain, then any object seen twice, then any object: targets
    /// should be plausible answers of the relation, not one-off values.
    func counterfactualPool(for fact: WikidataFact) -> [String] {
        guard let relation = fact.relation, let subject = fact.subject else { return [] }
        let pools = objectCounts[relation] ?? []
        let truths = trueAnswers[SubjectRelation(subject: subject, relation: relation)] ?? []
        let allowed = pools.filter { candidate in
            let object = candidate.object.lowercased()
            return !truths.contains { $0.hasPrefix(object) || object.hasPrefix($0) }
        }
        for threshold in [5, 2] {
            let common = allowed.filter { $0.count >= threshold }
            if common.count >= 2 { return common.map(\.object) }
        }
        let repeated = allowed.filter { $0.count >= 2 }
        return (repeated.isEmpty ? allowed : repeated).map(\.object)
    }

    private struct SubjectRelation: Hashable, Sendable { var subject: String; var relation: String }
    private struct ObjectCount: Sendable { var object: String; var count: Int }

    private func probes(for fact: WikidataFact, count: Int, sameRelation: [WikidataFact], any: [WikidataFact],
                        rng: inout SeededGenerator) -> [Probe] {
        var picked: [Probe] = []
        var prompts: Set<String> = [fact.prompt]
        func take(from pool: [WikidataFact]) {
            // A few draws are enough: pools hold hundreds of facts and collisions are rare.
            for _ in 0..<8 where !pool.isEmpty {
                let candidate = pool[rng.below(pool.count)]
                if candidate.subject != fact.subject, prompts.insert(candidate.prompt).inserted {
                    picked.append(probe(from: candidate))
                    return
                }
            }
        }
        if count > 0 { take(from: sameRelation) }
        while picked.count < count {
            let before = picked.count
            take(from: any)
            if picked.count == before { break }
        }
        return picked
    }

    private func probe(from fact: WikidataFact) -> Probe {
        Probe(prompt: fact.prompt, expected: "", datasetAnswer: fact.answers.first.map(continuation))
    }

    private func edit(from fact: WikidataFact, newObject: String, probes: [Probe]) -> EditRecord {
        let subject = fact.subject ?? ""
        let relation = fact.relation ?? ""
        let templates = RelationCatalog.templates(for: relation)
        let training = (templates?.trainingPrompts(subject: subject) ?? []).filter { $0 != fact.prompt }
        let heldout = (templates?.heldoutPrompts(subject: subject) ?? []).filter { $0 != fact.prompt && !training.contains($0) }
        let old = fact.answers.first ?? ""
        return EditRecord(
            id: "wikidata-\(fact.index)", prompt: fact.prompt, target: continuation(newObject),
            paraphrases: training, heldout: heldout, probes: probes,
            message: "Counterfactual: \(fact.prompt) \(newObject) (was \(old))",
            subject: subject, relation: relation, trueTarget: continuation(old))
    }
}
