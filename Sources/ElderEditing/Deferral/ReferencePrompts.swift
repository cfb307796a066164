import Foundation

/// Prompts that belong to no edit: they fix the query centre and compete with edits in the similarity
/// deferral, so an input must be clearly nearer an edit than ordinary text to reach the adapter. They
/// span the templates people edit (people, places, organizations, products) and everyday text.
public enum ReferencePrompts {
    /// The hand-written prompts plus relation templates filled with well-known subjects.
    public static let `default`: [String] = handWritten + templated

    /// Relation-style templates (the shape most factual edits take), each filled with six subjects.
    static let templated: [String] = {
        let templates = [
            "The country of %@ is", "The native language of %@ is", "The religion of %@ is", "The language of %@ is",
            "The occupation of %@ is", "The place of birth of %@ is", "The capital of %@ is", "The continent of %@ is",
            "The official language of %@ is", "The genre of %@ is", "The instrument of %@ is", "The employer of %@ is",
            "The headquarters of %@ is in", "The original country of %@ is", "The team position of %@ is",
            "The eye color of %@ is", "The country of citizenship of %@ is", "The record label of %@ is",
            "The military rank of %@ was", "The voice type of %@ is", "%@ is located in", "%@ shares a border with",
            "%@ was born in", "The currency of %@ is",
        ]
        let subjects = [
            "Leonardo da Vinci", "the Eiffel Tower", "Nelson Mandela", "Volkswagen", "Mount Kilimanjaro", "Frida Kahlo",
            "the Nile", "Ludwig van Beethoven", "Sony", "Lake Baikal", "Mahatma Gandhi", "the Louvre", "Pelé",
            "Toyota", "Jane Austen", "the Amazon rainforest", "Wolfgang Amadeus Mozart", "Nokia", "Cleopatra",
            "the Great Barrier Reef", "Confucius", "Shakira", "Greenland", "Isaac Newton",
        ]
        var prompts: [String] = []
        for (i, template) in templates.enumerated() {
            for k in 0..<6 {
                let subject = subjects[(i * 5 + k * 7) % subjects.count]
                prompts.append(template.replacingOccurrences(of: "%@", with: subject))
            }
        }
        return prompts
    }()

    static let handWritten: [String] = [
        "The capital of Germany is", "The capital of Japan is", "The capital city of Canada is",
        "The official language of Brazil is", "The currency of Switzerland is", "The country of Mount Fuji is",
        "The continent of Kenya is", "The religion of Thailand's majority is", "The language of Homer was",
        "The country of citizenship of Albert Einstein is", "The native language of Pablo Picasso is",
        "The instrument of Jimi Hendrix is", "The genre of The Beatles is", "The occupation of Marie Curie was",
        "The headquarters of Microsoft is in", "The CEO of Apple is", "The founder of Amazon is",
        "The author of Hamlet is", "The director of Jaws is", "The composer of The Magic Flute is",
        "The team of Lionel Messi in 2010 was", "The position of a goalkeeper is", "The sport of Serena Williams is",
        "The eye color of a newborn is usually", "The color of the sky is", "The largest planet in the solar system is",
        "The chemical symbol of gold is", "The boiling point of water is", "The speed of light is about",
        "The tallest mountain on Earth is", "The longest river in Africa is", "The population of Tokyo is about",
        "The price of the basic plan is", "The warranty of the product lasts", "Our support team can be reached at",
        "The office opens at", "The return policy allows", "The main ingredient of guacamole is",
        "The recipe calls for", "My favorite book is", "Yesterday I went to", "The weather today is",
        "Once upon a time there was", "In 1969, the first person to walk on the Moon was",
        "The president of the United States in 1990 was", "The first emperor of Rome was",
        "Python is a programming language that", "To make a cup of tea, you", "The meeting has been moved to",
        "The answer to the question is", "The most spoken language in the world is",
        "The national animal of Scotland is", "The inventor of the telephone is", "The square root of 81 is",
        "The main character of the novel is", "The company was founded in", "The river that flows through Paris is",
        "The official residence of the British prime minister is", "The record label of Taylor Swift is",
        "The military rank of Napoleon was", "The noble title of the Duke of Wellington is",
        "The voice type of Luciano Pavarotti is", "The blood type of the universal donor is",
        "The ethnic group of the Maori is", "The basin country of the Danube is", "The academic degree of a physician is",
    ]
}
