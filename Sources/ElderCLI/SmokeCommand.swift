import ArgumentParser
import Elder
import ElderCommandLine
import ElderModel
import ElderStable
import ElderStore
import ElderTensor
import Foundation

extension ElderCommand {
    /// Checks, on this machine, the three things every other command stands on: libgit2 writes and reads a
    /// repository, OpenBLAS multiplies matrices correctly, and the model loads and generates a token.
    struct Smoke: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Check that libgit2, OpenBLAS and the model work here.",
            discussion: """
                Prints one line per check and exits 1 when one fails.
                Example: elder smoke --model smollm2-135m
                """)

        @OptionGroup var model: ModelOption

        func run() throws {
            var failed: [String] = []
            func check(_ name: String, _ body: () throws -> String) {
                do { print("\(name): ok (\(try body()))") } catch {
                    failed.append(name)
                    print("\(name): FAILED — \(String(describing: error).split(whereSeparator: \.isNewline).joined(separator: " "))")
                }
            }
            print("elder \(Elder.version)")
            check("libgit2", Self.checkLibGit2)
            check("OpenBLAS", Self.checkOpenBLAS)
            check("model", checkModel)
            if !failed.isEmpty {
                throw CLIFailure.failure("smoke check failed: \(failed.joined(separator: ", "))")
            }
        }

        /// A bare repository in a temporary folder: a blob written and read back byte for byte.
        static func checkLibGit2() throws -> String {
            let folder = NSTemporaryDirectory() + "elder-smoke-\(UUID().uuidString)"
            defer { try? FileManager.default.removeItem(atPath: folder) }
            let repository = try Repository.create(at: folder, bare: true)
            let bytes = Array("elder smoke \(folder)\n".utf8)
            let id = try repository.writeBlob(bytes)
            guard try repository.readBlob(id, maxBytes: bytes.count) == bytes else {
                throw CLIFailure.failure("a blob read back differs from the one written")
            }
            return "blob \(id.short) written and read back"
        }

        /// A 64 × 48 by 48 × 40 product through OpenBLAS against the naive triple loop.
        static func checkOpenBLAS() throws -> String {
            var rng = SplitMix64(seed: 1)
            func random(_ shape: [Int]) -> Tensor {
                Tensor(shape: shape, scalars: (0..<shape.reduce(1, *)).map { _ in rng.nextUnitFloat() * 2 - 1 })
            }
            let a = random([64, 48]), b = random([48, 40])
            let fast = matmul(a, b), naive = matmulNaive(a, b)
            let worst = zip(fast.scalars, naive.scalars).map { abs($0 - $1) }.max() ?? .infinity
            guard worst <= 1e-4 else { throw CLIFailure.failure("matmul differs from the naive product by \(worst)") }
            return "matmul equals the naive product within \(worst), \(BLAS.threadCount) thread\(BLAS.threadCount == 1 ? "" : "s")"
        }

        /// The model loads and greedily continues a prompt by one token.
        func checkModel() throws -> String {
            let loaded = try model.load()
            let out = TextGenerator(loaded).generate("The capital of France is", options: GenerationOptions(maxTokens: 1))
            guard out.tokenIDs.count == 1 else { throw CLIFailure.failure("the model generated no token") }
            return "\(URL(fileURLWithPath: loaded.path).lastPathComponent), \(loaded.configuration.layerCount) layers, "
                + "next token \(out.tokenIDs[0])"
        }
    }
}
