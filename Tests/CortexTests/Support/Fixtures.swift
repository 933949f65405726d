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

    /// all-MiniLM-L6-v2 reference embeddings: $CORTEX_MINILM_FIXTURES or the bundled copy.
    static var miniLMFixtures: URL {
        if let path = ProcessInfo.processInfo.environment["CORTEX_MINILM_FIXTURES"], !path.isEmpty {
            return URL(fileURLWithPath: path)
        }
        return resources.appendingPathComponent("minilm")
    }

    /// The pretrained all-MiniLM-L6-v2 folder `scripts/fetch-minilm` unpacks: $CORTEX_MINILM_DIR, else the
    /// script's default place.
    static var miniLMModel: URL {
        let environment = ProcessInfo.processInfo.environment
        if let path = environment["CORTEX_MINILM_DIR"], !path.isEmpty { return URL(fileURLWithPath: path) }
        let models = environment["CORTEX_MODELS"].flatMap { $0.isEmpty ? nil : $0 }
            ?? FileManager.default.homeDirectoryForCurrentUser.appendingPathComponent(".cache/cortex/models").path
        return URL(fileURLWithPath: models).appendingPathComponent("all-MiniLM-L6-v2")
    }

    /// Whether the pretrained model is there. `scripts/test` fetches it and sets CORTEX_REQUIRE_MINILM, so
    /// the tests that need it fail there rather than being skipped.
    static var miniLMAvailable: Bool {
        FileManager.default.fileExists(atPath: miniLMModel.appendingPathComponent("model.safetensors").path)
            || ProcessInfo.processInfo.environment["CORTEX_REQUIRE_MINILM"] == "1"
    }

    /// The BBC News corpus `scripts/fetch-bbcnews` unpacks (scripts/test fetches it).
    static var bbcNewsAvailable: Bool {
        let environment = ProcessInfo.processInfo.environment
        let data = environment["CORTEX_DATA"].flatMap { $0.isEmpty ? nil : $0 }
            ?? FileManager.default.homeDirectoryForCurrentUser.appendingPathComponent(".cache/cortex/data").path
        return FileManager.default.fileExists(atPath: data + "/bbc-news/.complete") || environment["CORTEX_REQUIRE_MINILM"] == "1"
    }
}
