// `cortex inspect`: a trained run's model as the graph of ops one forward pass runs — op, output shape,
// parameters and FLOPs per op, and totals — traced in evaluation mode on one example.
import ArgumentParser
import Cortex
import CortexModels
import Foundation

struct InspectCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "inspect", abstract: "Print a run's model as a graph of ops, with shapes, parameters and FLOPs.")

    @Option(name: .customLong("run"), help: "The run directory written by `cortex train` or `cortex demo`.")
    var runDirectory: String

    func run() throws {
        let directory = URL(fileURLWithPath: runDirectory)
        let config = try RunConfig.read(from: directory)
        let model = try config.loadModel(from: directory)
        let example = Tensor.zeros([1] + config.inputShape)
        let graph = noGrad { Tracer.trace(model, inputs: [example]) { model($0[0]) } }
        print("\(config.model) on inputs of shape \(config.inputShape), batch 1, evaluation mode")
        print(graph)
        print("parameters in the model: \(model.parameterCount)")
    }
}
