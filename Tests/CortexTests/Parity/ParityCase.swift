// One PyTorch reference case from manifest.json, with typed access to its attributes.
import Foundation
import Cortex

struct ParityCase {
    let name: String
    let op: String
    let attributes: [String: Any]
    let inputs: [String]
    let outputs: [String]
    /// Input name → tensor name of its expected gradient.
    let grads: [String: String]
    let rtol: Float
    let atol: Float
    /// Where a runner that copies inputs into a module's own parameters says whose gradient to compare.
    let gradientSources = GradientSources()

    init(_ json: [String: Any]) throws {
        guard let name = json["name"] as? String, let op = json["op"] as? String else {
            throw ParityError("manifest case without name/op: \(json)")
        }
        self.name = name
        self.op = op
        attributes = json["attributes"] as? [String: Any] ?? [:]
        inputs = json["inputs"] as? [String] ?? []
        outputs = json["outputs"] as? [String] ?? []
        grads = json["grads"] as? [String: String] ?? [:]
        rtol = Float((json["rtol"] as? Double) ?? 1e-4)
        atol = Float((json["atol"] as? Double) ?? 1e-5)
    }

    func int(_ key: String) throws -> Int {
        guard let v = attributes[key] as? Int else { throw ParityError("\(name): attribute \(key) missing or not an integer") }
        return v
    }
    func int(_ key: String, default value: Int) -> Int { attributes[key] as? Int ?? value }
    func ints(_ key: String) throws -> [Int] {
        if let v = attributes[key] as? [Int] { return v }
        if let v = attributes[key] as? Int { return [v] }
        throw ParityError("\(name): attribute \(key) missing or not integers")
    }
    /// nil when the attribute is JSON null or absent.
    func optionalInts(_ key: String) -> [Int]? {
        if let v = attributes[key] as? [Int] { return v }
        if let v = attributes[key] as? Int { return [v] }
        return nil
    }
    func float(_ key: String, default value: Float? = nil) throws -> Float {
        if let v = attributes[key] as? Double { return Float(v) }
        if let value { return value }
        throw ParityError("\(name): attribute \(key) missing or not a number")
    }
    func bool(_ key: String, default value: Bool) -> Bool { attributes[key] as? Bool ?? value }
    func string(_ key: String, default value: String) -> String { attributes[key] as? String ?? value }
}

struct ParityError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// Input name → the tensor whose gradient stands for that input's (a module parameter the runner loaded
/// the input's values into).
final class GradientSources {
    var tensors: [String: Tensor] = [:]
}
