// A run's config.json: the optimiser and schedule are read by name, as every config written so far holds them,
// and a name that is none of them is an error naming it and the valid ones, not a silent default.
import Foundation
import Testing
import Cortex
@testable import CortexModels

@Suite("Run config")
struct RunConfigTests {
    /// A config.json as `cortex train` writes it, with the training section's optimiser and schedule given.
    static func config(optimizer: String, schedule: String) -> Data {
        Data(#"""
        {"model": "mlp", "hidden": [4], "inputShape": [3], "outputs": 2, "isClassification": true, "classNames": ["a", "b"],
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
}
