// Locating test data: the PyTorch parity fixtures (a copy lives in Resources/torch so a clone anywhere
// runs them; CORTEX_TORCH_FIXTURES points at another generated set).
import Foundation

enum Fixtures {
    /// The folder holding this test target's resources.
    static let resources = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Resources")

    /// The Fashion-MNIST subset bundled with the `cortex` command.
    static let fashionSubset = resources.deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Sources/CortexCLI/Resources/fashion-mnist-subset")

    /// The PyTorch reference cases to run: $CORTEX_TORCH_FIXTURES or the bundled copy.
    static var torchDirectory: URL {
        if let path = ProcessInfo.processInfo.environment["CORTEX_TORCH_FIXTURES"], !path.isEmpty {
            return URL(fileURLWithPath: path)
        }
        return resources.appendingPathComponent("torch")
    }

    /// The recurrent, attention and Transformer reference cases: $CORTEX_TORCH_SEQUENCE_FIXTURES or the bundled copy.
    static var torchSequenceDirectory: URL {
        if let path = ProcessInfo.processInfo.environment["CORTEX_TORCH_SEQUENCE_FIXTURES"], !path.isEmpty {
            return URL(fileURLWithPath: path)
        }
        return resources.appendingPathComponent("torch-sequence")
    }
}
