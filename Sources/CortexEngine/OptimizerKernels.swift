// Fused optimiser updates over raw parameter buffers: one C pass per chunk, chunks spread over the
// engine's threads. The optimiser step is memory-bound, so both cores' bandwidth is what it needs.
import CCortexKernels

public enum OptimizerKernels {
    /// Elements per thread below which the update runs on one thread (a few microseconds of work).
    public static let grain = 1 << 15

    /// One Adam/AdamW step in place (see `ck_adam_update`); `vMax` is the AMSGrad maximum, or nil.
    public static func adam(parameter p: UnsafeMutablePointer<Float>, gradient g: UnsafePointer<Float>,
                            firstMoment m: UnsafeMutablePointer<Float>, secondMoment v: UnsafeMutablePointer<Float>,
                            maxSecondMoment vMax: UnsafeMutablePointer<Float>?, count: Int, stepSize: Float,
                            beta1: Float, beta2: Float, correction2: Float, eps: Float, weightDecay: Float,
                            shrink: Float, decoupled: Bool) {
        Parallel.forRange(count, grain: grain) { range in
            let o = range.lowerBound
            ck_adam_update(p + o, g + o, m + o, v + o, vMax.map { $0 + o }, range.count, stepSize, beta1, beta2,
                           correction2, eps, weightDecay, shrink, decoupled ? 1 : 0)
        }
    }

    /// One SGD step in place (see `ck_sgd_update`); `momentumBuffer` nil means no momentum.
    public static func sgd(parameter p: UnsafeMutablePointer<Float>, gradient g: UnsafePointer<Float>,
                           momentumBuffer b: UnsafeMutablePointer<Float>?, count: Int, learningRate: Float,
                           weightDecay: Float, momentum: Float, dampening: Float, firstStep: Bool, nesterov: Bool) {
        Parallel.forRange(count, grain: grain) { range in
            let o = range.lowerBound
            ck_sgd_update(p + o, g + o, b.map { $0 + o }, range.count, learningRate, weightDecay, momentum, dampening,
                          firstStep ? 1 : 0, nesterov ? 1 : 0)
        }
    }
}
