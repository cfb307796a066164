import ArgumentParser
import Elder
import ElderCommandLine
import ElderServer
import Foundation
import Logging

extension ElderCommand {
    /// `elder serve`: every version of the knowledge over an OpenAI-compatible HTTP API.
    struct Serve: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Serve the knowledge repo over an OpenAI-compatible HTTP API, with review pages for people.",
            discussion: """
                The model is loaded once; a request's "model" names the version that answers: a branch, a tag, \
                a commit or a revision such as main~3. A branch that moves (an edit in another process, a push) is \
                served at its new commit on the next request. GET /v1/models lists HEAD, the branches and the tags; \
                POST /v1/completions and /v1/chat/completions answer (stream: true for server-sent events); \
                /health and /metrics (Prometheus) are for operators. Logs are JSON lines on standard error. \
                The review pages (http://127.0.0.1:8080/history, /compare, /ask, /propose) show the history, an edit, \
                two versions side by side and answers with their reasons; proposing, approving and reverting from them \
                need --token-file (a file holding the access token people type into the forms); without it they are refused. \
                SIGTERM or Ctrl-C stops accepting, lets requests in flight finish, and exits.
                Examples:
                  elder serve
                  elder serve -C facts --port 8081 --cache-mb 512
                  elder serve -C facts --token-file ~/.config/elder/review-token
                  curl -s localhost:8080/v1/completions -d '{"model": "main", "prompt": "The capital of France is", "max_tokens": 8, "temperature": 0}'
                """)

        @Option(help: "The address to listen on.") var host = "127.0.0.1"
        @Option(help: "The port to listen on (0: any free port).") var port = 8080
        @Option(name: .customLong("cache-mb"), help: ArgumentHelp("Memory for rebuilt versions, least recently used out first.", valueName: "MB"))
        var cacheMB = ServerConfiguration().cacheBytes >> 20
        @Option(name: .customLong("batch-size"), help: "Sequences decoded together in one pass through the model (1: no batching).")
        var batchSize = ServerConfiguration().batchSize
        @Option(name: .customLong("max-sequences"), help: "Sequences generating at once (more wait in a queue).")
        var maxSequences = ServerConfiguration().maxActiveSequences
        @Option(name: .customLong("log-level"), help: "trace, debug, info, notice, warning, error or critical.")
        var logLevel = "info"

        @Option(name: .customLong("token-file"), help: ArgumentHelp("A file holding the access token that lets the review pages propose, approve and revert (at least 16 characters; without it they are refused).", valueName: "FILE"))
        var tokenFile: String?

        @OptionGroup var repo: RepoOptions

        func validate() throws {
            guard (0...65_535).contains(port) else { throw ValidationError("--port must be 0...65535") }
            guard cacheMB >= 0 else { throw ValidationError("--cache-mb must be 0 or more") }
            guard (1...256).contains(batchSize) else { throw ValidationError("--batch-size must be 1...256") }
            guard (1...1024).contains(maxSequences) else { throw ValidationError("--max-sequences must be 1...1024") }
            guard Logger.Level(rawValue: logLevel) != nil else { throw ValidationError("--log-level must be one of trace, debug, info, notice, warning, error, critical") }
        }

        func run() async throws {
            let level = Logger.Level(rawValue: logLevel) ?? .info
            LoggingSystem.bootstrap { label in
                var handler = JSONLogHandler(label: label)
                handler.logLevel = level
                return handler
            }
            let path = try repo.repoPath()
            let token = try tokenFile.map(Self.readToken)
            let workspace = try repo.openWorkspace()
            var configuration = ServerConfiguration()
            configuration.host = host
            configuration.port = port
            configuration.cacheBytes = cacheMB << 20
            configuration.batchSize = batchSize
            configuration.maxActiveSequences = maxSequences
            configuration.writeToken = token
            let server = try ElderServer(repoPath: path, model: workspace.model, configuration: configuration)
            do {
                try await server.run()
            } catch {
                throw CLIFailure.fatal("cannot serve on \(host):\(port): \(error)")
            }
        }

        /// The access token in `path`: its text without surrounding whitespace, one line, at least 16 characters.
        static func readToken(_ path: String) throws -> String {
            guard let data = FileManager.default.contents(atPath: path), data.count <= 4096,
                  let text = String(data: data, encoding: .utf8) else {
                throw CLIFailure.fatal("cannot read the token file \(path): give a readable file of at most 4 KB holding the access token")
            }
            let token = text.trimmingCharacters(in: .whitespacesAndNewlines)
            guard token.count >= 16, !token.contains(where: \.isNewline) else {
                throw CLIFailure.fatal("the token file \(path) must hold one line of at least 16 characters (e.g. `openssl rand -hex 24 > \(path)`)")
            }
            return token
        }
    }
}
