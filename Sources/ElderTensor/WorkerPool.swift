import CQuantizedKernels
import Foundation
import Synchronization

/// A few persistent threads that run the parts of one job: the caller runs part 0 and worker i part i.
///
/// A decode step is ~120 matrix-vector products of 10-100 µs each, so a thread wake-up per product
/// (a Dispatch call) would cost a good share of it. Workers therefore spin for a while after each job
/// (`spinLimit` pauses, ~0.2 ms), and sleep on a semaphore after that. One job runs at a time; a caller that
/// finds the pool busy (another thread's job) runs all parts itself.
public final class WorkerPool: @unchecked Sendable {
    /// The pool every kernel of the process shares.
    public static let shared = WorkerPool()

    private final class Worker: @unchecked Sendable {
        let sleeping = Atomic<Bool>(false)
        let wake = DispatchSemaphore(value: 0)
    }

    private let busy = Mutex<Bool>(false)
    private var workers: [Worker] = []
    /// Job number × 256 + the job's part count: one value, so a worker reads a job's parts with its number.
    private let generation = Atomic<Int>(0)
    private let unfinished = Atomic<Int>(0)
    /// The current job; written before `generation` changes, read by its workers after.
    nonisolated(unsafe) private var job: ((Int) -> Void)?
    private let spinLimit = 10_000

    /// Runs body(0..<parts), part 0 on the calling thread and the others on workers; returns when all are done.
    public func run(parts: Int, _ body: (Int) -> Void) {
        guard parts > 1, parts < 256, busy.withLock({ was in defer { was = true }; return !was }) else {
            for part in 0..<max(parts, 0) { body(part) }
            return
        }
        defer { busy.withLock { $0 = false } }
        while workers.count < parts - 1 { start(index: workers.count + 1) }
        withoutActuallyEscaping(body) { body in
            job = body
            unfinished.store(parts - 1, ordering: .relaxed)
            let next = (generation.load(ordering: .relaxed) >> 8 + 1) << 8 | parts
            generation.store(next, ordering: .sequentiallyConsistent)
            for worker in workers[0..<parts - 1] where worker.sleeping.exchange(false, ordering: .sequentiallyConsistent) {
                worker.wake.signal()
            }
            body(0)
            var spins = 0
            while unfinished.load(ordering: .acquiring) > 0 {
                spins += 1
                if spins < spinLimit { elder_cpu_relax() } else { sched_yield() }
            }
            job = nil
        }
    }

    /// Runs part `index` of the current job; the worker's reference to the job ends before it reports
    /// the part done (the job's closure must not outlive `run`).
    @inline(never)
    private func runPart(_ index: Int) { job?(index) }

    private func start(index: Int) {
        let worker = Worker()
        workers.append(worker)
        let seen = generation.load(ordering: .acquiring)
        let thread = Thread { [unowned self] in self.serve(worker, index: index, seen: seen) }
        thread.name = "elder-worker-\(index)"
        thread.start()
    }

    private func serve(_ worker: Worker, index: Int, seen start: Int) -> Never {
        var seen = start
        while true {
            var spins = 0
            var current = generation.load(ordering: .acquiring)
            while current == seen {
                spins += 1
                if spins < spinLimit {
                    elder_cpu_relax()
                } else {
                    // Sleep: announce it, then look once more so a job posted meanwhile is not missed.
                    worker.sleeping.store(true, ordering: .sequentiallyConsistent)
                    if generation.load(ordering: .sequentiallyConsistent) == seen
                        || !worker.sleeping.exchange(false, ordering: .sequentiallyConsistent) {
                        worker.wake.wait()  // the poster clears `sleeping` and signals
                    }
                    spins = 0
                }
                current = generation.load(ordering: .acquiring)
            }
            seen = current
            // A job cannot finish before its participants do, so `job` is this job's while index < parts.
            if index < current & 0xFF {
                runPart(index)
                unfinished.subtract(1, ordering: .releasing)
            }
        }
    }
}
