/// ElderRecords: the edit-file and probe-file formats (Samples/edits/FORMAT.md) — `EditRecord`, `Probe`, the
/// JSON Lines reader and writer, their errors with line numbers and fixes — and the importers of public
/// data sets (ZsRE, CounterFact) into them. Shared by the workspace, both command lines and the
/// benchmarks; it depends on nothing but Foundation.
public enum ElderRecordsInfo {
    public static let moduleName = "ElderRecords"
}
