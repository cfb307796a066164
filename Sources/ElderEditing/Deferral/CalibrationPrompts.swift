/// Paraphrase groups that belong to no edit: each group states one fact about one subject in several
/// wordings. The within-group spread is how a query moves when only the wording changes, and the
/// deferral whitens it away (see `EditorConfiguration.Query.whitened`). Written for Elder; none of them
/// is a held-out template of the benchmark's edit sets.
public enum CalibrationPrompts {
    /// Wording families ("%@" = the subject) and the subjects each is filled with.
    static let families: [(wordings: [String], subjects: [String])] = [
        (["The birthplace of %@ is", "%@ was born in the town of", "%@ came into the world in", "The town where %@ was born is", "%@'s place of birth is"],
         ["Frida Kahlo", "Isaac Newton", "Jane Austen"]),
        (["The nationality of %@ is", "%@ is a citizen of the country", "%@ holds a passport from", "By nationality, %@ is from", "%@'s home country is"],
         ["Nelson Mandela", "Pelé", "Confucius"]),
        (["The profession of %@ is", "%@ works as a", "%@ earns a living as a", "By trade, %@ is a", "%@'s job is that of a"],
         ["Ludwig van Beethoven", "Marie Curie", "Leonardo da Vinci"]),
        (["The location of %@ is", "%@ stands in", "You will find %@ in", "%@ sits in the region of", "The place that holds %@ is"],
         ["the Eiffel Tower", "the Louvre", "Mount Kilimanjaro"]),
        (["The founder of %@ is", "%@ was founded by", "%@ was started by", "The person who set up %@ is", "%@ owes its creation to"],
         ["Volkswagen", "Sony", "Nokia"]),
        (["The language of %@ is", "%@ speaks mostly", "The tongue of %@ is", "%@ talks in", "People hear %@ speaking"],
         ["Cleopatra", "Shakira", "Mahatma Gandhi"]),
        (["The country of %@ is", "%@ lies within the borders of", "%@ is a part of the country", "The state that contains %@ is", "%@ is inside"],
         ["Lake Baikal", "the Great Barrier Reef", "Greenland"]),
        (["The instrument of %@ was the", "%@ was a player of the", "%@ made music on the", "The musical instrument %@ used was the", "%@ mastered the"],
         ["Wolfgang Amadeus Mozart", "Jimi Hendrix", "Yo-Yo Ma"]),
        (["The headquarters of %@ is in", "%@ runs its business from", "%@ keeps its main offices in", "The head office of %@ sits in", "%@ is run from the city of"],
         ["Toyota", "Siemens", "Samsung"]),
        (["The religion of %@ is", "%@ worships as a follower of", "%@ is a believer in", "The creed of %@ is", "%@ prays as an adherent of"],
         ["Akbar the Great", "Ashoka", "Saladin"]),
        (["The genre of %@ is", "%@ makes music in the style of", "The musical style of %@ is", "%@ is a band of the genre", "Critics file %@ under"],
         ["Nirvana", "ABBA", "Metallica"]),
        (["The capital of %@ is", "The capital city of %@ is", "%@ has its government in", "The chief city of %@ is", "The seat of power in %@ is"],
         ["Peru", "Kenya", "Norway"]),
    ]

    /// Every group: one subject, every wording of its family.
    public static let groups: [[String]] = families.flatMap { family in
        family.subjects.map { subject in family.wordings.map { $0.replacingOccurrences(of: "%@", with: subject) } }
    }
}
