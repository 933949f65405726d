// Converting between element types: float32 for compute, narrower floats for storage, integers
// for labels and indices. Conversion to float32 is differentiable (gradients flow back as float32).
import CortexEngine

extension Tensor {
    /// This tensor's values in `dtype` (a copy made on the device; `self` when the type already matches).
    /// Float→integer truncates toward zero; anything→bool is "non-zero"; integers convert exactly.
    public func to(_ target: DType) -> Tensor {
        if target == dtype { return self }
        let source = contiguousStorage()
        let out = makeOutput(shape, dtype: target)
        backend.cast(source.operand, into: out.operand)
        if target == .float32 && dtype.isFloatingPoint {
            let sourceType = dtype
            return out.recordingGrad("to(float32)", inputs: [self]) { g in [g.to(sourceType)] }
        }
        return out
    }

    /// Indices as a contiguous int64 tensor on this tensor's device (accepts any integer dtype).
    func indexTensor(op: String) -> Tensor {
        require(dtype.isInteger, "\(op): indices must be an integer tensor, got \(dtype)")
        return to(.int64).contiguousStorage()
    }
}
