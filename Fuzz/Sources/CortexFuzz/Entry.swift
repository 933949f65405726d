// The libFuzzer entry points: CORTEX_FUZZ_TARGET (idx, idx-gzip, csv, npy, npz, safetensors, checkpoint,
// run-config) chooses which reader each input goes to.
//
// SwiftPM links an executable target with `main` aliased to `CortexFuzz_main` (so tests can link it), so
// that symbol must exist; it hands the command line to libFuzzer's driver, as libFuzzer's own main does.
import Foundation

/// The reader chosen by CORTEX_FUZZ_TARGET, read once; the process stops with the list when it is unset.
private let target: FuzzTarget = {
    let name = ProcessInfo.processInfo.environment["CORTEX_FUZZ_TARGET"] ?? ""
    guard let chosen = FuzzTarget(rawValue: name) else {
        let names = FuzzTarget.allCases.map(\.rawValue).joined(separator: ", ")
        FileHandle.standardError.write(Data("set CORTEX_FUZZ_TARGET to one of: \(names)\n".utf8))
        exit(2)
    }
    return chosen
}()

@_cdecl("LLVMFuzzerTestOneInput")
public func testOneInput(_ start: UnsafePointer<UInt8>?, _ count: Int) -> Int32 {
    target.consume(start.map { Data(bytes: $0, count: count) } ?? Data())
    return 0
}

@_silgen_name("LLVMFuzzerRunDriver")
private func runDriver(_ argc: UnsafeMutablePointer<Int32>,
                       _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
                       _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> Int32) -> Int32

@_cdecl("CortexFuzz_main")
public func fuzzMain(_ argc: Int32, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> Int32 {
    _ = target
    var count = argc
    var arguments = argv
    return runDriver(&count, &arguments) { testOneInput($0, $1) }
}
