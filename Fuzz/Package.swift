// swift-tools-version:6.0
// libFuzzer targets for every Cortex reader, kept out of the main package because a fuzzer binary has
// no main of its own (libFuzzer supplies it) and needs sanitizer flags. Build and run with
// `scripts/fuzz` (Debian's lld links it).
import PackageDescription

let package = Package(
    name: "CortexFuzz",
    dependencies: [.package(name: "Cortex", path: "..")],
    targets: [
        .executableTarget(
            name: "CortexFuzz",
            dependencies: [.product(name: "Cortex", package: "Cortex"), .product(name: "CortexModels", package: "Cortex")]
        ),
    ],
    swiftLanguageModes: [.v6]
)
