// swift-tools-version:6.0
// Cortex: a deep-learning framework in Swift. The stack, bottom to top:
// CBLAS / CCortexKernels (C) -> CortexEngine (the device boundary: Backend protocol, CPU and simulated
// backends) -> CortexCore (tensors, autograd, ops, nn, optim, datasets and the loader, train, io) ->
// CortexData (file formats and data sets), CortexMetrics (evaluation), CortexExplain (attributions and training
// diagnostics), side by side -> Cortex (the umbrella: `import Cortex` re-exports those four) -> CortexModels
// (ready architectures) and CortexReport (HTML reports) -> CortexApps (applications on real data) and
// CortexDistributed (MPI collectives, on Open MPI) -> CortexCLI (the `cortex` command). Each target
// imports only the ones below it.
import PackageDescription

let package = Package(
    name: "Cortex",
    products: [
        .library(name: "Cortex", targets: ["Cortex"]),
        .library(name: "CortexCore", targets: ["CortexCore"]),
        .library(name: "CortexModels", targets: ["CortexModels"]),
        .library(name: "CortexReport", targets: ["CortexReport"]),
        .library(name: "CortexApps", targets: ["CortexApps"]),
        .library(name: "CortexDistributed", targets: ["CortexDistributed"]),
        .library(name: "CortexRuns", targets: ["CortexRuns"]),
        .executable(name: "cortex", targets: ["CortexCLI"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        // SHA-256 for the pinned data files (CortexApps).
        .package(url: "https://github.com/apple/swift-crypto", "3.12.3"..<"5.0.0"),
        // `swift package generate-documentation`: the DocC catalogs (a build-time plugin; nothing of it is linked).
        .package(url: "https://github.com/swiftlang/swift-docc-plugin", from: "1.5.0"),
    ],
    targets: [
        // The platform BLAS: OpenBLAS (Debian's libopenblas-dev) on Linux.
        .systemLibrary(
            name: "CBLAS",
            pkgConfig: "openblas",
            providers: [.apt(["libopenblas-dev"])]
        ),
        // Compute-bound kernels in C: each body is compiled for AVX-512, AVX2+FMA and baseline
        // x86-64 with per-function target attributes, and the CPU's best path is chosen on the
        // first call (ck_dispatch.h); no compiler flag is needed, so users can depend on Cortex by version.
        .target(name: "CCortexKernels"),
        // The system zlib (Debian's zlib1g-dev): gzip files and deflated zip entries for the data readers.
        .systemLibrary(
            name: "CZlib",
            providers: [.apt(["zlib1g-dev"])]
        ),
        // Open MPI (Debian's libopenmpi-dev), found through pkg-config. Only CortexDistributed and the `cortex`
        // command use it, so a package that depends on Cortex alone builds without MPI.
        .systemLibrary(
            name: "CMPI",
            pkgConfig: "ompi-c",
            providers: [.apt(["libopenmpi-dev", "openmpi-bin"])]
        ),
        .target(name: "CortexEngine", dependencies: ["CBLAS", "CCortexKernels"]),
        // Tensors, autograd, ops, layers, optimisers, datasets and the loader, the Trainer and checkpoints: all a
        // program needs to define, train, save and run a model.
        .target(name: "CortexCore", dependencies: ["CortexEngine"]),
        // Reading data from files: CSV, IDX, NPY/NPZ, zip and gzip, text corpora and folders, WordPiece, and
        // the data sets Cortex knows by name (Fashion-MNIST).
        .target(name: "CortexData", dependencies: ["CortexCore", "CortexEngine", "CZlib"]),
        // Evaluation: scikit-learn-exact classification and regression metrics, ROC/PR, calibration,
        // cross-validation, the Fréchet distance.
        .target(name: "CortexMetrics", dependencies: ["CortexCore", "CortexEngine"]),
        // Why a model decides (gradient attributions, Grad-CAM, occlusion, permutation importance, projections)
        // and how its training went (diagnostics and plain-language verdicts).
        .target(name: "CortexExplain", dependencies: ["CortexCore", "CortexMetrics", "CortexEngine"]),
        // The umbrella: one file of re-exports, so user code says `import Cortex`.
        .target(name: "Cortex", dependencies: ["CortexCore", "CortexData", "CortexMetrics", "CortexExplain"]),
        // Self-contained HTML reports of a run (curves, confusion matrix, ROC, sample images as PNG), kept
        // out of the core so a model served from `import Cortex` carries no report code.
        .target(name: "CortexReport", dependencies: ["Cortex", "CZlib"]),
        // Ready architectures built from Cortex layers (MLP, CNNs) and the text layer spec.
        .target(name: "CortexModels", dependencies: ["CortexCore", "CortexData", "CortexMetrics"]),
        // The applications on real data (`cortex app`): fetching and checking each data set, its models,
        // evaluation and report.
        .target(name: "CortexApps", dependencies: ["Cortex", "CortexModels", "CortexReport",
                                                   .product(name: "Crypto", package: "swift-crypto")]),
        // Training across processes and machines: MPI collectives on tensors.
        .target(name: "CortexDistributed", dependencies: ["CortexCore", "CMPI"]),
        // Every kind of training run (classifiers and regressors, cross-validation, language models, text
        // classifiers, generative models) behind one protocol and a registry, with the run directory, data
        // sources and reports they share: `cortex train` only parses options into a request.
        .target(name: "CortexRuns", dependencies: ["Cortex", "CortexModels", "CortexReport", "CortexApps", "CortexDistributed"],
                resources: [.copy("Resources/fashion-mnist-subset")]),
        // The `cortex` command. Its module is CortexCLI so it never collides with `Cortex` on
        // case-insensitive file systems.
        .executableTarget(
            name: "CortexCLI",
            dependencies: ["Cortex", "CortexModels", "CortexReport", "CortexApps", "CortexDistributed", "CortexRuns", "CortexEngine",
                           .product(name: "ArgumentParser", package: "swift-argument-parser")]
        ),
        .testTarget(
            name: "CortexTests",
            dependencies: ["Cortex", "CortexCore", "CortexData", "CortexMetrics", "CortexExplain", "CortexModels",
                           "CortexReport", "CortexApps", "CortexDistributed", "CortexRuns", "CortexEngine", "CZlib"],
            exclude: ["Resources"]
        ),
    ],
    swiftLanguageModes: [.v6]
)
