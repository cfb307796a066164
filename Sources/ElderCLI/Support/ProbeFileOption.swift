import ElderCommandLine
import ElderRecords

/// Reads a probe file for `--probes`: a problem is the user's to fix (exit 128, `FILE:LINE: problem — fix`).
func readProbeFile(_ path: String) throws -> [Probe] {
    do { return try ProbeFile.read(path: path) } catch { throw CLIFailure.fatal(error.description) }
}
