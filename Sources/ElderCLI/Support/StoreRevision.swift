import Elder
import ElderCommandLine
import ElderEval
import ElderStore

extension KnowledgeStore {
    /// The commit a revision names, or `WorkspaceError.unknownRevision` (exit 128), for model-free commands.
    func resolveRevision(_ revision: String) throws -> ObjectID {
        do { return try repository.resolveCommit(revision) } catch let error as GitError
            where [.notFound, .ambiguous, .invalidSpec, .peel].contains(error.code) {
            throw WorkspaceError.unknownRevision(revision)
        }
    }
}

/// Reads a probe file for `--probes`: a problem is the user's to fix (exit 128, `FILE:LINE: problem — fix`).
func readProbeFile(_ path: String) throws -> [Probe] {
    do { return try ProbeFile.read(path: path) } catch { throw CLIFailure.fatal(error.description) }
}
