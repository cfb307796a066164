import ElderTestSupport
import Foundation
import XCTest

/// Debian's `chromium`, headless, driven from a test: the DOM it builds from a page (`--dump-dom`) and a
/// PNG of the page as drawn (`--screenshot`). A fresh profile per instance; no sandbox (CI runs as root).
struct HeadlessChromium {
    let executable: String
    let profile: String

    /// The browser, or a skip when the machine has none (`.ci/install-deps.sh` installs it).
    static func find() throws -> HeadlessChromium {
        for path in ["/usr/bin/chromium", "/usr/bin/chromium-browser"] where FileManager.default.isExecutableFile(atPath: path) {
            return HeadlessChromium(executable: path, profile: temporaryFolder("chromium-profile"))
        }
        throw XCTSkip("no chromium on this machine: run .ci/install-deps.sh")
    }

    var flags: [String] {
        ["--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run", "--no-default-browser-check",
         "--disable-extensions", "--disable-background-networking", "--user-data-dir=" + profile, "--virtual-time-budget=5000"]
    }

    /// The page's DOM after the browser loaded and laid it out, as HTML text.
    func dom(_ url: String) throws -> String {
        let run = try runProgram(executable, flags + ["--dump-dom", url])
        XCTAssertEqual(run.status, 0, "chromium failed on \(url): \(run.stderr.suffix(1500))")
        return run.stdout
    }

    /// A PNG of the page at `width`×`height` CSS pixels, written to `path`.
    func screenshot(_ url: String, to path: String, width: Int, height: Int) throws {
        try? FileManager.default.removeItem(atPath: path)
        let run = try runProgram(executable, flags + ["--hide-scrollbars", "--window-size=\(width),\(height)", "--screenshot=" + path, url])
        XCTAssertEqual(run.status, 0, "chromium failed on \(url): \(run.stderr.suffix(1500))")
        XCTAssertTrue(FileManager.default.fileExists(atPath: path), "no screenshot of \(url)")
    }
}
