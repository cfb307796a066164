// swift-tools-version:6.1
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
        // The server: Hummingbird 2 on SwiftNIO (without its swift-configuration trait: nothing here reads it).
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1", traits: ["FullFoundation"]),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        // The review pages' templates (server-rendered HTML).
        .package(url: "https://github.com/hummingbird-project/swift-mustache", from: "2.1.1"),
    ],
    targets: [
        // System libraries (Debian packages: libgit2-dev, libopenblas-dev, libzstd-dev).
        .systemLibrary(name: "CLibGit2", pkgConfig: "libgit2", providers: [.apt(["libgit2-dev"])]),
        .systemLibrary(name: "COpenBLAS", pkgConfig: "openblas", providers: [.apt(["libopenblas-dev"])]),
        .systemLibrary(name: "CZstd", pkgConfig: "libzstd", providers: [.apt(["libzstd-dev"])]),

        // What every machine computes bit for bit the same: SplitMix64, FNV-1a. Depends on nothing.
        .target(name: "ElderStable"),
        // Dependencies point one way: Tensor <- Model <- Editing; Store knows no model; Elder joins them.
        // Our own C: the quantized-block decode kernels (AVX2 integer dot products, one file per block format).
        .target(name: "CQuantizedKernels", cSettings: [.unsafeFlags(["-mavx2", "-mfma", "-mf16c", "-ffp-contract=off"])]),
        .target(name: "ElderTensor", dependencies: ["COpenBLAS", "CQuantizedKernels"], swiftSettings: fastMath),
        .target(name: "ElderModel", dependencies: ["ElderTensor", "ElderStable", "CQuantizedKernels", .product(name: "Crypto", package: "swift-crypto")],
                swiftSettings: fastMath),
        .target(name: "ElderEditing", dependencies: ["ElderTensor", "ElderModel", "ElderStable"], swiftSettings: fastMath),
        .target(name: "ElderStore", dependencies: ["CLibGit2", "CZstd", "ElderStable", .product(name: "Crypto", package: "swift-crypto")],
                exclude: ["FORMAT.md"]),
        // The edit-file and probe formats, shared by the workspace, both command lines and the benchmarks.
        .target(name: "ElderRecords"),
        .target(name: "ElderEval", dependencies: ["ElderTensor", "ElderModel", "ElderEditing", "ElderRecords", "ElderStable"]),
        .target(name: "Elder", dependencies: ["ElderModel", "ElderEditing", "ElderStore", "ElderRecords", "ElderTensor", "ElderStable"],
                exclude: ["WORKSPACE.md"],
                // What `elder export` writes beside the tensors: the rule's specification and the reference loader.
                resources: [.embedInCode("Export/Shipped/README.md"), .embedInCode("Export/Shipped/elder_route.py")]),
        // What both executables share: the failure line and exit status, output, --model and --set.
        .target(name: "ElderCommandLine", dependencies: [
            "Elder", "ElderEditing", "ElderModel", "ElderRecords", "ElderStore",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),
        // `elder serve`: the workspace's versions over HTTP (OpenAI-compatible API); depends on the workspace, not the reverse.
        .target(name: "ElderServer", dependencies: [
            "Elder", "ElderModel", "ElderEditing", "ElderStore", "ElderEval",
            .product(name: "Hummingbird", package: "hummingbird"),
            .product(name: "Logging", package: "swift-log"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            .product(name: "UnixSignals", package: "swift-service-lifecycle"),
            .product(name: "Prometheus", package: "swift-prometheus"),
            .product(name: "Mustache", package: "swift-mustache"),
        ]),
        // The product: `elder`, the commands a user of a knowledge repo needs.
        .executableTarget(name: "ElderCLI", dependencies: [
            "Elder", "ElderCommandLine", "ElderServer", "ElderTensor", "ElderModel", "ElderStore", "ElderRecords", "ElderEval",
            "ElderEditing", "ElderStable",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
            .product(name: "Logging", package: "swift-log"),
        ]),

        // The lab, apart from the product: synthetic histories and research measurements (ElderLab), and
        // `elder-bench`, the benchmarks and debug helpers (ElderBench).
        .target(name: "ElderLab", dependencies: ["ElderStore", "ElderEditing", "ElderEval", "ElderRecords", "ElderModel", "ElderTensor",
                                                "ElderStable"]),
        .executableTarget(name: "ElderBench", dependencies: [
            "Elder", "ElderCommandLine", "ElderLab", "ElderEval", "ElderRecords", "ElderEditing", "ElderModel", "ElderStore", "ElderTensor",
            "COpenBLAS", .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),

        // Shared by the test targets: the real model and the golden files, found the way CI lays them out.
        .target(name: "ElderTestSupport", dependencies: ["ElderModel", "ElderTensor", "ElderEditing", "ElderStable"], path: "Tests/Support"),

        .testTarget(name: "ElderTensorTests", dependencies: ["ElderTensor", "ElderStable"]),
        .testTarget(name: "ElderModelTests", dependencies: ["ElderModel", "ElderTensor", "ElderTestSupport", "CQuantizedKernels"]),
        .testTarget(name: "ElderStoreTests", dependencies: ["ElderStore", "ElderStable", "ElderLab", "ElderBench", "ElderTestSupport"]),
        .testTarget(name: "ElderEditingTests", dependencies: ["ElderEditing", "ElderModel", "ElderTensor", "ElderStable", "ElderTestSupport"]),
        .testTarget(name: "ElderCLITests", dependencies: ["ElderCLI", "ElderBench", "Elder", "ElderEditing", "ElderModel", "ElderStore",
                                                    "ElderTestSupport"]),
        .testTarget(name: "ElderRecordsTests", dependencies: ["ElderRecords"]),
        .testTarget(name: "ElderEvalTests", dependencies: ["ElderEval", "ElderRecords", "ElderEditing", "ElderModel", "ElderTestSupport"]),
        .testTarget(name: "ElderBenchTests", dependencies: ["ElderBench", "ElderCLI", "ElderLab", "ElderStore", "ElderTestSupport"]),
        .testTarget(name: "ElderWorkspaceTests", dependencies: ["Elder", "ElderTestSupport", "ElderEditing", "ElderModel", "ElderStore",
                                                          "ElderRecords", "ElderStable"]),
        .testTarget(name: "ElderServerTests", dependencies: ["ElderServer", "Elder", "ElderModel", "ElderEditing", "ElderStore",
                                                       "ElderStable", "ElderTestSupport"]),
    ]
)
