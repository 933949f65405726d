// Resumable checkpoints: model weights, optimiser state, callback state, history and every random
// generator in one safetensors file, written atomically at the end of each epoch, so a run killed
// at any moment resumes from its last complete epoch and ends with the same weights.
import CortexEngine
import Foundation

/// A checkpoint that cannot be used.
public struct CheckpointError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = "checkpoint: " + description }
}

/// Saves a resumable checkpoint to `directory/checkpoint.safetensors` after every epoch.
/// Model tensors are stored under "model.<state-dict name>", optimiser state under "optimizer.…".
public final class Checkpointer: Callback {
    public let directory: URL
    public var file: URL { directory.appendingPathComponent("checkpoint.safetensors") }
    /// The callbacks whose state goes into the checkpoint (schedules, plateau counters).
    let stateful: [any Callback]

    public init(directory: URL, saving callbacks: [any Callback] = []) {
        self.directory = directory
        stateful = callbacks
    }

    public func epochDidEnd(_ trainer: Trainer, record: EpochRecord) throws {
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        try trainer.saveCheckpoint(to: file, callbacks: stateful)
    }
}

/// Writes the model's state dict alone — PyTorch names, loadable with safetensors.torch.load_file
/// and load_state_dict — whenever the monitored value improves.
public final class BestModelSaver: Callback {
    public let file: URL, monitor: Monitor
    private var best: Double?

    public init(file: URL, monitor: Monitor = .validationLoss) {
        self.file = file
        self.monitor = monitor
    }

    public func epochDidEnd(_ trainer: Trainer, record: EpochRecord) throws {
        guard let value = monitor.value(record), monitor.isImprovement(value, over: best, trainer) else { return }
        best = value
        try saveSafetensors(trainer.model.stateDict(), to: file,
                            metadata: ["format": "pt", "epoch": String(record.epoch), monitor.rawValue: String(value)])
    }
}

extension Trainer {
    /// Writes everything needed to resume: weights, optimiser, history, generators, callback state.
    public func saveCheckpoint(to url: URL, callbacks: [any Callback] = []) throws {
        var writer = SafetensorsWriter()
        for (name, t) in model.stateDict() { try writer.add("model.\(name)", t) }
        for (name, t) in optimizer.stateDict() { try writer.add("optimizer.\(name)", t) }
        var metadata: [String: String] = [
            "format": "cortex-checkpoint",
            "epoch": String(completedEpochs),
            "history": String(decoding: try JSONEncoder().encode(history), as: UTF8.self),
            "rng.shared": RandomGenerator.shared.withLock { $0.snapshot }.map(String.init).joined(separator: ","),
        ]
        if let state = loader?.generator.snapshot ?? loaderState {
            metadata["rng.loader"] = state.map(String.init).joined(separator: ",")
        }
        for (name, g) in model.namedGenerators() { metadata["rng.model.\(name)"] = g.snapshot.map(String.init).joined(separator: ",") }
        for (i, c) in callbacks.enumerated() {
            for (key, value) in c.checkpointState() { metadata["callback.\(i).\(key)"] = value }
        }
        writer.metadata = metadata
        try writer.write(to: url)
    }

    /// Restores a checkpoint written by `saveCheckpoint`; the next `fit` continues after its epoch.
    /// `callbacks` must be the same kinds, in the same order, as when it was saved.
    public func resume(from url: URL, callbacks: [any Callback] = []) throws {
        let archive = try SafetensorsArchive(contentsOf: url)
        guard archive.metadata["format"] == "cortex-checkpoint", let epochText = archive.metadata["epoch"],
              let epoch = Int(epochText), let historyText = archive.metadata["history"] else {
            throw CheckpointError("\(url.path) is not a Cortex training checkpoint")
        }
        var modelState: [String: Tensor] = [:], optimizerState: [String: Tensor] = [:]
        for name in archive.names {
            if name.hasPrefix("model.") { modelState[String(name.dropFirst(6))] = try archive.tensor(name) }
            if name.hasPrefix("optimizer.") { optimizerState[String(name.dropFirst(10))] = try archive.tensor(name) }
        }
        try model.loadStateDict(modelState)
        try optimizer.loadStateDict(optimizerState)
        history = try JSONDecoder().decode(History.self, from: Data(historyText.utf8))
        func words(_ key: String) throws -> [UInt64] {
            let values = (archive.metadata[key] ?? "").split(separator: ",").compactMap { UInt64(String($0)) }
            guard values.count == 4 else { throw CheckpointError("generator state '\(key)' is missing or malformed in \(url.path)") }
            return values
        }
        let shared = try words("rng.shared")
        RandomGenerator.shared.withLock { $0.restore(shared) }
        loaderState = archive.metadata["rng.loader"] == nil ? nil : try words("rng.loader")
        for (name, g) in model.namedGenerators() { g.restore(try words("rng.model.\(name)")) }
        for (i, c) in callbacks.enumerated() {
            let prefix = "callback.\(i)."
            let state = archive.metadata.filter { $0.key.hasPrefix(prefix) }
            try c.restore(checkpointState: Dictionary(uniqueKeysWithValues: state.map { (String($0.key.dropFirst(prefix.count)), $0.value) }))
        }
        completedEpochs = epoch
    }
}
