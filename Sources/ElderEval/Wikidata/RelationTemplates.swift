/// Paraphrase templates for one qa_wikidata relation, written by the project, in two disjoint groups.
///
/// `training` rephrasings are given to the editor with the edit; `heldout` ones are never trained on and
/// measure generalization. "{subject}" marks where the subject goes; the answer follows the template's
/// last word, as it follows the data set's own prompt.
public struct RelationTemplates: Equatable, Sendable {
    public static let placeholder = "{subject}"

    /// The relation as `WikidataRelationParser` names it ("country of citizenship of").
    public var relation: String
    public var training: [String]
    public var heldout: [String]

    public func trainingPrompts(subject: String) -> [String] { training.map { fill($0, subject) } }
    public func heldoutPrompts(subject: String) -> [String] { heldout.map { fill($0, subject) } }

    /// Puts the subject in; a subject that starts the sentence gets a capital ("burqa" -> "Burqa").
    private func fill(_ template: String, _ subject: String) -> String {
        var subject = subject
        if template.hasPrefix(RelationTemplates.placeholder), let first = subject.first, first.isLowercase {
            subject = first.uppercased() + subject.dropFirst()
        }
        return template.replacingOccurrences(of: RelationTemplates.placeholder, with: subject)
    }
}

/// The relations the edit-set builder uses: the 33 most frequent of qa_wikidata (each with 59+ facts
/// in the dev split, plus record labels), with 4 training and 3 held-out templates each.
public enum RelationCatalog {
    public static func templates(for relation: String) -> RelationTemplates? { byRelation[relation] }

    private static let byRelation: [String: RelationTemplates] =
        Dictionary(uniqueKeysWithValues: all.map { ($0.relation, $0) })

    private static func r(_ relation: String, _ training: [String], _ heldout: [String]) -> RelationTemplates {
        RelationTemplates(relation: relation,
                          training: training.map { $0.replacingOccurrences(of: "{s}", with: RelationTemplates.placeholder) },
                          heldout: heldout.map { $0.replacingOccurrences(of: "{s}", with: RelationTemplates.placeholder) })
    }

    public static let all: [RelationTemplates] = [
        r("country of citizenship of",
          ["{s} is a citizen of", "{s} holds citizenship of", "{s} has citizenship in", "The country whose citizenship {s} holds is"],
          ["{s} is a national of", "{s} carries a passport issued by", "The country {s} is a citizen of is"]),
        r("country of",
          ["{s} is in the country of", "{s} is located in the country of", "The country where {s} is found is", "{s} belongs to the country"],
          ["{s} can be found in the country of", "The nation in which {s} lies is", "{s} is situated in the country of"]),
        r("native language of",
          ["The mother tongue of {s} is", "{s}'s native language is", "The first language of {s} is", "{s} grew up speaking"],
          ["{s} natively speaks", "The language {s} learned as a child is", "The native tongue of {s} is"]),
        r("language of",
          ["{s} is in the language", "The original language of {s} is", "The language used in {s} is", "{s} was originally produced in"],
          ["{s} was created in the language", "The language in which {s} was made is", "The work {s} is written in"]),
        r("religion of",
          ["{s} follows the religion of", "{s} is an adherent of", "The faith of {s} is", "{s} practices"],
          ["The religious affiliation of {s} is", "{s} belongs to the faith of", "By religion, {s} follows"]),
        r("instrument of",
          ["{s} plays the", "The instrument played by {s} is the", "{s} is known for playing the", "The musical instrument of {s} is the"],
          ["{s} performs on the", "The instrument that {s} plays is the", "On stage, {s} plays the"]),
        r("official language of",
          ["The official language in {s} is", "{s} has the official language", "In {s}, the official language is", "The language that is official in {s} is"],
          ["{s}'s official language is", "The government of {s} uses the official language", "An official language of {s} is"]),
        r("sport played by",
          ["{s} plays", "{s} is a professional player of", "The sport of {s} is", "{s} is known for playing"],
          ["{s} competes in the sport of", "The sport that {s} plays is", "{s} made a career in"]),
        r("is located in",
          ["{s} is situated in", "{s} lies in", "{s} can be found in", "The location of {s} is"],
          ["{s} is part of", "{s} is a place in", "Where is {s}? It is in"]),
        r("language used in",
          ["The language spoken in {s} is", "In {s}, people use the language", "{s} uses the language", "The main language of {s} is"],
          ["People in {s} communicate in", "The language people use in {s} is", "In {s} the language used is"]),
        r("original country of",
          ["The country of origin of {s} is", "{s} originally comes from", "{s} originated in", "{s} was created in the country of"],
          ["{s} comes from the country of", "The country where {s} originated is", "{s} first appeared in"]),
        r("eye color of",
          ["The color of {s}'s eyes is", "{s} has eyes that are", "{s}'s eye color is", "The eyes of {s} are"],
          ["{s} has eyes of the color", "Looking into {s}'s eyes, you see they are", "The eye colour of {s} is"]),
        r("shares a border with",
          ["{s} borders", "{s} is adjacent to", "{s} has a border with", "A neighbour of {s} is"],
          ["{s} is bordered by", "{s} lies next to", "The border of {s} touches"]),
        r("capital of",
          ["The capital city of {s} is", "{s}'s capital is", "The seat of government of {s} is", "{s} has its capital in"],
          ["{s} is governed from", "The main city and capital of {s} is", "{s}'s capital city is"]),
        r("continent of",
          ["{s} is located on the continent of", "The continent where {s} lies is", "{s} is in", "{s} is part of the continent of"],
          ["{s} belongs to the continent of", "{s} can be found on the continent of", "The continent {s} is on is"]),
        r("genre of",
          ["The genre of the work of {s} is", "{s} is known for the genre", "{s} works in the genre of", "The main genre of {s} is"],
          ["{s} is associated with the genre", "{s} is famous for", "The style of {s} is"]),
        r("team position of",
          ["{s} plays the position of", "The position {s} plays is", "{s} played as a", "On the team, {s} is a"],
          ["{s}'s position on the team is", "{s} is best known as a", "The playing position of {s} is"]),
        r("is capital of",
          ["{s} is the capital city of", "{s} serves as the capital of", "{s} is the seat of government of", "The country whose capital is {s} is"],
          ["{s} became the capital of", "{s} is the main city and capital of", "{s} functions as the capital of"]),
        r("country for sport played by",
          ["{s} represents the country", "{s} competes for", "{s} plays for the national team of", "The country {s} represents in sport is"],
          ["{s} competed internationally for", "In international sport, {s} represents", "The national team of {s} is that of"]),
        r("languages spoken, written or signed by",
          ["{s} speaks", "The language spoken by {s} is", "{s} communicates in", "{s} writes in"],
          ["The language used by {s} is", "{s} can speak", "{s} is fluent in"]),
        r("color of the flag of",
          ["The flag of {s} is", "{s}'s flag has the color", "A color of the flag of {s} is", "The flag of {s} contains the color"],
          ["The national flag of {s} is colored", "The colour of {s}'s flag is", "The flag of {s} features"]),
        r("convicted of",
          ["{s} was convicted of", "{s} was found guilty of", "The crime {s} was convicted of is", "{s} was sentenced for"],
          ["A court convicted {s} of", "{s} was jailed for", "{s} was tried and convicted of"]),
        r("headquarters location of",
          ["The headquarters of {s} is in", "{s} is headquartered in", "{s} has its headquarters in", "The head office of {s} is located in"],
          ["{s} is based in", "The main office of {s} is in", "{s}'s headquarters are located in"]),
        r("material used in",
          ["{s} is made of", "{s} is built from", "The material of {s} is", "{s} was constructed using"],
          ["{s} is made out of", "The main material of {s} is", "{s} consists of"]),
        r("military rank of",
          ["{s} held the military rank of", "{s} served with the rank of", "The rank of {s} was", "{s} reached the military rank of"],
          ["{s}'s military rank is", "In the army, {s} was a", "{s} rose to the rank of"]),
        r("emergency phone number of",
          ["The emergency number in {s} is", "To call emergency services in {s}, dial", "{s}'s emergency telephone number is", "In {s}, the number for emergencies is"],
          ["In an emergency in {s}, call", "The phone number for emergencies in {s} is", "{s} uses the emergency number"]),
        r("noble title of",
          ["{s} held the noble title of", "{s} bore the title of", "The title of {s} was", "{s}'s noble title is"],
          ["{s} was given the title of", "{s} ruled with the title of", "The aristocratic title of {s} is"]),
        r("voice type of",
          ["{s} sings as a", "The singing voice of {s} is", "{s} has the voice type", "{s} is a singer with the voice of a"],
          ["{s}'s vocal range is", "{s} performs as a", "The vocal type of {s} is"]),
        r("residence of",
          ["{s} lives in", "{s} resides in", "The home of {s} is in", "{s} has a residence in"],
          ["{s} is a resident of", "The place where {s} lives is", "{s} made a home in"]),
        r("basic form of government of",
          ["The form of government of {s} is", "{s} is governed as a", "The political system of {s} is a", "{s} is a"],
          ["{s} has the government form of a", "The type of government in {s} is", "{s}'s system of government is a"]),
        r("blood type of",
          ["{s} has blood type", "The blood group of {s} is", "{s}'s blood type is", "{s} has the blood group"],
          ["The blood type of the person {s} is", "{s} belongs to blood group", "{s}'s blood group is"]),
        r("ethnic group of",
          ["{s} belongs to the ethnic group of", "{s} is ethnically one of the", "The ethnicity of {s} is", "{s} is a member of the ethnic group"],
          ["{s}'s ethnic background is", "By ethnicity, {s} is one of the", "The people {s} belongs to are the"]),
        r("record label of",
          ["{s} is signed to", "{s} records for the label", "The record company of {s} is", "{s}'s music is released by"],
          ["{s} has a record deal with", "{s}'s label is", "The label that releases {s}'s records is"]),
    ]
}
