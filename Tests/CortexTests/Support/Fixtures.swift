// Locating test data: the PyTorch parity fixtures (a copy lives in Resources/torch so a clone anywhere
// runs them; CORTEX_TORCH_FIXTURES points at another generated set).
import CortexModels
import Foundation

enum Fixtures {
    /// The folder holding this test target's resources.
    static let resources = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Resources")

    /// The Fashion-MNIST subset bundled with CortexRuns (and so with the `cortex` command).
    static let fashionSubset = resources.deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Sources/CortexRuns/Resources/fashion-mnist-subset")

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

    /// all-MiniLM-L6-v2 reference embeddings: $CORTEX_MINILM_FIXTURES or the bundled copy.
    static var miniLMFixtures: URL {
        if let path = ProcessInfo.processInfo.environment["CORTEX_MINILM_FIXTURES"], !path.isEmpty {
            return URL(fileURLWithPath: path)
        }
        return resources.appendingPathComponent("minilm")
    }

    /// The pretrained all-MiniLM-L6-v2 folder `scripts/fetch-minilm` unpacks.
    static var miniLMModel: URL { CacheDirectories.miniLM }

    /// Whether the pretrained model is there. `scripts/test` fetches it and sets CORTEX_REQUIRE_MINILM, so
    /// the tests that need it fail there rather than being skipped.
    static var miniLMAvailable: Bool {
        FileManager.default.fileExists(atPath: miniLMModel.appendingPathComponent("model.safetensors").path)
            || ProcessInfo.processInfo.environment["CORTEX_REQUIRE_MINILM"] == "1"
    }

    /// The BBC News corpus `scripts/fetch-bbcnews` unpacks (scripts/test fetches it).
    static var bbcNewsAvailable: Bool {
        FileManager.default.fileExists(atPath: CacheDirectories.bbcNews.appendingPathComponent(".complete").path)
            || ProcessInfo.processInfo.environment["CORTEX_REQUIRE_MINILM"] == "1"
    }
}
