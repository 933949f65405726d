// Building a Sequential model from a one-line text spec, with shapes inferred layer by layer, so
// the command line can train architectures without Swift code:
//   "conv(32,3,padding=1), bn, relu, maxpool(2), flatten, dropout(0.25), linear(10)"
import CortexCore
import Foundation

/// A layer spec that cannot be built, with the offending item and the reason.
public struct LayerSpecError: Error, CustomStringConvertible {
    public let description: String
    init(_ item: String, _ reason: String) { description = "layer spec: '\(item)': \(reason)" }
}

public enum LayerSpec {
    /// The grammar, for help texts.
    public static let help = """
        comma-separated layers: linear(N) | conv(C,K[,stride=S][,padding=P]) | maxpool(K[,stride=S]) | \
        avgpool(K[,stride=S]) | bn | layernorm | dropout(P) | flatten | relu | leakyrelu | gelu | silu | tanh | sigmoid
        """

    /// Builds the layers for inputs of `inputShape` (per example: [features] or [C, H, W]). A model whose
    /// float32 parameters would take more than `memoryLimit` bytes (default: half the machine's memory) is
    /// refused before any layer is allocated.
    public static func build(_ spec: String, inputShape: [Int], seed: UInt64 = 0, memoryLimit: Int? = nil) throws -> Sequential {
        let generator = RandomGenerator(seed: seed)
        var shape = inputShape
        var layers: [any Layer] = []
        var budget = ParameterBudget(limitBytes: memoryLimit)
        let items = try split(spec)
        guard !items.isEmpty else { throw LayerSpecError(spec, "no layers") }
        for (index, item) in items.enumerated() {
            let (name, positional, named) = try parse(item)
            func int(_ i: Int, _ key: String? = nil, default value: Int? = nil) throws -> Int {
                // Sizes are capped at 2^50 so that shape arithmetic cannot overflow; the budget catches what is too big.
                if let key, let v = named[key] {
                    guard let n = Int(v), n > 0 || (key == "padding" && n == 0), n <= 1 << 50 else {
                        throw LayerSpecError(item, "\(key) must be a \(key == "padding" ? "non-negative" : "positive") integer up to 2^50")
                    }
                    return n
                }
                if i < positional.count {
                    guard let n = Int(positional[i]), n > 0, n <= 1 << 50 else { throw LayerSpecError(item, "argument \(i + 1) must be a positive integer up to 2^50") }
                    return n
                }
                if let value { return value }
                throw LayerSpecError(item, "missing argument \(i + 1)")
            }
            func requireImage() throws -> (Int, Int, Int) {
                guard shape.count == 3 else { throw LayerSpecError(item, "needs (channels, height, width) input, but the shape here is \(shape)") }
                return (shape[0], shape[1], shape[2])
            }
            switch name {
            case "linear", "dense":
                let out = try int(0)
                guard shape.count == 1 else { throw LayerSpecError(item, "needs flat input; add 'flatten' before it (shape here: \(shape))") }
                try budget.add("layer spec: '\(item)'", [[shape[0], out], [out]])
                layers.append(Linear(shape[0], out, generator: generator))
                shape = [out]
            case "conv":
                let (c, h, w) = try requireImage()
                let out = try int(0), k = try int(1), s = try int(2, "stride", default: 1), p = try int(3, "padding", default: 0)
                let oh = (h + 2 * p - k) / s + 1, ow = (w + 2 * p - k) / s + 1
                guard oh > 0 && ow > 0 else { throw LayerSpecError(item, "kernel \(k) does not fit the \(h)×\(w) input") }
                try budget.add("layer spec: '\(item)'", [[out, c, k, k], [out]])
                layers.append(Conv2d(c, out, kernelSize: k, stride: s, padding: p, generator: generator))
                shape = [out, oh, ow]
            case "maxpool", "avgpool":
                let (c, h, w) = try requireImage()
                let k = try int(0), s = try int(1, "stride", default: k)
                guard h >= k && w >= k else { throw LayerSpecError(item, "window \(k) is larger than the \(h)×\(w) input") }
                layers.append(name == "maxpool" ? MaxPool2d(k, stride: s) as any Layer : AvgPool2d(k, stride: s))
                shape = [c, (h - k) / s + 1, (w - k) / s + 1]
            case "bn", "batchnorm":
                try budget.add("layer spec: '\(item)'", [[4, shape[0]]])
                layers.append(shape.count == 3 ? BatchNorm2d(shape[0]) as any Layer : BatchNorm1d(shape[0]))
            case "layernorm":
                try budget.add("layer spec: '\(item)'", [[2] + shape])
                layers.append(LayerNorm(shape))
            case "dropout":
                let p = positional.first.flatMap(Float.init) ?? 0.5
                guard (0..<1).contains(p) else { throw LayerSpecError(item, "probability must be in [0, 1)") }
                layers.append(Dropout(p, generator: RandomGenerator(seed: seed &+ UInt64(index) &+ 1)))
            case "flatten":
                layers.append(Flatten())
                guard let width = checkedProduct(shape) else { throw LayerSpecError(item, "the flattened size of \(shape) overflows") }
                shape = [width]
            case "relu": layers.append(ReLU())
            case "leakyrelu": layers.append(LeakyReLU())
            case "gelu": layers.append(GELU())
            case "silu": layers.append(SiLU())
            case "tanh": layers.append(Tanh())
            case "sigmoid": layers.append(Sigmoid())
            default:
                assert(!layerNames.contains(name), "layerNames lists \(name), which build does not make")
                throw LayerSpecError(item, "unknown layer; \(help)")
            }
        }
        return Sequential(layers)
    }

    /// Every layer name `build` knows.
    static let layerNames: Set<String> = ["linear", "dense", "conv", "maxpool", "avgpool", "bn", "batchnorm", "layernorm", "dropout",
                                          "flatten", "relu", "leakyrelu", "gelu", "silu", "tanh", "sigmoid"]

    /// Checks a spec's form and layer names without building it; its sizes are checked when it is built for an input.
    public static func check(_ spec: String) throws {
        let items = try split(spec)
        guard !items.isEmpty else { throw LayerSpecError(spec, "no layers") }
        for item in items {
            let (name, _, _) = try parse(item)
            guard layerNames.contains(name) else { throw LayerSpecError(item, "unknown layer; \(help)") }
        }
    }

    /// Splits on commas outside parentheses.
    static func split(_ spec: String) throws -> [String] {
        var items: [String] = [], current = "", depth = 0
        for ch in spec {
            if ch == "(" { depth += 1 }
            if ch == ")" { depth -= 1; if depth < 0 { throw LayerSpecError(spec, "unbalanced parentheses") } }
            if ch == "," && depth == 0 {
                items.append(current)
                current = ""
            } else {
                current.append(ch)
            }
        }
        guard depth == 0 else { throw LayerSpecError(spec, "unbalanced parentheses") }
        items.append(current)
        return items.map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
    }

    /// "conv(32,3,padding=1)" → ("conv", ["32", "3"], ["padding": "1"]).
    static func parse(_ item: String) throws -> (String, [String], [String: String]) {
        guard let open = item.firstIndex(of: "(") else { return (item.lowercased(), [], [:]) }
        guard item.hasSuffix(")") else { throw LayerSpecError(item, "missing ')'") }
        let name = item[..<open].trimmingCharacters(in: .whitespaces).lowercased()
        let inside = item[item.index(after: open)..<item.index(before: item.endIndex)]
        var positional: [String] = [], named: [String: String] = [:]
        for part in inside.split(separator: ",").map({ $0.trimmingCharacters(in: .whitespaces) }) {
            if let eq = part.firstIndex(of: "=") {
                named[part[..<eq].trimmingCharacters(in: .whitespaces).lowercased()] = part[part.index(after: eq)...].trimmingCharacters(in: .whitespaces)
            } else {
                positional.append(part)
            }
        }
        return (name, positional, named)
    }
}
