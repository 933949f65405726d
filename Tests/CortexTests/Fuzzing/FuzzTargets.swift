// What each fuzz target does with one input: hand the bytes to a reader and accept any thrown error.
// The libFuzzer driver in Fuzz/ (which links this file) and the regression-corpus test both call it,
// so a crashing input found by the fuzzer is replayed by the ordinary test suite exactly as it ran.
import Cortex
import CortexModels
import Foundation

enum FuzzTarget: String, CaseIterable {
    case idx, idxGzip = "idx-gzip", csv, npy, npz, safetensors, checkpoint, runConfig = "run-config"

    /// Feeds `data` to the reader and says whether it was accepted. Throwing is the expected outcome for
    /// most inputs; a crash, a hang or an absurd allocation is the failure the fuzzer looks for.
    @discardableResult
    func consume(_ data: Data) -> Bool {
        switch self {
        case .idx:
            return (try? IDX.read(data: data, path: "fuzz.idx")) != nil
        case .idxGzip:
            // Always a gzip member: the mutations land in the deflate stream and the trailer.
            return (try? IDX.read(data: Data([0x1f, 0x8b, 0x08, 0x00, 0, 0, 0, 0, 0x02, 0x03]) + data, path: "fuzz.idx.gz")) != nil
        case .csv:
            // First-read inference, then schema-driven reading (evaluate, predict) of the same bytes.
            let plain = (try? CSVTable.parse(data, path: "fuzz.csv")) != nil
            guard let table = try? CSVTable.parse(data, path: "fuzz.csv", options: CSVOptions(missing: .fillMean, target: .inferred("y")))
            else { return plain }
            _ = try? CSVTable.parse(data, path: "fuzz.csv", schema: table.schema, options: CSVOptions(missing: .dropRows))
            return true
        case .npy:
            return (try? NPY.read(data: data, path: "fuzz.npy")) != nil
        case .npz:
            return (try? NPZ.read(data: data, path: "fuzz.npz")) != nil
        case .safetensors:
            return (try? SafetensorsArchive(data: data).tensors()) != nil
        case .checkpoint:
            guard let archive = try? SafetensorsArchive(data: data) else { return false }
            let (trainer, callbacks) = FuzzTarget.checkpointTrainer()
            return (try? trainer.resume(from: archive, callbacks: callbacks, source: "fuzz checkpoint")) != nil
        case .runConfig:
            guard let config = try? RunConfig.decode(data) else { return false }
            // A table read with the config's schema, as evaluate and predict do.
            if let schema = config.schema {
                _ = try? CSVTable.parse(Data("a,b,c,y\n1,x,2,0\n3,y,,1\n".utf8), path: "fuzz.csv", schema: schema,
                                        options: CSVOptions(missing: .fillMean))
            }
            // 16 MB of weights at most: the fuzzer looks for traps, not for models this machine can hold.
            return (try? config.makeModel(memoryLimit: 16 << 20)) != nil
        }
    }

    /// The trainer a fuzzed checkpoint is restored into: an MLP with Adam and a step schedule, the parts a
    /// checkpoint carries.
    static func checkpointTrainer() -> (Trainer, [any Callback]) {
        let model = MLP(inputSize: 4, hiddenSizes: [3], outputSize: 2, dropout: 0.1, seed: 1)
        let optimizer = Adam(model.parameters(), learningRate: 0.01)
        let schedule = ScheduleStepper(StepLR(optimizer, stepSize: 2))
        return (Trainer(model, optimizer, loss: .crossEntropy), [schedule])
    }
}
