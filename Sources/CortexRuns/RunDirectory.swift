// A run directory always holds one consistent run: a new or resumed run is trained in a staging
// directory beside it and swapped in only when it has finished, so a failed or killed run never
// mixes its files with the previous run's, and never overwrites them.
import Foundation
#if canImport(Glibc)
import Glibc
#endif

package struct RunDirectory {
    /// Where the finished run lives (`--output`).
    package let final: URL
    /// Where this run is written until it finishes: `.NAME.partial` beside `final`.
    package let staging: URL

    package init(_ path: String) {
        final = URL(fileURLWithPath: path).standardizedFileURL
        staging = final.deletingLastPathComponent().appendingPathComponent(".\(final.lastPathComponent).partial")
    }

    private static let manager = FileManager.default

    /// What a run directory holds; anything else in --output means it is not one.
    package static let runFiles: Set<String> = ["model.safetensors", "config.json", "history.csv", "checkpoint.safetensors", "report.html",
                                        "language-model.json", "generative-model.json", "epoch-samples.safetensors", "classifier.safetensors",
                                        "fine-tune", "samples.png", "diagnostics.json", "explain.html"]

    /// Whether `name` is something a run writes: one of `runFiles`, or a DBN's per-layer checkpoint folder.
    package static func isRunFile(_ name: String) -> Bool {
        runFiles.contains(name) || (name.hasPrefix("layer-") && Int(name.dropFirst("layer-".count)) != nil)
    }

    /// Whether `url` holds a checkpoint and config to continue from.
    private static func isResumable(_ url: URL) -> Bool {
        let exists = { (name: String) in manager.fileExists(atPath: url.appendingPathComponent(name).path) }
        // A generative run keeps its config in generative-model.json, and a DBN's checkpoints in one folder per stage.
        if exists("generative-model.json") {
            return exists("checkpoint.safetensors") || ["layer-1", "fine-tune"].contains { exists("\($0)/checkpoint.safetensors") }
        }
        return ["checkpoint.safetensors", "config.json"].allSatisfy(exists)
    }

    /// Visible entries of a directory (none when it does not exist).
    private static func contents(_ url: URL) -> [String] {
        ((try? manager.contentsOfDirectory(atPath: url.path)) ?? []).filter { !$0.hasPrefix(".") }.sorted()
    }

    /// Makes the staging directory ready and says which run, if any, to continue from.
    ///
    /// A new run needs an empty or absent `final`, or `overwrite`. `resume` continues the unfinished run in
    /// the staging directory when there is one (a killed or failed run), else the finished run in `final`
    /// (copied into staging first). Temporary files left by a killed atomic write are removed.
    /// `unfinished` says whether the staging directory holds an unfinished run from before (which a
    /// failure must leave alone) rather than one made just now (which a failure should remove).
    package func prepareStaging(resume: Bool, overwrite: Bool, log: (String) -> Void = { print($0) }) throws -> (resumeFrom: URL?, unfinished: Bool) {
        var isDirectory: ObjCBool = false
        if Self.manager.fileExists(atPath: final.path, isDirectory: &isDirectory), !isDirectory.boolValue {
            throw PlainError("--output \(final.path) is a file; give a directory for the run")
        }
        do {
            try Self.manager.createDirectory(at: final.deletingLastPathComponent(), withIntermediateDirectories: true)
        } catch {
            throw PlainError("cannot create the directory for --output \(final.path) (\(plainDescription(error, namingPath: false))): "
                           + "choose an --output where you can write")
        }
        guard Self.manager.isWritableFile(atPath: final.deletingLastPathComponent().path) else {
            throw PlainError("cannot write the run to \(final.path): permission denied in \(final.deletingLastPathComponent().path)")
        }
        removeStaleTemporaryFiles(in: final)
        removeStaleTemporaryFiles(in: staging)
        if resume {
            if Self.isResumable(staging) {
                log("resuming the unfinished run in \(staging.path)")
                return (staging, true)
            }
            guard Self.isResumable(final) else {
                throw PlainError("nothing to resume in \(final.path): it holds no checkpoint.safetensors and config.json "
                               + "(train without --resume to start a run)")
            }
            try replaceStaging { try Self.manager.copyItem(at: final, to: staging) }
            log("resuming the run in \(final.path)")
            return (staging, false)
        }
        let existing = Self.contents(final)
        let foreign = existing.filter { !Self.isRunFile($0) }
        if !foreign.isEmpty {
            // Replacing swaps the whole directory out: never do that to files that are not a run's.
            throw PlainError("--output \(final.path) holds files that are not a Cortex run (\(foreign.prefix(5).joined(separator: ", "))"
                           + "\(foreign.count > 5 ? ", …" : "")); choose a new or empty directory for the run")
        }
        if !existing.isEmpty && !overwrite {
            throw PlainError("--output \(final.path) already holds a run (\(existing.prefix(5).joined(separator: ", "))"
                           + "\(existing.count > 5 ? ", …" : "")): use --resume to continue it, --overwrite to replace it, "
                           + "or choose another --output")
        }
        try replaceStaging { try Self.manager.createDirectory(at: staging, withIntermediateDirectories: false) }
        return (nil, false)
    }

    private func replaceStaging(_ make: () throws -> Void) throws {
        do {
            if Self.manager.fileExists(atPath: staging.path) { try Self.manager.removeItem(at: staging) }
            try make()
        } catch {
            throw PlainError("cannot write the run beside --output \(final.path) (\(plainDescription(error, namingPath: false))): "
                           + "choose an --output where you can write")
        }
    }

    /// Atomic writes go through `.NAME.UUID.tmp`; a kill between write and rename leaves one behind.
    private func removeStaleTemporaryFiles(in directory: URL) {
        for name in (try? Self.manager.contentsOfDirectory(atPath: directory.path)) ?? [] where name.hasPrefix(".") && name.hasSuffix(".tmp") {
            try? Self.manager.removeItem(at: directory.appendingPathComponent(name))
        }
    }

    /// Removes the staging directory (a run that failed before it trained).
    /// The model kind of the generative run to resume (the unfinished one first), or nil when it is not one.
    package func savedGenerativeKind() throws -> GenerativeKind? {
        for url in [staging, final] where GenerativeRunConfig.exists(in: url) {
            return GenerativeKind(rawValue: try GenerativeRunConfig.read(from: url).model)
        }
        return nil
    }

    package func discardStaging() { try? Self.manager.removeItem(at: staging) }

    /// Whether the staging directory holds a checkpoint worth resuming (else it is removed: nothing ran).
    package func keepIfResumable() -> Bool {
        if Self.isResumable(staging) { return true }
        try? Self.manager.removeItem(at: staging)
        return false
    }

    /// Puts the finished run in place of `final` in one step (an atomic exchange where the system has one).
    package func commit() throws {
        if Self.manager.fileExists(atPath: final.path) {
            if Self.exchange(staging.path, final.path) {
                try? Self.manager.removeItem(at: staging)
                return
            }
            let old = final.deletingLastPathComponent().appendingPathComponent(".\(final.lastPathComponent).old-\(getpid())")
            do {
                try Self.manager.moveItem(at: final, to: old)
                try Self.manager.moveItem(at: staging, to: final)
            } catch {
                throw PlainError("cannot move the finished run from \(staging.path) to \(final.path): \(plainDescription(error))")
            }
            try? Self.manager.removeItem(at: old)
        } else {
            do { try Self.manager.moveItem(at: staging, to: final) } catch {
                throw PlainError("cannot move the finished run from \(staging.path) to \(final.path): \(plainDescription(error))")
            }
        }
    }

    /// Swaps two paths atomically with Linux's renameat2(RENAME_EXCHANGE): no moment without a run.
    /// Looked up at run time (glibc 2.28+ has it, but its header declares it only under _GNU_SOURCE);
    /// false where it is missing or the file system refuses, and the caller falls back to two renames.
    private static func exchange(_ a: String, _ b: String) -> Bool {
        #if canImport(Glibc)
        typealias RenameAt2 = @convention(c) (Int32, UnsafePointer<CChar>, Int32, UnsafePointer<CChar>, UInt32) -> Int32
        guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "renameat2") else { return false }
        let renameat2 = unsafeBitCast(symbol, to: RenameAt2.self)
        let renameExchange: UInt32 = 2   // RENAME_EXCHANGE in <linux/fs.h>
        return renameat2(AT_FDCWD, a, AT_FDCWD, b, renameExchange) == 0
        #else
        return false
        #endif
    }
}
