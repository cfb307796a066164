import ElderEval
import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// A load on a running `elder serve` from real HTTP clients on loopback (URLSession, libcurl underneath):
/// `clients` loops, each sending one streamed completion after another for a time or a number of answers, timing the
/// first token and the whole answer of each.
struct ServeLoad {
    struct Sample: Sendable {
        var firstToken: Double
        var latency: Double
        var tokens: Int
        var finished: Double
    }

    struct Result: Sendable {
        var clients: Int
        var versions: [String]
        var samples: [Sample]
        var seconds: Double
        var failures: Int

        var tokens: Int { samples.reduce(0) { $0 + $1.tokens } }
        /// Generated tokens per second, all clients together.
        var throughput: Double { seconds > 0 ? Double(tokens) / seconds : 0 }
        func percentile(_ p: Double, _ key: KeyPath<Sample, Double>) -> Double {
            ElderEval.percentile(samples.map { $0[keyPath: key] }, p)
        }
    }

    let port: Int
    let prompts: [String]
    let maxTokens: Int

    /// How long each client of a load keeps asking.
    enum Length {
        /// Until this many seconds after the start (a request under way is finished).
        case seconds(Double)
        /// This many answers each, however long they take (warming a server up, touching every version).
        case requests(each: Int)

        func goesOn(after sent: Int, since start: Date) -> Bool {
            switch self {
            case .seconds(let seconds): Date() < start.addingTimeInterval(seconds)
            case .requests(let each): sent < each
            }
        }
    }

    /// Runs `clients` concurrent loops for `length`, client i asking version `versions[i % count]`.
    func run(clients: Int, versions: [String], for length: Length) async -> Result {
        let configuration = URLSessionConfiguration.ephemeral
        configuration.httpMaximumConnectionsPerHost = max(clients, 1) * 2
        configuration.timeoutIntervalForRequest = 600
        let streams = StreamRouter()
        let session = URLSession(configuration: configuration, delegate: streams, delegateQueue: nil)
        let start = Date()
        let results = await withTaskGroup(of: ([Sample], Int).self) { group in
            for client in 0..<clients {
                group.addTask {
                    var samples: [Sample] = [], failures = 0, n = 0
                    while length.goesOn(after: n, since: start) {
                        let prompt = prompts[(client + n) % prompts.count]
                        n += 1
                        if let sample = await one(session: session, streams: streams, version: versions[client % versions.count],
                                                  prompt: prompt, start: start) {
                            samples.append(sample)
                        } else {
                            failures += 1
                        }
                    }
                    return (samples, failures)
                }
            }
            var all: [([Sample], Int)] = []
            for await r in group { all.append(r) }
            return all
        }
        session.invalidateAndCancel()
        let samples = results.flatMap(\.0)
        let end = samples.map(\.finished).max() ?? 0
        return Result(clients: clients, versions: versions, samples: samples, seconds: end, failures: results.reduce(0) { $0 + $1.1 })
    }

    /// One streamed completion: time to the first chunk with text, to the end, and the tokens generated.
    func one(session: URLSession, streams: StreamRouter, version: String, prompt: String, start: Date) async -> Sample? {
        var request = URLRequest(url: URL(string: "http://127.0.0.1:\(port)/v1/completions")!)
        request.httpMethod = "POST"
        request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        request.httpBody = try? JSONSerialization.data(withJSONObject: [
            "model": version, "prompt": prompt, "max_tokens": maxTokens, "temperature": 0, "stream": true,
            "stream_options": ["include_usage": true]])
        let recorder = StreamRecorder()
        let sent = Date()
        return await withCheckedContinuation { continuation in
            recorder.onFinish = { ok in
                let now = Date()
                guard ok, let first = recorder.firstText else { return continuation.resume(returning: nil) }
                continuation.resume(returning: Sample(firstToken: first.timeIntervalSince(sent), latency: now.timeIntervalSince(sent),
                                                      tokens: recorder.completionTokens, finished: now.timeIntervalSince(start)))
            }
            let task = session.dataTask(with: request)
            streams.register(task, recorder)
            task.resume()
        }
    }
}

/// The session's delegate: hands each task's events to that task's recorder (Foundation on Linux does not
/// call a delegate set on the task itself).
final class StreamRouter: NSObject, URLSessionDataDelegate, @unchecked Sendable {
    private let lock = NSLock()
    private var recorders: [Int: StreamRecorder] = [:]

    func register(_ task: URLSessionTask, _ recorder: StreamRecorder) {
        lock.withLock { recorders[task.taskIdentifier] = recorder }
    }

    private func recorder(_ task: URLSessionTask) -> StreamRecorder? { lock.withLock { recorders[task.taskIdentifier] } }

    func urlSession(_ session: URLSession, dataTask: URLSessionDataTask, didReceive response: URLResponse,
                    completionHandler: @escaping (URLSession.ResponseDisposition) -> Void) {
        recorder(dataTask)?.status = (response as? HTTPURLResponse)?.statusCode ?? 0
        completionHandler(.allow)
    }

    func urlSession(_ session: URLSession, dataTask: URLSessionDataTask, didReceive data: Data) {
        recorder(dataTask)?.receive(data)
    }

    func urlSession(_ session: URLSession, task: URLSessionTask, didCompleteWithError error: (any Error)?) {
        let recorder = lock.withLock { recorders.removeValue(forKey: task.taskIdentifier) }
        recorder?.finish(ok: error == nil)
    }
}

/// Reads one server-sent-event stream as it arrives: when the first text came, and the usage at the end.
final class StreamRecorder: @unchecked Sendable {
    var onFinish: ((Bool) -> Void)?
    var status = 0
    private(set) var firstText: Date?
    private(set) var completionTokens = 0
    private var pending = Data()
    private var done = false

    func receive(_ data: Data) {
        pending.append(data)
        let separator = Data("\n\n".utf8)
        while let range = pending.range(of: separator) {
            let event = pending.subdata(in: pending.startIndex..<range.lowerBound)
            pending.removeSubrange(pending.startIndex..<range.upperBound)
            guard event.starts(with: Data("data: ".utf8)) else { continue }
            let payload = event.dropFirst(6)
            if payload == Data("[DONE]".utf8) { done = true; continue }
            guard let chunk = try? JSONSerialization.jsonObject(with: payload) as? [String: Any] else { continue }
            if firstText == nil, let choices = chunk["choices"] as? [[String: Any]],
               choices.contains(where: { !($0["text"] as? String ?? "").isEmpty }) {
                firstText = Date()
            }
            if let usage = chunk["usage"] as? [String: Any] { completionTokens = usage["completion_tokens"] as? Int ?? 0 }
        }
    }

    func finish(ok: Bool) {
        onFinish?(ok && status == 200 && done)
        onFinish = nil
    }
}
