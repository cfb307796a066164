import ElderEval
import Foundation
import Prometheus

/// The server's measurements, in Prometheus' text format at `/metrics`: requests by route and status,
/// latency and time to first token, tokens read and generated, decode batch sizes, the version cache,
/// and the process's resident memory. One registry per server (not the process-wide metrics system),
/// so several servers in one process (tests) keep their own counts.
final class ServerMetrics: Sendable {
    let registry = PrometheusCollectorRegistry()
    private let latencyBuckets: [Duration] = [.milliseconds(10), .milliseconds(25), .milliseconds(50), .milliseconds(100),
                                              .milliseconds(150), .milliseconds(250), .milliseconds(500), .seconds(1),
                                              .milliseconds(2500), .seconds(5), .seconds(10), .seconds(30), .seconds(60)]
    private let promptTokenCounter, generatedTokenCounter, cacheHits, cacheMisses, cacheEvictions, cancelled: Counter
    private let cacheBytes, cacheEntries, cacheLimit, queued, running, residentMemory, peakMemory: Gauge
    private let firstToken: DurationHistogram
    private let batchSizes: ValueHistogram

    init() {
        func d(_ name: String, _ unit: String, _ help: String) -> MetricNameDescriptor {
            MetricNameDescriptor(namespace: "elder", metricName: name, unitName: unit, helpText: help)
        }
        promptTokenCounter = registry.makeCounter(descriptor: d("prompt_tokens", "total", "Prompt tokens read."))
        generatedTokenCounter = registry.makeCounter(descriptor: d("generated_tokens", "total", "Tokens generated."))
        cacheHits = registry.makeCounter(descriptor: d("version_cache_hits", "total", "Requests whose version was cached (or being rebuilt)."))
        cacheMisses = registry.makeCounter(descriptor: d("version_cache_misses", "total", "Requests that rebuilt their version."))
        cacheEvictions = registry.makeCounter(descriptor: d("version_cache_evictions", "total", "Versions dropped to stay within the bound."))
        cancelled = registry.makeCounter(descriptor: d("cancelled_sequences", "total", "Generations stopped because the client went away."))
        cacheBytes = registry.makeGauge(descriptor: d("version_cache", "bytes", "Bytes of rebuilt versions kept."))
        cacheEntries = registry.makeGauge(descriptor: d("version_cache_entries", "count", "Rebuilt versions kept."))
        cacheLimit = registry.makeGauge(descriptor: d("version_cache_limit", "bytes", "The cache's bound (--cache-mb)."))
        queued = registry.makeGauge(descriptor: d("queued_sequences", "count", "Sequences waiting for the engine."))
        running = registry.makeGauge(descriptor: d("running_sequences", "count", "Sequences generating."))
        residentMemory = registry.makeGauge(descriptor: MetricNameDescriptor(
            namespace: "process", metricName: "resident_memory", unitName: "bytes", helpText: "Resident memory of the server process."))
        peakMemory = registry.makeGauge(descriptor: MetricNameDescriptor(
            namespace: "process", metricName: "peak_resident_memory", unitName: "bytes", helpText: "Peak resident memory of the server process."))
        firstToken = registry.makeDurationHistogram(descriptor: d("time_to_first_token", "seconds",
            "From a generation request's arrival to its first token."), buckets: latencyBuckets)
        batchSizes = registry.makeValueHistogram(descriptor: d("decode_batch", "sequences",
            "Sequences decoded together in one pass through the model."), buckets: [1, 2, 4, 8, 16, 32, 64])
    }

    /// One answered request: its route (the path pattern), status and duration.
    func request(route: String, status: Int, duration: Duration) {
        let labels = [("route", route), ("status", String(status))]
        registry.makeCounter(descriptor: MetricNameDescriptor(namespace: "elder", metricName: "http_requests", unitName: "total",
                                                              helpText: "HTTP requests answered."), labels: labels).increment()
        registry.makeDurationHistogram(descriptor: MetricNameDescriptor(namespace: "elder", metricName: "http_request_duration",
                                                                        unitName: "seconds", helpText: "Time to answer a request (streams: to the last byte)."),
                                       labels: [("route", route)], buckets: latencyBuckets).record(duration)
    }

    func timeToFirstToken(_ duration: Duration) { firstToken.record(duration) }
    func promptTokens(_ n: Int) { promptTokenCounter.increment(by: Int64(n)) }
    func generatedTokens(_ n: Int) { generatedTokenCounter.increment(by: Int64(n)) }
    func decodeBatch(_ n: Int) { batchSizes.record(Double(n)) }
    func queuedSequences(_ n: Int) { queued.set(Double(n)) }
    func runningSequences(_ n: Int) { running.set(Double(n)) }
    func cancelledSequence() { cancelled.increment() }
    func versionCacheHit() { cacheHits.increment() }
    func versionCacheMiss() { cacheMisses.increment() }
    func versionCacheEvicted(_ n: Int) { if n > 0 { cacheEvictions.increment(by: Int64(n)) } }
    func versionCacheChanged(bytes: Int, entries: Int, limit: Int) {
        cacheBytes.set(Double(bytes))
        cacheEntries.set(Double(entries))
        cacheLimit.set(Double(limit))
    }

    /// The text format, with the resident memory read now.
    func exposition() -> [UInt8] {
        residentMemory.set(Double(ResourceUsage.residentBytes()))
        peakMemory.set(Double(ResourceUsage.peakResidentBytes()))
        return registry.emitToBuffer()
    }
}
