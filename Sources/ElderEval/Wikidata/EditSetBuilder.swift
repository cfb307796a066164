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
        /// Training paraphrases per edit, taken in order from the relation's training templates; nil: all of
        /// them, 0: none (an edit as a person types it: prompt and target only).
        public var trainingParaphrases: Int?
        /// Facts per subject: 1...1 gives one edit per subject; 2...5 gives subject groups of two to five
        /// facts (distinct relations) about one entity, their size drawn by the seed.
        public var factsPerSubject: ClosedRange<Int>
        /// Least distance in the stream between two edits of one subject (nil: `defaultSiblingGap`).
        public var minimumSiblingGap: Int?
        /// Only facts of these relations become edits (nil: every relation of the catalog).
        public var relations: Set<String>?

        public init(count: Int, seed: UInt64, probesPerEdit: Int = 3, trainingParaphrases: Int? = nil,
                    factsPerSubject: ClosedRange<Int> = 1...1, minimumSiblingGap: Int? = nil, relations: Set<String>? = nil) {
            self.count = count
            self.seed = seed
            self.probesPerEdit = probesPerEdit
            self.trainingParaphrases = trainingParaphrases
            self.factsPerSubject = factsPerSubject
            self.minimumSiblingGap = minimumSiblingGap
            self.relations = relations
        }

        /// A subject's facts land at least this far apart: an eighth of the stream per largest group
        /// member, at least 1 (T = 300 with groups of up to 5: 7).
        public var siblingGap: Int {
            minimumSiblingGap ?? max(1, count / (8 * max(1, factsPerSubject.upperBound)))
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
        guard options.factsPerSubject.lowerBound >= 1 else {
            throw EditSetBuildError(description: "facts per subject must be at least 1")
        }
        if let n = options.trainingParaphrases, n < 0 {
            throw EditSetBuildError(description: "training paraphrases cannot be negative")
        }
        var rng = SeededGenerator(seed: options.seed)
        var candidates = editableFacts.filter { fact in
            options.relations.map { $0.contains(fact.relation ?? "") } ?? true
        }
        rng.shuffle(&candidates)

        let chosen = options.factsPerSubject == 1...1
            ? try oneFactPerSubject(candidates, count: options.count)
            : try subjectGroups(candidates, options: options, rng: &rng)
        let editedSubjects = Set(chosen.compactMap(\.subject))

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
            records.append(edit(from: fact, newObject: newObject, trainingParaphrases: options.trainingParaphrases,
                                probes: probes(for: fact, count: options.probesPerEdit,
                                               sameRelation: probeFactsByRelation[fact.relation ?? ""] ?? [],
                                               any: probeFacts, rng: &rng)))
        }
        return records
    }

    /// One edit per subject: two edits on one subject would test each other's locality.
    private func oneFactPerSubject(_ candidates: [WikidataFact], count: Int) throws(EditSetBuildError) -> [WikidataFact] {
        var chosen: [WikidataFact] = []
        var editedSubjects: Set<String> = []
        for fact in candidates where chosen.count < count {
            guard let subject = fact.subject, !editedSubjects.contains(subject) else { continue }
            guard counterfactualPool(for: fact).isEmpty == false else { continue }
            editedSubjects.insert(subject)
            chosen.append(fact)
        }
        guard chosen.count == count else {
            throw EditSetBuildError(description: "asked for \(count) edits but the data set has only "
                                    + "\(chosen.count) editable subjects; ask for fewer")
        }
        return chosen
    }

    /// Groups of `factsPerSubject` facts (distinct relations) about one subject each, in a stream order
    /// where a subject's facts stand at least `siblingGap` apart (the CEO's fact at edit 10, the CFO's at
    /// edit 150), as facts about one entity arrive over the life of a knowledge repo.
    private func subjectGroups(_ candidates: [WikidataFact], options: Options,
                               rng: inout SeededGenerator) throws(EditSetBuildError) -> [WikidataFact] {
        // Per subject, one fact per relation, in the shuffled order of `candidates`.
        var bySubject: [String: [WikidataFact]] = [:]
        var subjects: [String] = []
        for fact in candidates {
            guard let subject = fact.subject, let relation = fact.relation else { continue }
            guard counterfactualPool(for: fact).isEmpty == false else { continue }
            if bySubject[subject] == nil { subjects.append(subject) }
            if bySubject[subject, default: []].contains(where: { $0.relation == relation }) { continue }
            bySubject[subject, default: []].append(fact)
        }
        let sizes = options.factsPerSubject
        var groups: [[WikidataFact]] = []
        var total = 0
        for subject in subjects where total < options.count {
            let facts = bySubject[subject] ?? []
            guard facts.count >= sizes.lowerBound else { continue }
            let remaining = options.count - total
            var size = min(facts.count, sizes.lowerBound + rng.below(sizes.count), remaining)
            // Never leave fewer facts to place than a group can hold: leave a whole smallest group, or take all.
            if remaining - size > 0 && remaining - size < sizes.lowerBound {
                size = remaining - sizes.lowerBound
                if size < sizes.lowerBound {
                    guard facts.count >= remaining, remaining <= sizes.upperBound else { continue }
                    size = remaining
                }
            }
            groups.append(Array(facts.prefix(size)))
            total += size
        }
        guard total == options.count else {
            throw EditSetBuildError(description: "asked for \(options.count) edits in groups of \(sizes.lowerBound)–"
                                    + "\(sizes.upperBound) facts per subject but the data set fills whole groups with only \(total); ask for fewer")
        }
        return spread(groups, gap: options.siblingGap, rng: &rng)
    }

    /// Orders the groups' facts into one stream where a group's facts stand at least `gap` apart. Position by
    /// position, a group is drawn among those whose last fact is far enough back, weighted by the facts it
    /// has left (so no group is left bunched at the end); when that draw gets stuck (a group has to come
    /// back too early), up to 16 draws are tried, then the same with the group that has the most facts left
    /// (ties drawn), which finds an order whenever one exists; the order with the widest smallest gap is kept.
    func spread(_ groups: [[WikidataFact]], gap: Int, rng: inout SeededGenerator) -> [WikidataFact] {
        let count = groups.reduce(0) { $0 + $1.count }
        func arrange(mostLeftFirst: Bool) -> (order: [WikidataFact], narrowest: Int) {
            var next = [Int](repeating: 0, count: groups.count)
            var last = [Int?](repeating: nil, count: groups.count)
            var order: [WikidataFact] = []
            var narrowest = Int.max
            for p in 0..<count {
                let waiting = groups.indices.filter { next[$0] < groups[$0].count }
                let ready = waiting.filter { last[$0].map { p - $0 >= gap } ?? true }
                let g: Int
                if ready.isEmpty {
                    g = waiting.min { last[$0]! < last[$1]! }!
                } else if mostLeftFirst {
                    let most = ready.map { groups[$0].count - next[$0] }.max()!
                    let tied = ready.filter { groups[$0].count - next[$0] == most }
                    g = tied[rng.below(tied.count)]
                } else {
                    var draw = rng.below(ready.reduce(0) { $0 + groups[$1].count - next[$1] })
                    g = ready.first { group in
                        let left = groups[group].count - next[group]
                        if draw < left { return true }
                        draw -= left
                        return false
                    }!
                }
                if let l = last[g] { narrowest = min(narrowest, p - l) }
                order.append(groups[g][next[g]])
                next[g] += 1
                last[g] = p
            }
            return (order, narrowest)
        }
        var best: (order: [WikidataFact], narrowest: Int)?
        for attempt in 0..<32 {
            let candidate = arrange(mostLeftFirst: attempt >= 16)
            if best == nil || candidate.narrowest > best!.narrowest { best = candidate }
            if candidate.narrowest >= gap { break }
        }
        return best?.order ?? []
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

    private func edit(from fact: WikidataFact, newObject: String, trainingParaphrases: Int?, probes: [Probe]) -> EditRecord {
        let subject = fact.subject ?? ""
        let relation = fact.relation ?? ""
        let templates = RelationCatalog.templates(for: relation)
        let allTraining = (templates?.trainingPrompts(subject: subject) ?? []).filter { $0 != fact.prompt }
        let training = Array(allTraining.prefix(trainingParaphrases ?? allTraining.count))
        // Held-out wordings never include a training template, used or not.
        let heldout = (templates?.heldoutPrompts(subject: subject) ?? []).filter { $0 != fact.prompt && !allTraining.contains($0) }
        let old = fact.answers.first ?? ""
        return EditRecord(
            id: "wikidata-\(fact.index)", prompt: fact.prompt, target: continuation(newObject),
            paraphrases: training, heldout: heldout, probes: probes,
            message: "Counterfactual: \(fact.prompt) \(newObject) (was \(old))",
            subject: subject, relation: relation, trueTarget: continuation(old))
    }
}
