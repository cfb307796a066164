/// A failure printed as one line ("Error: ...") with exit code 1, without the usage text.
public struct CommandFailure: Error, CustomStringConvertible {
    public var description: String

    public init(description: String) { self.description = description }
}
