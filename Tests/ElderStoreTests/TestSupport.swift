import ElderLab
import ElderTestSupport
import Foundation
import XCTest
@testable import ElderStore

/// `git arguments…` in `directory` (`GitCLI.execute`), asserting it succeeded unless `expectSuccess` is false.
@discardableResult
func git(_ arguments: [String], in directory: String, input: String? = nil, environment: [String: String] = [:],
         expectSuccess: Bool = true, file: StaticString = #filePath, line: UInt = #line) throws -> GitResult {
    let result = try GitCLI.execute(arguments, in: directory, input: input, environment: environment)
    if expectSuccess {
        XCTAssertEqual(result.status, 0, "git \(arguments.joined(separator: " ")) failed: \(result.stderr)", file: file, line: line)
    }
    return result
}

/// A small adapter shape for quick tests (the real sizes are used where a test says so).
let smallShape = SyntheticAdapterShape(layers: 2, loras: 4, rank: 2, inputDim: 16, outputDim: 8, topK: 2)
