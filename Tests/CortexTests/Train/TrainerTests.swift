// The Trainer: it learns, stops on a non-finite loss keeping the last good checkpoint, stops early (on a record's
// quantity or a measured score, and says when it cannot put the best weights back), and a run killed with SIGKILL
// mid-epoch, or one with random augmentation, resumes to exactly the weights of an uninterrupted run.
import Foundation
import Testing
import Cortex

/// Two Gaussian blobs per class in the plane: small, quick, and not linearly trivial.
func blobs(count: Int, seed: UInt64) -> TensorDataset {
    let g = RandomGenerator(seed: seed)
    let centres: [(Float, Float, Int)] = [(-1, -1, 0), (1, 1, 0), (-1, 1, 1), (1, -1, 1), (0, 0, 2)]
    var points: [Float] = [], labels: [Int] = []
    for i in 0..<count {
        let (cx, cy, label) = centres[i % centres.count]
        let noise = Tensor.randn([2], std: 0.3, generator: g).scalars
        points += [cx + noise[0], cy + noise[1]]
        labels.append(label)
    }
    return TensorDataset(inputs: Tensor(points, shape: [count, 2]), targets: Tensor(labels))
}

/// A small MLP with dropout, so resuming must restore a model-held generator too.
func smallClassifier(seed: UInt64) -> Sequential {
    let g = RandomGenerator(seed: seed)
    return Sequential {
        Linear(2, 32, generator: g); ReLU(); Dropout(0.1, generator: RandomGenerator(seed: seed + 1))
        Linear(32, 3, generator: g)
    }
}

/// Trains the small classifier for `epochs` with checkpoints in `directory` (resuming if asked),
/// optionally killing the process with SIGKILL at a given epoch and batch.
func checkpointedRun(directory: URL, epochs: Int, resume: Bool, killAt: (epoch: Int, batch: Int)? = nil) throws -> Sequential {
    let model = smallClassifier(seed: 5)
    let optimizer = Adam(model.parameters(), learningRate: 0.01)
    let schedule = ScheduleStepper(StepLR(optimizer, stepSize: 2, gamma: 0.5))
    let trainer = Trainer(model, optimizer, loss: .crossEntropy)
    let checkpointer = Checkpointer(directory: directory, saving: [schedule])
    if resume { try trainer.resume(from: checkpointer.file, callbacks: [schedule]) }
    var callbacks: [any Callback] = [schedule, checkpointer]
    if let killAt { callbacks.append(Killer(epoch: killAt.epoch, batch: killAt.batch)) }
    try trainer.fit(blobs(count: 300, seed: 1), epochs: epochs, batchSize: 16, seed: 3, callbacks: callbacks)
    return model
}

/// Sends SIGKILL to its own process in the middle of an epoch.
final class Killer: Callback {
    let epoch: Int, batch: Int
    init(epoch: Int, batch: Int) { (self.epoch, self.batch) = (epoch, batch) }
    func batchDidEnd(_ trainer: Trainer, epoch: Int, batch: Int, batches: Int, loss: Double, samples: Int) {
        if epoch == self.epoch && batch == self.batch { kill(getpid(), SIGKILL) }
    }
}

/// A layer whose extra tensor a callback can replace, so restoring saved weights must fail. A tensor that
/// is reassigned after init is declared through `@Param`, so the module's (cached) reflection sees the new one.
private final class Reshaping: Module, Layer {
    let linear = Linear(2, 3, generator: RandomGenerator(seed: 1))
    @Param var extra = Tensor.zeros([3])
    func callAsFunction(_ input: Tensor) -> Tensor { linear(input) + extra }
}

private final class ReplaceExtra: Callback {
    let model: Reshaping
    init(_ model: Reshaping) { self.model = model }
    func epochDidEnd(_ trainer: Trainer, record: EpochRecord) throws {
        if record.epoch == 1 { model.extra = Tensor.zeros([1]) }
    }
}

@Suite("Trainer")
struct TrainerTests {
    @Test func learnsAndReportsHistory() throws {
        let model = smallClassifier(seed: 1)
        let trainer = Trainer(model, Adam(model.parameters(), learningRate: 0.01), loss: .crossEntropy)
        let lines = LineCollector()
        let history = try trainer.fit(blobs(count: 400, seed: 1), validation: blobs(count: 200, seed: 2), epochs: 15, batchSize: 32,
                                      callbacks: [ProgressBar(totalEpochs: 15, interactive: false, output: lines.append)])
        #expect(history.epochs.count == 15)
        #expect(history.epochs.last!.trainLoss < history.epochs.first!.trainLoss * 0.5)
        let evaluation = trainer.evaluate(blobs(count: 200, seed: 3))
        #expect(evaluation.metric > 0.9, "held-out accuracy \(evaluation.metric)")
        #expect(trainer.predict(Tensor.zeros([7, 2])).shape == [7, 3])
        #expect(lines.text.contains("epoch 15/15 loss") && lines.text.contains("val_accuracy"))
        #expect(lines.text.contains("samples/s") && lines.text.contains("ETA"))
        // Plain lines within an epoch show batch n/N with the running loss and accuracy.
        #expect(lines.text.contains("batch 4/13 loss") && lines.text.contains(" accuracy 0."))
    }

    @Test func nonFiniteLossStopsWithEpochAndBatchAndKeepsTheLastCheckpoint() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("cortex-nan-\(UUID())")
        defer { try? FileManager.default.removeItem(at: directory) }
        // Cross-entropy that turns NaN on its 25th call: 300 examples in batches of 16 make 19
        // batches an epoch, so that is epoch 2, batch 6.
        let calls = Counter()
        let poisoned = Loss(name: "poisoned", isClassification: true) { output, target in
            calls.increment() == 25 ? crossEntropy(output, target) * Float.nan : crossEntropy(output, target)
        }
        let model = smallClassifier(seed: 1)
        let trainer = Trainer(model, Adam(model.parameters()), loss: poisoned)
        let checkpointer = Checkpointer(directory: directory)
        var caught: TrainingError?
        do {
            try trainer.fit(blobs(count: 300, seed: 1), epochs: 5, batchSize: 16, shuffle: false, callbacks: [checkpointer])
        } catch let error as TrainingError {
            caught = error
        }
        guard case let .nonFiniteLoss(epoch, batch, value)? = caught else {
            Issue.record("expected a non-finite loss error, got \(String(describing: caught))")
            return
        }
        #expect(epoch == 2 && batch == 6 && value.isNaN)
        #expect(caught!.description.contains("epoch 2, batch 6"))
        // The checkpoint of epoch 1 is intact: it loads, and its weights are finite.
        let archive = try SafetensorsArchive(contentsOf: checkpointer.file)
        #expect(archive.metadata["epoch"] == "1")
        #expect(try archive.tensors().values.allSatisfy { $0.dtype != .float32 || $0.scalars.allSatisfy(\.isFinite) })
    }

    @Test func earlyStoppingRestoresTheBestWeights() throws {
        let model = smallClassifier(seed: 2)
        let trainer = Trainer(model, SGD(model.parameters(), learningRate: 0.05), loss: .crossEntropy)
        let stopper = EarlyStopping(monitor: .trainLoss, patience: 0, minDelta: 10)   // no epoch improves by 10
        try trainer.fit(blobs(count: 100, seed: 1), epochs: 10, batchSize: 20, callbacks: [stopper])
        #expect(trainer.history.epochs.count == 2)
        #expect(stopper.bestEpoch == 1)
        #expect(trainer.stopReason?.contains("early stopping") == true)
    }

    @Test func earlyStoppingOnAMeasuredScoreKeepsTheBestEpochsWeights() throws {
        // A score the step does not report (higher is better), measured after each epoch: the weights of epoch 2,
        // its best, are put back when training ends, and without patience set training runs all its epochs.
        let model = smallClassifier(seed: 2)
        let trainer = Trainer(model, SGD(model.parameters(), learningRate: 0.05), loss: .crossEntropy)
        let scores = [0.5, 0.9, 0.7, 0.8]
        var measured = 0, weightsAtEpoch: [[Float]] = []
        let keeper = EarlyStopping(score: "made-up score", higherIsBetter: true) {
            weightsAtEpoch.append(model.parameters().flatMap(\.scalars))
            defer { measured += 1 }
            return scores[measured]
        }
        try trainer.fit(blobs(count: 100, seed: 1), epochs: 4, batchSize: 20, callbacks: [keeper])
        #expect(trainer.history.epochs.count == 4 && keeper.bestEpoch == 2 && keeper.best == 0.9)
        #expect(model.parameters().flatMap(\.scalars) == weightsAtEpoch[1])
        // With patience, the score stops training as a monitored quantity does.
        let stopper = EarlyStopping(score: "made-up score", higherIsBetter: false, patience: 0) { 1 }
        try Trainer(model, SGD(model.parameters(), learningRate: 0.05), loss: .crossEntropy)
            .fit(blobs(count: 100, seed: 1), epochs: 10, batchSize: 20, callbacks: [stopper])
        #expect(stopper.bestEpoch == 1)
    }

    @Test func resumingAfterSIGKILLReachesTheUninterruptedWeights() async throws {
        // Named after this test process, which the child knows as its parent: two test runs at once
        // (a developer's and CI's) must not share the directory.
        let base = FileManager.default.temporaryDirectory.appendingPathComponent("cortex-kill-resume-\(getpid())")
        try? FileManager.default.removeItem(at: base)
        // The child process trains with checkpoints and kills itself with SIGKILL in epoch 3.
        await #expect(processExitsWith: .signal(SIGKILL)) {
            let directory = FileManager.default.temporaryDirectory.appendingPathComponent("cortex-kill-resume-\(getppid())")
            _ = try checkpointedRun(directory: directory, epochs: 5, resume: false, killAt: (epoch: 3, batch: 7))
        }
        let interrupted = try checkpointedRun(directory: base, epochs: 5, resume: true)
        let straightDirectory = FileManager.default.temporaryDirectory.appendingPathComponent("cortex-straight-\(UUID())")
        defer {
            try? FileManager.default.removeItem(at: base)
            try? FileManager.default.removeItem(at: straightDirectory)
        }
        let straight = try checkpointedRun(directory: straightDirectory, epochs: 5, resume: false)
        let a = interrupted.stateDict(), b = straight.stateDict()
        #expect(a.keys.sorted() == b.keys.sorted())
        for (name, t) in a { #expect(t.scalars == b[name]!.scalars, "\(name) differs after resume") }
    }

    @Test func csvLogWritesARowPerEpoch() throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("cortex-log-\(UUID()).csv")
        defer { try? FileManager.default.removeItem(at: file) }
        let model = smallClassifier(seed: 3)
        let trainer = Trainer(model, Adam(model.parameters()), loss: .crossEntropy)
        try trainer.fit(blobs(count: 60, seed: 1), validation: blobs(count: 30, seed: 2), epochs: 3, batchSize: 16,
                        callbacks: [CSVLogger(file: file)])
        let lines = try String(contentsOf: file, encoding: .utf8).split(separator: "\n")
        #expect(lines.first == "epoch,loss,accuracy,val_loss,val_accuracy,lr,seconds")
        #expect(lines.count == 4 && lines[3].hasPrefix("3,"))
    }

    @Test func earlyStoppingReportsWeightsItCannotPutBack() throws {
        let model = Reshaping()
        let trainer = Trainer(model, SGD(model.parameters(), learningRate: 0.1), loss: .crossEntropy)
        let stopper = EarlyStopping(monitor: .trainLoss, patience: 0, minDelta: 10)
        let error = #expect(throws: TrainingError.self) {
            try trainer.fit(blobs(count: 40, seed: 1), epochs: 5, batchSize: 20,
                            callbacks: [stopper, ReplaceExtra(model)])
        }
        #expect(error?.description.contains("could not put back the weights of epoch 1") == true, "\(String(describing: error))")
    }

    @Test func aResumedRunWithAugmentationEqualsAnUninterruptedOne() throws {
        // 4×4 one-channel "images" of two classes; crops and flips make every epoch different.
        let g = RandomGenerator(seed: 5)
        let images = Tensor.rand([48, 1, 4, 4], generator: g)
        let labels = Tensor((0..<48).map { $0 % 2 })
        let data = TensorDataset(inputs: images + Tensor((0..<48).map { Float($0 % 2) }, shape: [48, 1, 1, 1]), targets: labels)
        func run(epochs: Int, resumeFrom: URL?, saveTo: URL?) throws -> [Float] {
            let model = Sequential { Flatten(); Linear(9, 2, generator: RandomGenerator(seed: 1)) }
            let trainer = Trainer(model, Adam(model.parameters(), learningRate: 0.05), loss: .crossEntropy)
            if let resumeFrom { try trainer.resume(from: resumeFrom) }
            let augment = Compose(RandomCrop(size: 3, padding: 0, seed: 7), RandomHorizontalFlip(seed: 8))
            try trainer.fit(data, epochs: epochs, batchSize: 16, seed: 3, transform: augment,
                            callbacks: saveTo.map { [Checkpointer(directory: $0)] } ?? [])
            return model.parameters().flatMap(\.scalars)
        }
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("cortex-augment-\(UUID())")
        defer { try? FileManager.default.removeItem(at: directory) }
        let straight = try run(epochs: 4, resumeFrom: nil, saveTo: nil)
        _ = try run(epochs: 2, resumeFrom: nil, saveTo: directory)
        let resumed = try run(epochs: 4, resumeFrom: directory.appendingPathComponent("checkpoint.safetensors"), saveTo: nil)
        #expect(resumed == straight)
        let archive = try SafetensorsArchive(contentsOf: directory.appendingPathComponent("checkpoint.safetensors"))
        #expect(archive.metadata["rng.transform.0.crop"] != nil && archive.metadata["rng.transform.1.flip"] != nil)
    }
}

/// Counts calls from inside a @Sendable loss closure.
final class Counter: @unchecked Sendable {
    private var value = 0
    func increment() -> Int {
        value += 1
        return value
    }
}

/// Collects progress output for assertions.
final class LineCollector: @unchecked Sendable {
    private(set) var text = ""
    func append(_ s: String) { text += s }
}
