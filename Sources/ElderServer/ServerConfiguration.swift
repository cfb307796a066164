/// What `elder serve` serves and within which bounds. Every bound is here, with its default.
public struct ServerConfiguration: Sendable, Equatable {
    /// The address to listen on (loopback by default: the server has no authentication).
    public var host = "127.0.0.1"
    /// The port; 0 picks a free one (`ElderServer.onListening` reports it).
    public var port = 8080
    /// Bytes of rebuilt versions kept for later requests (least recently used first out). A version of
    /// SmolLM2 with Elder's default adapter is about 55 MB.
    public var cacheBytes = 256 << 20
    /// Sequences decoded together in one step (1: every sequence alone).
    public var batchSize = 16
    /// Sequences generating at once; more wait in the queue.
    public var maxActiveSequences = 16
    /// Sequences waiting beyond that; more are refused with 503.
    public var maxQueuedSequences = 256
    /// Positions (prompt + completion) reserved across the running sequences' KV caches: the bound on their
    /// memory (about 46 KB per position for SmolLM2). Raised to the model's context when below it.
    public var kvTokenBudget = 16_384
    /// The largest request body accepted (413 beyond).
    public var maxBodyBytes = 1 << 20
    /// The most bytes of text a prompt may have (a chat's messages together), checked before tokenizing:
    /// twice what SmolLM2's 8,192-token context holds in English text.
    public var maxPromptBytes = 64 << 10
    /// The most choices one request may ask for (`n`, or prompts in a list).
    public var maxChoices = 8
    /// `max_tokens` when a completion request gives none (OpenAI's default for completions).
    public var defaultCompletionTokens = 16
    /// `max_tokens` when a chat request gives none (the rest of the context, at most this).
    public var defaultChatTokens = 512
    /// The access token the review pages' write forms must carry (`elder serve --token-file`); nil: every
    /// write is refused (403) and the server is read-only.
    public var writeToken: String?

    public init() {}
}
