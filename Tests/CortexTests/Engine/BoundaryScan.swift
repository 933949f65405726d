// The device boundary as a rule on source text: above CortexEngine, no file imports the C modules and
// no op, layer, optimiser or training code touches a raw pointer. (Storage's memory is internal to the
// engine, so the compiler already keeps Cortex out of device memory; this scan keeps pointer code from
// growing back above the engine in any other form.)
import Foundation

enum BoundaryScan {
    /// Files above the engine that may use pointers because they parse host bytes from files or call the
    /// operating system — never tensor memory, which they reach only through `Tensor(bytes:)` and `bytes`.
    static let hostByteFiles: [String: String] = [
        "Sources/CortexData/CSVTableBuilder.swift": "fills a host [Float] matrix from parsed cells",
        "Sources/CortexData/CSVTokenizer.swift": "splits the file's bytes into fields",
        "Sources/CortexData/DecimalParsing.swift": "parses numbers from the file's bytes",
        "Sources/CortexData/IDX.swift": "reads big-endian IDX bytes into a host byte array",
        "Sources/CortexData/Inflate.swift": "zlib's C API takes pointers",
        "Sources/CortexData/NPY.swift": "converts .npy bytes into a host byte array",
        "Sources/CortexData/NPYHeader.swift": "parses the .npy header bytes",
        "Sources/CortexData/NPZ.swift": "walks the zip archive's bytes",
        "Sources/CortexData/ScikitLearnCSV.swift": "parses numbers from the file's bytes",
        "Sources/CortexCore/IO/Safetensors.swift": "reads and writes the file's bytes",
        "Sources/CortexDistributed/GradientBuckets.swift": "host buffers that MPI's non-blocking all-reduce holds until it completes",
        "Sources/CortexRuns/RunDirectory.swift": "renameat2 through dlsym",
    ]

    /// Text that marks a crossing of the boundary, and why it is one.
    static let forbidden: [(pattern: String, reason: String, pointerRule: Bool)] = [
        ("import CBLAS", "imports the BLAS C module", false),
        ("import CCortexKernels", "imports the C kernels", false),
        ("floatPointer", "reads tensor memory through a pointer", false),
        ("rawPointer", "reads tensor memory through a pointer", false),
        ("TensorBuffer", "names the engine's memory blocks", false),
        ("Unsafe", "uses a raw pointer", true),
        ("assumingMemoryBound", "reinterprets raw memory", true),
    ]

    struct Violation: CustomStringConvertible, Equatable {
        let file: String, line: Int, text: String, reason: String
        var description: String { "\(file):\(line): \(reason): \(text)" }
    }

    /// Every violation under `root`/Sources, outside CortexEngine and the C targets.
    static func violations(under root: URL) -> [Violation] {
        let sources = root.appendingPathComponent("Sources")
        guard let walker = FileManager.default.enumerator(at: sources, includingPropertiesForKeys: nil) else { return [] }
        var found: [Violation] = []
        for case let url as URL in walker where url.pathExtension == "swift" {
            let relative = String(url.path.dropFirst(root.path.count + 1))
            let target = relative.split(separator: "/").dropFirst().first.map(String.init) ?? ""
            if ["CortexEngine", "CCortexKernels", "CBLAS", "CZlib"].contains(target) { continue }
            guard let text = try? String(contentsOf: url, encoding: .utf8) else { continue }
            for (number, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
                let code = line.trimmingCharacters(in: .whitespaces)
                if code.hasPrefix("//") { continue }
                for rule in forbidden where code.contains(rule.pattern) {
                    if rule.pointerRule && hostByteFiles[relative] != nil { continue }
                    found.append(Violation(file: relative, line: number + 1, text: code, reason: rule.reason))
                }
            }
        }
        return found
    }
}
