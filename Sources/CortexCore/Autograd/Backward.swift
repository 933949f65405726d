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
    ///   - gradientIsReady: called with each leaf as soon as its gradient is complete, while the walk goes on
    ///     (torch's post-accumulate-grad hook): data parallelism starts all-reducing the last layers' gradients
    ///     while the first layers' are still being computed.
    public func backward(_ gradient: Tensor? = nil, retainGraph: Bool = false, gradientIsReady: ((Tensor) -> Void)? = nil) {
        require(requiresGrad, "backward: this tensor does not require grad and has no recorded graph")
        let seed: Tensor
        if let gradient {
            require(gradient.shape == shape, "backward: gradient shape \(gradient.shape) does not match tensor shape \(shape)")
            seed = gradient.detach()
        } else {
            require(count == 1, "backward: gradient can be omitted only for a one-element tensor, not shape \(shape)")
            seed = Tensor.ones(shape, device: device)
        }
        _ = noGrad { propagate(seed, retainGraph: retainGraph, collecting: nil, gradientIsReady: gradientIsReady) }
    }

    /// The gradients of this tensor with respect to `targets` (leaves or intermediates of its graph), as
    /// torch.autograd.grad: nothing is added to any leaf's `grad`, so a model's parameter gradients are left
    /// as they were. A target the graph does not reach gets zeros.
    ///
    /// - Parameters:
    ///   - targets: the tensors to differentiate with respect to.
    ///   - gradient: the cotangent of `self`, as for `backward`; omit it for a one-element tensor.
    ///   - retainGraph: keep the graph for another walk.
    public func gradients(withRespectTo targets: [Tensor], _ gradient: Tensor? = nil, retainGraph: Bool = false) -> [Tensor] {
        require(requiresGrad, "gradients: this tensor does not require grad and has no recorded graph")
        let seed = gradient?.detach() ?? Tensor.ones(shape, device: device)
        require(seed.shape == shape, "gradients: gradient shape \(seed.shape) does not match tensor shape \(shape)")
        require(gradient != nil || count == 1, "gradients: gradient can be omitted only for a one-element tensor, not shape \(shape)")
        let found = noGrad { propagate(seed, retainGraph: retainGraph, collecting: Set(targets.map(ObjectIdentifier.init))) }
        return targets.map { found[ObjectIdentifier($0)] ?? Tensor.zeros(like: $0) }
    }

    /// The reverse walk. With `collecting` nil (backward), leaves accumulate their gradients; otherwise the
    /// gradients of the tensors named there are returned, nothing accumulates, and the walk ends once all
    /// are complete (each tensor's gradient is whole when the reverse topological order reaches it).
    private func propagate(_ seed: Tensor, retainGraph: Bool, collecting wanted: Set<ObjectIdentifier>?,
                           gradientIsReady: ((Tensor) -> Void)? = nil) -> [ObjectIdentifier: Tensor] {
        let order = topologicalOrder()
        var grads: [ObjectIdentifier: Tensor] = [ObjectIdentifier(self): seed]
        var found: [ObjectIdentifier: Tensor] = [:]
        for tensor in order.reversed() {
            let key = ObjectIdentifier(tensor)
            guard let g = grads.removeValue(forKey: key) else { continue }
            if let wanted {
                if wanted.contains(key) {
                    found[key] = g
                    if found.count == wanted.count { break }
                }
                if tensor.gradNode == nil { continue }
            }
            guard let node = tensor.gradNode else {
                // Every contribution was summed before the reverse order reached the leaf: its gradient is whole.
                tensor.accumulateGrad(g)
                gradientIsReady?(tensor)
                continue
            }
            if tensor.retainsGrad && wanted == nil { tensor.accumulateGrad(g) }
            guard let rule = node.backward else {
                fatalError("backward: the graph through '\(node.name)' was already freed; pass retainGraph: true to the first backward()")
            }
            let inputGrads = rule(g)
            require(inputGrads.count == node.inputs.count, "backward of \(node.name): rule returned \(inputGrads.count) gradients for \(node.inputs.count) inputs")
            for (input, inputGrad) in zip(node.inputs, inputGrads) {
                guard input.requiresGrad, let inputGrad else { continue }
                require(inputGrad.shape == input.shape, "backward of \(node.name): gradient shape \(inputGrad.shape) does not match input shape \(input.shape)")
                let inputKey = ObjectIdentifier(input)
                if let existing = grads[inputKey] { grads[inputKey] = existing + inputGrad } else { grads[inputKey] = inputGrad }
            }
            if !retainGraph {
                node.backward = nil
                node.inputs = []
            }
        }
        return found
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
