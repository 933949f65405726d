// The DocC tutorial "Train a Fashion-MNIST CNN" (Sources/Cortex/Cortex.docc): its code files are the files beside
// this one, so they compile with the suite, and this test runs them on the bundled subset.
import Cortex
import Foundation
import Testing

@Suite("The Fashion-MNIST tutorial")
struct TutorialTests {
    // Two epochs on the subset's 3,000 images reach about 0.8 on its 1,000 test images, far above the 10% of guessing.
    /// The bundled subset under Fashion-MNIST's own file names (its test files are named test-, not t10k-).
    static func subsetFolder() throws -> URL {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("tutorial-fashion-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        for (name, bundled) in [("train", "train"), ("t10k", "test")] {
            for kind in ["images-idx3-ubyte.gz", "labels-idx1-ubyte.gz"] {
                try FileManager.default.createSymbolicLink(at: folder.appendingPathComponent("\(name)-\(kind)"),
                                                           withDestinationURL: Fixtures.fashionSubset.appendingPathComponent("\(bundled)-\(kind)"))
            }
        }
        return folder
    }

    @Test func theTutorialsProgramTrainsTheCNN() throws {
        let folder = try Self.subsetFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let (train, test) = try loadFashionMNIST(from: folder)
        #expect(train.count == 3000 && test.count == 1000)
        #expect(fashionCNN().parameterCount == 32 * 9 + 32 + 64 * 32 * 9 + 64 + 1600 * 128 + 128 + 128 * 10 + 10)
        manualSeed(0)
        let accuracy = try runFashionCNN(epochs: 2, dataDirectory: folder)
        #expect(accuracy.trained > 0.6 && accuracy.trained > accuracy.untrained + 0.3, "\(accuracy)")
    }

    @Test func theTutorialsTrainerTrainsTheCNN() throws {
        let folder = try Self.subsetFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let (train, test) = try loadFashionMNIST(from: folder)
        manualSeed(0)
        let model = fashionCNN()
        let history = try fitFashionCNN(model, train: train, test: test, epochs: 2)
        #expect(history.epochs.count == 2)
        let losses = history.epochs.map(\.trainLoss)
        #expect(losses[1] < losses[0] && losses[0] < log(10.0), "\(losses)")
    }
}
