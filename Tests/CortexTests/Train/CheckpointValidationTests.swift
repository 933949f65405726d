// A checkpoint is a file from outside: every value in it is checked before it is used, and one that
// fails a check leaves the trainer exactly as it was.
import Foundation
import Testing
import Cortex

/// A trainer with state in every part a checkpoint restores: weights, Adam moments, a schedule.
private func trainedTrainer() throws -> (Trainer, ScheduleStepper) {
    let model = smallClassifier(seed: 7)
    let optimizer = Adam(model.parameters(), learningRate: 0.01)
    let schedule = ScheduleStepper(StepLR(optimizer, stepSize: 1, gamma: 0.5))
    let trainer = Trainer(model, optimizer, loss: .crossEntropy)
    try trainer.fit(blobs(count: 60, seed: 1), epochs: 2, batchSize: 20, callbacks: [schedule])
    return (trainer, schedule)
}

/// The trainer's checkpoint with `edit` applied to its tensors and metadata, as a file (the caller removes it).
private func checkpoint(of trainer: Trainer, callbacks: [any Callback],
                        editing edit: (inout [String: Tensor], inout [String: String]) -> Void) throws -> URL {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("cortex-ckpt-\(UUID()).safetensors")
    try trainer.saveCheckpoint(to: url, callbacks: callbacks)
    let archive = try SafetensorsArchive(contentsOf: url)
    var tensors = try archive.tensors(), metadata = archive.metadata
    edit(&tensors, &metadata)
    var writer = SafetensorsWriter(metadata: metadata)
    for (name, t) in tensors { try writer.add(name, t) }
    try writer.write(to: url)
    return url
}

@Suite("Checkpoint validation")
struct CheckpointValidationTests {
    @Test(arguments: [
        ("optimizer.step_count", Tensor(Float.nan), "step_count"),
        ("optimizer.step_count", Tensor(Float.infinity), "step_count"),
        ("optimizer.step_count", Tensor(Float(1e30)), "step_count"),
        ("optimizer.step_count", Tensor(Float(-3)), "step_count"),
        ("optimizer.step_count", Tensor(Float(2.5)), "step_count"),
        ("optimizer.lr", Tensor([Float(0.1), 0.2]), "'lr' has shape [2]"),
        ("optimizer.lr", Tensor.zeros([0]), "'lr' has shape [0]"),
        ("optimizer.lr", Tensor(Float.nan), "'lr' is nan"),
        ("optimizer.state.0.step", Tensor(Float.nan), "state.0.step"),
        ("optimizer.state.1.exp_avg", Tensor.full([32], .infinity), "state.1.exp_avg"),
    ])
    func badOptimizerValuesThrowAndChangeNothing(key: String, value: Tensor, mentions: String) throws {
        let (trainer, schedule) = try trainedTrainer()
        let archive = try checkpoint(of: trainer, callbacks: [schedule]) { tensors, _ in tensors[key] = value }
        defer { try? FileManager.default.removeItem(at: archive) }
        let (other, otherSchedule) = try trainedTrainer()
        _ = try other.fit(blobs(count: 60, seed: 9), epochs: 3, batchSize: 20, callbacks: [otherSchedule])
        let weightsBefore = other.model.stateDict().mapValues(\.scalars)
        let optimizerBefore = other.optimizer.stateDict().mapValues(\.scalars)
        let rateBefore = other.optimizer.learningRate, epochsBefore = other.completedEpochs
        let error = #expect(throws: CheckpointError.self) { try other.resume(from: archive, callbacks: [otherSchedule]) }
        #expect(error?.description.contains(mentions) == true, "\(String(describing: error))")
        #expect(other.model.stateDict().mapValues(\.scalars) == weightsBefore)
        #expect(other.optimizer.stateDict().mapValues(\.scalars) == optimizerBefore)
        #expect(other.optimizer.learningRate == rateBefore && other.completedEpochs == epochsBefore)
        #expect(otherSchedule.schedule.epoch == 3)
    }

    @Test(arguments: [
        ("epoch", "-1"), ("epoch", "7"), ("history", "{"), ("rng.shared", "0,0,0,0"), ("rng.shared", "1,2"),
        ("callback.0.epoch", "-4"), ("callback.0.epoch", "many"),
    ])
    func badMetadataThrows(key: String, value: String) throws {
        let (trainer, schedule) = try trainedTrainer()
        let archive = try checkpoint(of: trainer, callbacks: [schedule]) { _, metadata in metadata[key] = value }
        defer { try? FileManager.default.removeItem(at: archive) }
        let (other, otherSchedule) = try trainedTrainer()
        let weightsBefore = other.model.stateDict().mapValues(\.scalars)
        #expect(throws: CheckpointError.self) { try other.resume(from: archive, callbacks: [otherSchedule]) }
        #expect(other.model.stateDict().mapValues(\.scalars) == weightsBefore)
    }

    @Test func aValidCheckpointStillResumes() throws {
        let (trainer, schedule) = try trainedTrainer()
        let archive = try checkpoint(of: trainer, callbacks: [schedule]) { _, _ in }
        defer { try? FileManager.default.removeItem(at: archive) }
        let (other, otherSchedule) = try trainedTrainer()
        _ = try other.fit(blobs(count: 60, seed: 9), epochs: 3, batchSize: 20, callbacks: [otherSchedule])
        try other.resume(from: archive, callbacks: [otherSchedule])
        #expect(other.completedEpochs == 2 && otherSchedule.schedule.epoch == 2)
        #expect(other.model.stateDict().mapValues(\.scalars) == trainer.model.stateDict().mapValues(\.scalars))
        #expect(other.optimizer.stepCount == trainer.optimizer.stepCount)
    }

    @Test func plateauStateWithNaNCountersIsRefused() throws {
        let model = smallClassifier(seed: 1)
        let optimizer = SGD(model.parameters(), learningRate: 0.1)
        let stepper = PlateauStepper(ReduceLROnPlateau(optimizer))
        #expect(throws: CheckpointError.self) { try stepper.restore(checkpointState: ["snapshot": "0.5,nan,0"]) }
        #expect(throws: CheckpointError.self) { try stepper.restore(checkpointState: ["snapshot": "0.5,1e30,0"]) }
        try stepper.restore(checkpointState: ["snapshot": "inf,0,0"])
    }
}
