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
/// Model tensors are stored under "model.<state-dict name>", the main optimiser's state under
/// "optimizer.…" and a training step's other optimisers under "optimizers.<name>.…".
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
        for (prefix, opt) in optimizerPrefixes {
            for (name, t) in opt.stateDict() { try writer.add(prefix + name, t) }
        }
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
        for (name, state) in transformState ?? [:] { metadata["rng.transform.\(name)"] = state.map(String.init).joined(separator: ",") }
        for (i, c) in callbacks.enumerated() {
            for (key, value) in c.checkpointState() { metadata["callback.\(i).\(key)"] = value }
        }
        writer.metadata = metadata
        try writer.write(to: url)
    }

    /// Restores a checkpoint written by `saveCheckpoint`; the next `fit` continues after its epoch.
    /// `callbacks` must be the same kinds, in the same order, as when it was saved.
    public func resume(from url: URL, callbacks: [any Callback] = []) throws {
        let archive: SafetensorsArchive
        do { archive = try SafetensorsArchive(contentsOf: url) } catch {
            throw CheckpointError("\(url.path) cannot be read (\(error))")
        }
        try resume(from: archive, callbacks: callbacks, source: url.path)
    }

    /// Restores a checkpoint already read into memory; `source` only labels error messages.
    ///
    /// Every value is checked, and a checkpoint that fails any check leaves the trainer, its model, its
    /// optimiser, the callbacks and the random generators exactly as they were.
    public func resume(from archive: SafetensorsArchive, callbacks: [any Callback] = [], source: String = "checkpoint") throws {
        guard archive.metadata["format"] == "cortex-checkpoint", let epochText = archive.metadata["epoch"],
              let historyText = archive.metadata["history"] else {
            throw CheckpointError("\(source) is not a Cortex training checkpoint")
        }
        let savedHistory: History
        do { savedHistory = try JSONDecoder().decode(History.self, from: Data(historyText.utf8)) } catch {
            throw CheckpointError("the training history in \(source) is malformed")
        }
        guard let epoch = Int(epochText), epoch >= 0, epoch == savedHistory.epochs.count else {
            throw CheckpointError("\(source) says \(epochText) epochs were completed but its history holds \(savedHistory.epochs.count)")
        }
        func words(_ key: String) throws -> [UInt64] {
            let values = (archive.metadata[key] ?? "").split(separator: ",").compactMap { UInt64(String($0)) }
            // xoshiro's all-zero state is a fixed point: it would produce zeros forever.
            guard values.count == 4, values.contains(where: { $0 != 0 }) else {
                throw CheckpointError("generator state '\(key)' is missing or malformed in \(source)")
            }
            return values
        }
        let shared = try words("rng.shared")
        let savedLoader = archive.metadata["rng.loader"] == nil ? nil : try words("rng.loader")
        let generators = try model.namedGenerators().map { ($0.1, try words("rng.model.\($0.0)")) }
        let transformKeys = archive.metadata.keys.filter { $0.hasPrefix("rng.transform.") }
        let savedTransform = transformKeys.isEmpty ? nil : Dictionary(uniqueKeysWithValues: try transformKeys.map {
            (String($0.dropFirst("rng.transform.".count)), try words($0))
        })
        var modelState: [String: Tensor] = [:]
        let prefixes = optimizerPrefixes   // computed once, not per tensor of the archive
        var optimizerStates = Dictionary(uniqueKeysWithValues: prefixes.map { ($0.prefix, [String: Tensor]()) })
        for name in archive.names {
            if name.hasPrefix("model.") { modelState[String(name.dropFirst(6))] = try archive.tensor(name) }
            if let prefix = prefixes.first(where: { name.hasPrefix($0.prefix) })?.prefix {
                optimizerStates[prefix]![String(name.dropFirst(prefix.count))] = try archive.tensor(name)
            }
        }

        // What may still throw changes state as it goes, so keep a copy of everything to put back.
        let modelBackup = model.stateDict().mapValues { $0.copied() }
        let optimizerBackups = prefixes.map { ($0.optimizer, $0.optimizer.stateDict().mapValues { $0.copied() }) }
        let callbackBackup = callbacks.map { $0.checkpointState() }
        do {
            try model.loadStateDict(modelState)
            for (prefix, opt) in prefixes {
                do { try opt.loadStateDict(optimizerStates[prefix]!) } catch {
                    throw CheckpointError("\(source) does not fit the optimiser saved as '\(prefix.dropLast())': \(error)")
                }
            }
            for (i, c) in callbacks.enumerated() {
                let prefix = "callback.\(i)."
                let state = archive.metadata.filter { $0.key.hasPrefix(prefix) }
                try c.restore(checkpointState: Dictionary(uniqueKeysWithValues: state.map { (String($0.key.dropFirst(prefix.count)), $0.value) }))
            }
        } catch {
            try? model.loadStateDict(modelBackup)
            for (opt, backup) in optimizerBackups { try? opt.loadStateDict(backup) }
            for (c, state) in zip(callbacks, callbackBackup) { try? c.restore(checkpointState: state) }
            if let error = error as? CheckpointError { throw error }
            throw CheckpointError("\(source) does not fit this model and optimiser: \(error)")
        }
        history = savedHistory
        RandomGenerator.shared.withLock { $0.restore(shared) }
        loaderState = savedLoader
        for (g, state) in generators { g.restore(state) }
        transformState = savedTransform
        completedEpochs = epoch
    }

    /// Where each optimiser's state goes in a checkpoint: the main one under "optimizer.", the step's
    /// others under "optimizers.<name>.".
    var optimizerPrefixes: [(prefix: String, optimizer: Optimizer)] {
        [("optimizer.", optimizer)] + step.optimizers.filter { $0.value !== optimizer }.sorted { $0.key < $1.key }
            .map { ("optimizers.\($0.key).", $0.value) }
    }
}
