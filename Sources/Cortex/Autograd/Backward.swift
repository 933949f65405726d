// Reverse-mode differentiation: a reverse topological walk from the output that hands each node
// the gradient of its result and accumulates what flows into the leaves.
import CortexEngine

extension Tensor {
    /// Computes gradients of this tensor with respect to every leaf that requires them and adds
    /// them to those leaves' `grad`.
    ///
    /// - Parameters:
    ///   - gradient: the cotangent of `self` (same shape). May be omitted for a one-element tensor,
    ///     where it defaults to 1, as for a scalar loss.
    ///   - retainGraph: keep the graph so `backward` can run through it again; by default the graph
    ///     (and every intermediate it holds) is freed.
    public func backward(_ gradient: Tensor? = nil, retainGraph: Bool = false) {
        require(requiresGrad, "backward: this tensor does not require grad and has no recorded graph")
        let seed: Tensor
        if let gradient {
            require(gradient.shape == shape, "backward: gradient shape \(gradient.shape) does not match tensor shape \(shape)")
            seed = gradient.detach()
        } else {
            require(count == 1, "backward: gradient can be omitted only for a one-element tensor, not shape \(shape)")
            seed = Tensor.ones(shape, device: device)
        }
        noGrad { propagate(seed, retainGraph: retainGraph) }
    }

    private func propagate(_ seed: Tensor, retainGraph: Bool) {
        let order = topologicalOrder()
        var grads: [ObjectIdentifier: Tensor] = [ObjectIdentifier(self): seed]
        for tensor in order.reversed() {
            guard let g = grads.removeValue(forKey: ObjectIdentifier(tensor)) else { continue }
            guard let node = tensor.gradNode else {
                tensor.accumulateGrad(g)
                continue
            }
            if tensor.retainsGrad { tensor.accumulateGrad(g) }
            guard let rule = node.backward else {
                fatalError("backward: the graph through '\(node.name)' was already freed; pass retainGraph: true to the first backward()")
            }
            let inputGrads = rule(g)
            require(inputGrads.count == node.inputs.count, "backward of \(node.name): rule returned \(inputGrads.count) gradients for \(node.inputs.count) inputs")
            for (input, inputGrad) in zip(node.inputs, inputGrads) {
                guard input.requiresGrad, let inputGrad else { continue }
                require(inputGrad.shape == input.shape, "backward of \(node.name): gradient shape \(inputGrad.shape) does not match input shape \(input.shape)")
                let key = ObjectIdentifier(input)
                if let existing = grads[key] { grads[key] = existing + inputGrad } else { grads[key] = inputGrad }
            }
            if !retainGraph {
                node.backward = nil
                node.inputs = []
            }
        }
    }

    private func accumulateGrad(_ g: Tensor) {
        if let existing = grad {
            grad = existing + g
        } else {
            // Own the storage: `g` may share its buffer with another input's gradient (add passes
            // the same tensor to both sides), and optimisers update gradients in place.
            let owned = g.makeOutput(shape, dtype: g.dtype)
            g.copyValues(into: owned)
            grad = owned
        }
    }

    /// Tensors reachable from `self` through recorded nodes, each after all of its inputs.
    private func topologicalOrder() -> [Tensor] {
        var order: [Tensor] = []
        var visited = Set<ObjectIdentifier>()
        // Iterative depth-first search: deep graphs (long RNN unrolls) must not overflow the stack.
        var stack: [(Tensor, Bool)] = [(self, false)]
        while let (tensor, expanded) = stack.popLast() {
            if expanded { order.append(tensor); continue }
            guard visited.insert(ObjectIdentifier(tensor)).inserted else { continue }
            stack.append((tensor, true))
            for input in tensor.gradNode?.inputs ?? [] where input.requiresGrad && !visited.contains(ObjectIdentifier(input)) {
                stack.append((input, false))
            }
        }
        return order
    }
}
