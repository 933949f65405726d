// The `cortex` command line: the entry point and its subcommands.
import ArgumentParser
import Cortex

@main
struct CortexCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cortex",
        abstract: "Cortex: deep learning in Swift — tensors, autograd and a fast CPU engine.",
        version: cortexVersion,
        subcommands: [DemoCommand.self, TrainCommand.self, EvaluateCommand.self, PredictCommand.self, BenchCommand.self]
    )
}
