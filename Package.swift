// swift-tools-version:6.0
// Elder: git for a language model's knowledge. See README.md and Sources/*/ for the module layout.
import PackageDescription

/// Hand-written float kernels need AVX2 + FMA to vectorize (see docs/TOOLCHAIN.md).
let fastMath: [SwiftSetting] = [.unsafeFlags(["-target-cpu", "haswell"])]

let package = Package(
    name: "Elder",
    products: [
        .executable(name: "elder", targets: ["ElderCLI"]),
        .executable(name: "elder-bench", targets: ["ElderBench"]),
        .library(name: "Elder", targets: ["Elder"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.0"),
    ],
    targets: [
        // System libraries (Debian packages: libgit2-dev, libopenblas-dev, libzstd-dev).
        .systemLibrary(name: "CLibGit2", pkgConfig: "libgit2", providers: [.apt(["libgit2-dev"])]),
        .systemLibrary(name: "COpenBLAS", pkgConfig: "openblas", providers: [.apt(["libopenblas-dev"])]),
        .systemLibrary(name: "CZstd", pkgConfig: "libzstd", providers: [.apt(["libzstd-dev"])]),

        // Dependencies point one way: Tensor <- Model <- Editing; Store knows no model; Elder joins them.
        .target(name: "ElderTensor", dependencies: ["COpenBLAS"], swiftSettings: fastMath),
        .target(name: "ElderModel", dependencies: ["ElderTensor", .product(name: "Crypto", package: "swift-crypto")],
                swiftSettings: fastMath),
        .target(name: "ElderEditing", dependencies: ["ElderTensor", "ElderModel"], swiftSettings: fastMath),
        .target(name: "ElderStore", dependencies: ["CLibGit2", "CZstd", .product(name: "Crypto", package: "swift-crypto")],
                exclude: ["FORMAT.md"]),
        .target(name: "ElderEval", dependencies: ["ElderTensor", "ElderModel", "ElderEditing"]),
        .target(name: "Elder", dependencies: ["ElderModel", "ElderEditing", "ElderStore", "ElderEval"],
                exclude: ["WORKSPACE.md"]),
        // What both executables share: the failure line and exit status, output, --model and --set.
        .target(name: "ElderCommandLine", dependencies: [
            "Elder", "ElderEditing", "ElderEval", "ElderModel", "ElderStore",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),
        // The product: `elder`, the commands a user of a knowledge repo needs.
        .executableTarget(name: "ElderCLI", dependencies: [
            "Elder", "ElderCommandLine", "ElderTensor", "ElderModel", "ElderStore", "ElderEval", "ElderEditing",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),

        // The lab, apart from the product: synthetic histories and research measurements (ElderLab), and
        // `elder-bench`, the benchmarks and debug helpers (ElderBench).
        .target(name: "ElderLab", dependencies: ["ElderStore", "ElderEditing", "ElderEval", "ElderModel", "ElderTensor"]),
        .executableTarget(name: "ElderBench", dependencies: [
            "Elder", "ElderCommandLine", "ElderLab", "ElderEval", "ElderEditing", "ElderModel", "ElderStore", "ElderTensor",
            "COpenBLAS", .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),

        // Shared by the test targets: the real model and the golden files, found the way CI lays them out.
        .target(name: "ElderTestSupport", dependencies: ["ElderModel", "ElderTensor", "ElderEditing"], path: "Tests/Support"),

        .testTarget(name: "ElderTensorTests", dependencies: ["ElderTensor"]),
        .testTarget(name: "ElderModelTests", dependencies: ["ElderModel", "ElderTensor", "ElderTestSupport"]),
        .testTarget(name: "ElderStoreTests", dependencies: ["ElderStore", "ElderLab", "ElderBench"]),
        .testTarget(name: "ElderEditingTests", dependencies: ["ElderEditing", "ElderModel", "ElderTensor", "ElderTestSupport"]),
        .testTarget(name: "ElderCLITests", dependencies: ["ElderCLI", "ElderBench", "ElderTestSupport"]),
        .testTarget(name: "ElderEvalTests", dependencies: ["ElderEval", "ElderEditing", "ElderModel", "ElderTestSupport"]),
        .testTarget(name: "ElderBenchTests", dependencies: ["ElderBench", "ElderCLI", "ElderLab", "ElderStore", "ElderTestSupport"]),
        .testTarget(name: "ElderWorkspaceTests", dependencies: ["Elder", "ElderTestSupport", "ElderEditing", "ElderModel", "ElderStore"]),
    ]
)
