import ElderModel

/// The checks every editor runs on a request, and the batch prompts it trains on.
func validatedBatch(_ request: EditRequest, tokenizer: any Tokenizer, paraphrases: Int,
                    contextLength: Int) throws -> (prompts: [[Int]], target: [Int]) {
    guard !request.prompt.isEmpty else { throw EditError.emptyPrompt }
    guard !request.target.isEmpty else { throw EditError.emptyTarget(prompt: request.prompt) }
    let target = tokenizer.encode(request.target)
    guard !target.isEmpty else { throw EditError.emptyTarget(prompt: request.prompt) }
    let prompts = ([request.prompt] + request.paraphrases.prefix(paraphrases)).map { tokenizer.encode($0) }
    for p in prompts where p.isEmpty || p.count + target.count > contextLength {
        if p.isEmpty { throw EditError.emptyPrompt }
        throw EditError.promptTooLong(tokens: p.count + target.count, limit: contextLength)
    }
    return (prompts, target)
}
