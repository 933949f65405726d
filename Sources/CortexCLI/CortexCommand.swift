// The `cortex` command line: the entry point and its subcommands, and the one place where an error
// from anywhere below becomes the single plain line a user reads.
import ArgumentParser
import CortexDistributed
import Cortex
import CortexRuns
import Foundation

@main
struct CortexCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cortex",
        abstract: "Cortex: deep learning in Swift — tensors, autograd and a fast CPU engine.",
        version: cortexVersion,
        subcommands: [DemoCommand.self, TrainCommand.self, EvaluateCommand.self, PredictCommand.self, ExplainCommand.self, InspectCommand.self,
                      GenerateCommand.self, EncodeCommand.self, EmbedCommand.self, SimilarCommand.self, AppCommand.self, BenchCommand.self]
    )

    /// As ArgumentParser's own main, except that errors from Foundation (file system, JSON) are turned into
    /// plain words first instead of printed as raw NSError dumps.
    static func main() {
        do {
            // Checked before anything computes: the engine would otherwise stop on it at its first parallel loop.
            _ = try Threads.environmentCount()
            var command = try parseAsRoot()
            try command.run()
        } catch let error as PlainError {
            fail(error)
        } catch let error as ThreadCountError {
            fail(PlainError(error.description))
        } catch where error is CocoaError || type(of: error) == NSError.self {
            fail(PlainError(plainDescription(error)))
        } catch {
            fail(error)
        }
    }

    /// Exits with the error; under mpirun, first ends every rank's part of the job, so none waits for ever on this one.
    private static func fail(_ error: Error) -> Never {
        if !(error is ExitCode) && !(error is CleanExit) && !(error is ValidationError) {
            ProcessGroup.abortJob(because: "\(error)")
        }
        exit(withError: error)
    }
}
