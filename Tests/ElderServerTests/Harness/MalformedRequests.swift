import ElderStable
import Foundation

/// Requests no server should accept, of many kinds, drawn reproducibly from a seed: broken JSON, wrong
/// types and out-of-range values in every field, hostile version names, broken HTTP framing, bodies over
/// the limit, unknown routes. Each is bytes to write on a fresh connection.
enum MalformedRequests {
    struct Request {
        var kind: String
        var bytes: [UInt8]
    }

    /// A valid body to spoil.
    static var valid: [String: Any] { ["model": "main", "prompt": "The tiny capital is", "max_tokens": 4, "temperature": 0] }

    static func make(count: Int, seed: UInt64) -> [Request] {
        var rng = SplitMix64(seed: seed)
        let kinds: [(String, (inout SplitMix64) -> [UInt8])] = [
            ("truncated JSON", { r in let b = body(valid); return post(Array(b[0..<r.int(1..<(b.count - 1))])) }),
            ("random bytes", { r in post((0..<r.int(1..<400)).map { _ in UInt8(r.int(0..<256)) }) }),
            ("invalid UTF-8 in a string", { r in
                var b = Array("{\"model\": \"main\", \"prompt\": \"ab".utf8) + [0xC3, 0x28, 0xFF, UInt8(r.int(0x80..<0xC0))]
                b += Array("\"}".utf8)
                return post(b)
            }),
            ("wrong type", { r in
                let fields = ["model", "prompt", "max_tokens", "temperature", "top_p", "n", "stream", "stop", "seed", "stream_options"]
                let wrong: [Any] = [["a": 1], [["x"]], true, "text", -1.5, [1, "a"]]
                var b = valid
                let field = fields[r.int(0..<fields.count)]
                var value = wrong[r.int(0..<wrong.count)]
                // Keep the value wrong for the field (a string is a fine prompt, a number a fine seed, …).
                if ["prompt", "model", "stop"].contains(field), value is String { value = ["a": 1] }
                if ["temperature", "top_p", "seed", "max_tokens", "n"].contains(field), value is Double { value = "text" }
                if field == "stream", value is Bool { value = "yes" }
                b[field] = value
                return post(body(b))
            }),
            ("out of range", { r in
                let cases: [(String, Any)] = [("max_tokens", 0), ("max_tokens", -3), ("max_tokens", 1_000_000), ("temperature", -0.5),
                                              ("temperature", 2.5), ("top_p", -0.1), ("top_p", 7), ("n", 0), ("n", 1_000_000_000),
                                              ("max_tokens", 1e30), ("seed", 1e30), ("temperature", 1e308)]
                let (field, value) = cases[r.int(0..<cases.count)]
                var b = valid
                b[field] = value
                return post(body(b))
            }),
            ("deep nesting", { r in
                let depth = r.int(1_000..<20_000)
                return post(Array(("{\"model\": \"main\", \"prompt\": " + String(repeating: "[", count: depth)
                                   + String(repeating: "]", count: depth) + "}").utf8))
            }),
            ("hostile version name", { r in
                let names = ["../../etc/passwd", "main@{-1}", ":/no commit says this", "HEAD^{tree}", "refs/heads/../x", "main~99999", "\u{0}",
                             String(repeating: "m", count: 300), "main^{/nothing}", "@{upstream}", "HEAD:elder.json", "-main", "*"]
                var b = valid
                b["model"] = names[r.int(0..<names.count)]
                return post(body(b))
            }),
            ("too many stop strings", { r in
                var b = valid
                b["stop"] = (0..<r.int(5..<20)).map { "s\($0)" }
                return post(body(b))
            }),
            ("unsupported field", { r in
                let fields: [(String, Any)] = [("logprobs", 2), ("echo", true), ("best_of", 3), ("suffix", "end"), ("presence_penalty", 1),
                                               ("frequency_penalty", -1), ("logit_bias", ["50": 10])]
                var b = valid
                let (k, v) = fields[r.int(0..<fields.count)]
                b[k] = v
                return post(body(b))
            }),
            ("bad chat messages", { r in
                let messages: [Any] = [[], [["content": "hi"]], [["role": "user", "content": 5]], [["role": "robot", "content": "hi"]],
                                       [["role": "user", "content": [["type": "image_url", "image_url": ["url": "x"]]]]],
                                       [["role": "user"]], "hello", [["role": "user", "content": "hi"]] as [Any]]
                let pick = r.int(0..<messages.count)
                var b: [String: Any] = ["model": "main", "messages": messages[pick]]
                if pick == messages.count - 1 { b["tools"] = [["type": "function"]] }
                return post(body(b), path: "/v1/chat/completions")
            }),
            ("bad token ids", { r in
                let prompts: [Any] = [[-1], [49_152 * 10], [[1, 2], [-7]], [[Int]](), [[]], [1.5, 2]]
                var b = valid
                b["prompt"] = prompts[r.int(0..<prompts.count)]
                return post(body(b))
            }),
            ("body over the limit", { r in
                var b = valid
                b["prompt"] = String(repeating: "x", count: 70_000 + r.int(0..<10_000))
                return post(body(b))
            }),
            ("declared length over the limit", { r in
                Array("POST /v1/completions HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Length: \(1 << 30 + r.int(0..<99))\r\n\r\n{}".utf8)
            }),
            ("broken HTTP", { r in
                let heads = ["GARBAGE\r\n\r\n", "POST /v1/completions HTTP/9.9\r\n\r\n", "POST /v1/completions HTTP/1.1\r\nContent-Length: abc\r\n\r\n",
                             "POST /v1/completions HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
                             "\u{1}\u{2}\u{3} / HTTP/1.1\r\n\r\n", "GET / HTTP/1.1\r\nBad Header Line\r\n\r\n"]
                return Array(heads[r.int(0..<heads.count)].utf8)
            }),
            ("unknown route", { r in
                let paths = ["/v1/../../etc/passwd", "/v1/engines", "/v2/completions", "/" + String(repeating: "a", count: 5000), "/%00",
                             "/v1/completions/extra"]
                return RawHTTP.request(["GET", "POST", "DELETE"][r.int(0..<3)], paths[r.int(0..<paths.count)], body: body(valid))
            }),
            ("wrong method", { r in RawHTTP.request(["PUT", "DELETE", "PATCH"][r.int(0..<3)], ["/v1/completions", "/v1/models", "/health"][r.int(0..<3)]) }),
            ("stream options without a stream", { _ in
                var b = valid
                b["stream_options"] = ["include_usage": true]
                return post(body(b))
            }),
            ("empty object", { _ in post(Array("{}".utf8)) }),
        ]
        return (0..<count).map { i in
            let (kind, make) = kinds[i % kinds.count]
            return Request(kind: kind, bytes: make(&rng))
        }
    }

    static func body(_ object: [String: Any]) -> [UInt8] { Array((try? JSONSerialization.data(withJSONObject: object)) ?? Data()) }

    static func post(_ body: [UInt8], path: String = "/v1/completions") -> [UInt8] { RawHTTP.request("POST", path, body: body) }
}

extension SplitMix64 {
    /// A uniform integer in `range`.
    mutating func int(_ range: Range<Int>) -> Int { Int.random(in: range, using: &self) }
}
