// Every PyTorch reference case whose op Cortex has, checked output by output and gradient by
// gradient within the case's tolerances.
import Foundation
import Testing
import Cortex

struct CaseOutcome {
    var passed = 0, failed = 0, skipped = 0
    var failures: [String] = []
}

/// |actual − expected| ≤ atol + rtol·|expected| everywhere; a description of the worst element otherwise.
func mismatch(_ actual: Tensor, _ expected: Tensor, rtol: Float, atol: Float) -> String? {
    guard actual.shape == expected.shape else { return "shape \(actual.shape), expected \(expected.shape)" }
    let a = actual.scalars, e = expected.scalars
    var worst: (index: Int, excess: Float)? = nil
    for i in a.indices {
        let bound = atol + rtol * abs(e[i])
        let same = a[i] == e[i] || (a[i].isNaN && e[i].isNaN)
        let excess = same ? 0 : (abs(a[i] - e[i]).isNaN ? .infinity : abs(a[i] - e[i]) - bound)
        if excess > 0 && excess > (worst?.excess ?? 0) { worst = (i, excess) }
    }
    guard let worst else { return nil }
    return "element \(worst.index): got \(a[worst.index]), expected \(e[worst.index])"
}

func runParityCases(in directory: URL) throws -> CaseOutcome {
    let manifestData = try Data(contentsOf: directory.appendingPathComponent("manifest.json"))
    guard let manifest = try JSONSerialization.jsonObject(with: manifestData) as? [String: Any],
          let cases = manifest["cases"] as? [[String: Any]] else { throw ParityError("manifest.json has no cases") }
    let archive = try SafetensorsArchive(contentsOf: directory.appendingPathComponent("cases.safetensors"))
    var outcome = CaseOutcome()
    for json in cases {
        let c = try ParityCase(json)
        guard let runner = parityRunners[c.op] else {
            if laterWorkOps.contains(c.op) { outcome.skipped += 1 } else {
                outcome.failed += 1
                outcome.failures.append("\(c.name): no Cortex runner for op '\(c.op)'")
            }
            continue
        }
        do {
            if let problem = try check(c, runner, archive) {
                outcome.failed += 1
                outcome.failures.append("\(c.name): \(problem)")
            } else {
                outcome.passed += 1
            }
        } catch {
            outcome.failed += 1
            outcome.failures.append("\(c.name): \(error)")
        }
    }
    return outcome
}

/// Runs one case; nil when every output and gradient matches.
private func check(_ c: ParityCase, _ runner: ParityRunner, _ archive: SafetensorsArchive) throws -> String? {
    var inputs: [String: Tensor] = [:]
    for name in c.inputs {
        let t = try archive.tensor("\(c.name)/\(name)")
        if c.grads[name] != nil { t.requiresGrad = true }
        inputs[name] = t
    }
    var visible = inputs
    for name in c.outputs { visible["expected/\(name)"] = try archive.tensor("\(c.name)/\(name)") }
    let outputs = try runner(c, visible)
    guard outputs.count == c.outputs.count else { return "returned \(outputs.count) outputs, manifest lists \(c.outputs.count)" }
    for (name, actual) in zip(c.outputs, outputs) {
        let expected = try archive.tensor("\(c.name)/\(name)")
        if let problem = mismatch(actual.to(.float32), expected.to(.float32), rtol: c.rtol, atol: c.atol) {
            return "output \(name): \(problem)"
        }
    }
    guard !c.grads.isEmpty else { return nil }
    var total: Tensor? = nil
    for (name, output) in zip(c.outputs, outputs) where output.requiresGrad {
        guard archive.entries["\(c.name)/cotangent_\(name)"] != nil else { continue }
        let term = (output * (try archive.tensor("\(c.name)/cotangent_\(name)"))).sum()
        total = total.map { $0 + term } ?? term
    }
    guard let total else { return "no differentiable output to take gradients of" }
    total.backward()
    for (inputName, gradName) in c.grads.sorted(by: { $0.key < $1.key }) {
        guard let grad = (c.gradientSources.tensors[inputName] ?? inputs[inputName])?.grad else {
            return "no gradient reached input \(inputName)"
        }
        let expected = try archive.tensor("\(c.name)/\(gradName)")
        if let problem = mismatch(grad, expected, rtol: c.rtol, atol: c.atol) { return "gradient of \(inputName): \(problem)" }
    }
    return nil
}

@Suite("PyTorch parity")
struct TorchParityTests {
    /// Runs every case in `directory`, prints the outcome under `label`, and expects no failure.
    private func expectAllPass(in directory: URL, label: String) throws {
        let outcome = try runParityCases(in: directory)
        for failure in outcome.failures { print("\(label) FAIL \(failure)") }
        print("\(label) fixtures: \(directory.path)")
        print("\(label) on \(Device.default): \(outcome.passed) passed, \(outcome.failed) failed, \(outcome.skipped) skipped")
        #expect(outcome.failed == 0, "\(outcome.failures.joined(separator: "\n"))")
        #expect(outcome.passed > 0)
    }

    @Test("every reference case of a covered op matches PyTorch")
    func referenceCases() throws { try expectAllPass(in: Fixtures.torchDirectory, label: "parity") }

    @Test("every recurrent, attention and Transformer reference case matches PyTorch")
    func sequenceCases() throws { try expectAllPass(in: Fixtures.torchSequenceDirectory, label: "sequence parity") }
}
