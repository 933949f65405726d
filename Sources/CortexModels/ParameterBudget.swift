// Refusing a model that cannot be allocated, before any of it is: sizes from a command line or a
// config file are counted with overflow checks and compared with the machine's memory.
import CortexCore
import CortexData
import Foundation

/// A model whose parameters would not fit in memory (or whose count overflows).
public struct ModelSizeError: Error, CustomStringConvertible {
    public let description: String
    init(_ description: String) { self.description = description }
}

/// Running total of a model's parameters while it is planned.
struct ParameterBudget {
    private(set) var total = 0
    /// By default half the machine's memory: the weights, their gradients and Adam's two moments each take as much.
    let limitBytes: Int

    init(limitBytes: Int? = nil) {
        self.limitBytes = limitBytes ?? Int(min(ProcessInfo.processInfo.physicalMemory / 2, UInt64(Int.max)))
    }

    /// Adds a layer of `products` (each a product of `factors`) parameters, or throws naming `layer`.
    mutating func add(_ layer: String, _ products: [[Int]]) throws {
        var count = 0
        for factors in products {
            if let f = factors.first(where: { $0 < 0 }) { throw ModelSizeError("\(layer): negative size \(f)") }
            guard let product = checkedProduct(factors) else { throw tooLarge(layer, exact: nil) }
            let (sum, overflow) = count.addingReportingOverflow(product)
            guard !overflow else { throw tooLarge(layer, exact: nil) }
            count = sum
        }
        let (sum, overflow) = total.addingReportingOverflow(count)
        guard !overflow, sum <= limitBytes / 4 else { throw tooLarge(layer, exact: overflow ? nil : count) }
        total = sum
    }

    private func tooLarge(_ layer: String, exact count: Int?) -> ModelSizeError {
        let size = count.map { "\($0) parameters (\(ByteCount.text(Double($0) * 4)) as float32)" } ?? "more than 2^63 parameters"
        return ModelSizeError("\(layer) needs \(size); the limit is \(ByteCount.text(Double(limitBytes))) of weights "
                              + "(half of this machine's \(ByteCount.text(Double(ProcessInfo.processInfo.physicalMemory))), "
                              + "and training needs about four times the weights)")
    }
}

/// The product of `dims`, or nil when it overflows `Int`.
func checkedProduct(_ dims: [Int]) -> Int? {
    var product = 1
    for d in dims {
        let (p, overflow) = product.multipliedReportingOverflow(by: d)
        if overflow { return nil }
        product = p
    }
    return product
}
