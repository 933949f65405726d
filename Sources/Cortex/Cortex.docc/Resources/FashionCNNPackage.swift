// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "FashionCNN",
    platforms: [.macOS(.v14)],
    dependencies: [
        // The folder you cloned Cortex into.
        .package(path: "../cortex"),
    ],
    targets: [
        .executableTarget(name: "FashionCNN", dependencies: [.product(name: "Cortex", package: "cortex")]),
    ]
)
