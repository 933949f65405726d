// A run's config.json: the model, task, optimiser and schedule are read by name, as every config written so far
// holds them, and a name that is none of them is an error naming it and the valid ones, not a silent default.
import Foundation
import Testing
import Cortex
@testable import CortexModels

@Suite("Run config")
struct RunConfigTests {
    /// A config.json as `cortex train` writes it, with the training section's optimiser and schedule given.
    static func config(optimizer: String = "adam", schedule: String = "none", model: String = "mlp",
                       task: String = #""isClassification": true"#) -> Data {
        Data(#"""
        {"model": "\#(model)", "hidden": [4], "inputShape": [3], "outputs": 2, \#(task), "classNames": ["a", "b"],
         "featureNames": [], "seed": 0,
         "training": {"data": "csv", "optimizer": "\#(optimizer)", "learningRate": 0.01, "batchSize": 8, "schedule": "\#(schedule)",
                      "testFraction": 0.2, "epochs": 3}}
        """#.utf8)
    }

    @Test func optimiserAndScheduleNamesReadAsTheyWereWritten() throws {
        for optimizer in OptimizerChoice.allCases {
            for schedule in ScheduleChoice.allCases {
                let config = try RunConfig.decode(Self.config(optimizer: optimizer.rawValue, schedule: schedule.rawValue))
                #expect(config.training?.optimizer == optimizer && config.training?.schedule == schedule)
                // Written back, the names are the same strings.
                let written = String(decoding: try JSONEncoder().encode(config), as: UTF8.self)
                #expect(written.contains(#""optimizer":"\#(optimizer.rawValue)""#) && written.contains(#""schedule":"\#(schedule.rawValue)""#))
            }
        }
        #expect(OptimizerChoice.sgd.make([Tensor.zeros([2]).requiringGrad()], learningRate: 0.1) is SGD)
        #expect(ScheduleChoice.none.make(Adam([Tensor.zeros([2]).requiringGrad()], learningRate: 0.1), epochs: 3) == nil)
    }

    @Test func anUnknownOptimiserOrScheduleIsNamed() {
        for (optimizer, schedule, unknown) in [("adamx", "none", "'adamx' is not one of adam, adamw, sgd, rmsprop, adagrad"),
                                               ("adam", "linear", "'linear' is not one of none, cosine, step")] {
            do {
                _ = try RunConfig.decode(Self.config(optimizer: optimizer, schedule: schedule))
                Issue.record("\(optimizer), \(schedule) was accepted")
            } catch {
                #expect("\(error)".contains(unknown), "\(error)")
            }
        }
    }

    /// Configs written before the task was an enum say `isClassification`; they read as the task, and are written back
    /// with it.
    @Test func theTaskReadsFromOldAndNewConfigs() throws {
        let old = try RunConfig.decode(Self.config())
        #expect(old.task == .classification && old.isClassification)
        let written = String(decoding: try JSONEncoder().encode(old), as: UTF8.self)
        #expect(written.contains(#""task":"classification""#) && !written.contains("isClassification"))
        #expect(try RunConfig.decode(Data(written.utf8)).task == .classification)
        // A regression config has one output.
        let regression = String(decoding: Self.config(task: #""task": "regression""#), as: UTF8.self).replacingOccurrences(of: #""outputs": 2"#, with: #""outputs": 1"#)
            .replacingOccurrences(of: #""classNames": ["a", "b"]"#, with: #""classNames": []"#)
        #expect(try RunConfig.decode(Data(regression.utf8)).task == .regression)
        #expect { try RunConfig.decode(Self.config(task: #""task": "ranking""#)) } throws: {
            "\($0)".contains("'ranking' is not one of classification, regression")
        }
    }

    @Test func theModelIsMLPCNNOrASpecThatParses() throws {
        #expect(try RunConfig.decode(Self.config(model: "mlp")).model == .mlp)
        #expect(try RunConfig.decode(Self.config(model: "cnn")).model == .cnn)
        let spec = "linear(8), relu, dropout(0.1), linear(2)"
        let config = try RunConfig.decode(Self.config(model: spec))
        #expect(config.model == .spec(spec) && config.model.description == spec)
        #expect(try config.makeModel().parameterCount == 3 * 8 + 8 + 8 * 2 + 2)
        for (name, reason) in [("resnet(3)", "unknown layer"), ("linear(8", "unbalanced parentheses"), ("", "no layers")] {
            #expect { try RunConfig.decode(Self.config(model: name)) } throws: {
                "\($0)".contains("model '\(name)' is not mlp, cnn or a layer spec") && "\($0)".contains(reason)
            }
        }
    }

    /// The names a spec is checked against are the names it is built from.
    @Test func everyLayerNameASpecMayUseBuilds() throws {
        for name in LayerSpec.layerNames.sorted() {
            let item = ["linear", "dense"].contains(name) ? "\(name)(4)" : name == "conv" ? "conv(2,3,padding=1)"
                : ["maxpool", "avgpool"].contains(name) ? "\(name)(2)" : name == "dropout" ? "dropout(0.5)" : name
            try LayerSpec.check(item)
            let shape = ["conv", "maxpool", "avgpool", "bn", "batchnorm"].contains(name) ? [1, 4, 4] : [4]
            #expect(throws: Never.self, "\(name)") { _ = try LayerSpec.build(item, inputShape: shape) }
        }
    }
}
