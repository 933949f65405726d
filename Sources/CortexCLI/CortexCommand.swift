// The `cortex` command line: the entry point and its subcommands, and the one place where an error
// from anywhere below becomes the single plain line a user reads.
import ArgumentParser
import CortexDistributed
import Cortex
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
        } catch let error as CLIError {
            fail(error)
        } catch let error as ThreadCountError {
            fail(CLIError(error.description))
        } catch where error is CocoaError || type(of: error) == NSError.self {
            fail(CLIError(plainDescription(error)))
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

/// A one-line error for the command line.
struct CLIError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// What went wrong in plain words: "/x/y: permission denied" rather than an NSCocoaErrorDomain dump;
/// without the path when `namingPath` is false (the caller names it).
func plainDescription(_ error: Error, namingPath: Bool = true) -> String {
    let ns = error as NSError
    guard ns.domain == NSCocoaErrorDomain || ns.domain == NSPOSIXErrorDomain else { return "\(error)" }
    let path = namingPath ? (ns.userInfo[NSFilePathErrorKey] as? String) ?? (ns.userInfo[NSURLErrorKey] as? URL)?.path : nil
    var reason: String?
    if let underlying = ns.userInfo[NSUnderlyingErrorKey] as? NSError, underlying.domain == NSPOSIXErrorDomain {
        reason = String(cString: strerror(Int32(underlying.code))).lowercased()
    } else if ns.domain == NSPOSIXErrorDomain {
        reason = String(cString: strerror(Int32(ns.code))).lowercased()
    } else {
        switch CocoaError.Code(rawValue: ns.code) {
        case .fileNoSuchFile, .fileReadNoSuchFile: reason = "no such file or directory"
        case .fileReadNoPermission, .fileWriteNoPermission: reason = "permission denied"
        case .fileWriteOutOfSpace: reason = "no space left on the device"
        case .fileWriteVolumeReadOnly: reason = "read-only file system"
        case .fileWriteFileExists: reason = "a file is in the way"
        default: reason = nil
        }
    }
    switch (path, reason) {
    case let (path?, reason?): return "\(path): \(reason)"
    case let (nil, reason?): return reason
    case let (path?, nil): return "\(path): \(ns.localizedDescription)"
    default: return ns.localizedDescription
    }
}
