// Round tick values for chart axes ("nice numbers"), and their labels.
import Cortex
import Foundation

/// The ticks of one chart axis: multiples of a round step (1, 2 or 5 times a power of ten) from a
/// first tick at or below the data to a last tick at or above it, so the axis starts and ends on a
/// labelled value and every label is short.
struct AxisTicks: Equatable, Sendable {
    /// The axis range: the first and last tick.
    let lower: Double, upper: Double
    let step: Double
    let values: [Double]

    /// Ticks covering `low...high` with about `targetCount` values. Non-finite bounds fall back to
    /// 0...1; an empty range (one point, a constant series) is widened so it still has an extent.
    /// With `integerStep`, the step is at least 1 (epochs have no half values).
    init(covering low: Double, _ high: Double, targetCount: Int = 6, integerStep: Bool = false) {
        var lo = low.isFinite ? low : 0, hi = high.isFinite ? high : 1
        if lo > hi { swap(&lo, &hi) }
        // Beyond this, `hi - lo` overflows; no chart needs it.
        lo = max(lo, -1e300)
        hi = min(hi, 1e300)
        if hi - lo <= Swift.max(abs(hi), abs(lo)) * 1e-12 {
            let pad = integerStep ? 1 : (lo == 0 ? 1 : abs(lo) * 0.1)
            lo -= pad
            hi += pad
        }
        var step = AxisTicks.roundStep(atLeast: (hi - lo) / Double(Swift.max(targetCount - 1, 1)))
        if integerStep { step = Swift.max(step, 1) }
        self.init(lower: AxisTicks.multiple(of: step, below: lo), upper: AxisTicks.multiple(of: step, above: hi), step: step)
    }

    /// Ticks every `step` from `lower` to `upper`, for axes whose range is known beforehand
    /// (rates on a ROC chart run from 0 to 1 whatever the data).
    init(lower: Double, upper: Double, step: Double) {
        let count = Swift.min(Int(((upper - lower) / step).rounded()), 1000)
        let scale = pow(10, Double(AxisTicks.decimals(for: step)))
        // Snap to the step's decimals: 3 × 0.1 is 0.30000000000000004 in binary floating point.
        let values = (0...Swift.max(count, 0)).map { i in
            let v = ((lower + Double(i) * step) * scale).rounded() / scale
            return v == 0 ? 0 : v  // no "-0" labels
        }
        self.values = values
        self.lower = values.first ?? lower
        self.upper = values.last ?? upper
        self.step = step
    }

    /// Where `value` falls on the axis, from 0 at `lower` to 1 at `upper`.
    func fraction(_ value: Double) -> Double {
        upper > lower ? (value - lower) / (upper - lower) : 0.5
    }

    /// The label of a tick: as many decimals as the step needs, the same on every tick of the
    /// axis ("0.0, 0.2 … 1.0"), so the labels line up and none is longer than it must be.
    func label(_ value: Double) -> String {
        if abs(value) >= 1e6 || step < 1e-4 { return value == 0 ? "0" : String(format: "%.3g", value) }
        return String(format: "%.\(AxisTicks.decimals(for: step))f", value)
    }

    /// The smallest of 1, 2, 5 (times a power of ten) that is at least `raw`.
    static func roundStep(atLeast raw: Double) -> Double {
        guard raw.isFinite, raw > 0 else { return 1 }
        let magnitude = pow(10, floor(log10(raw)))
        let residual = raw / magnitude
        let factor: Double = residual <= 1 + 1e-9 ? 1 : residual <= 2 + 1e-9 ? 2 : residual <= 5 + 1e-9 ? 5 : 10
        return factor * magnitude
    }

    /// Decimals a step needs to be printed exactly: 0 for 5 or 10, 1 for 0.5, 2 for 0.02.
    static func decimals(for step: Double) -> Int {
        guard step > 0, step.isFinite else { return 0 }
        return Swift.max(0, Int(-floor(log10(step) + 1e-9)))
    }

    /// The largest multiple of `step` at or below `value`, treating values within rounding error
    /// of a multiple as on it (so 0.3 / 0.1 = 2.9999999999999996 does not add a spare tick).
    private static func multiple(of step: Double, below value: Double) -> Double {
        let q = value / step, r = q.rounded()
        return (abs(q - r) < 1e-9 * Swift.max(1, abs(q)) ? r : floor(q)) * step
    }

    private static func multiple(of step: Double, above value: Double) -> Double {
        let q = value / step, r = q.rounded()
        return (abs(q - r) < 1e-9 * Swift.max(1, abs(q)) ? r : ceil(q)) * step
    }
}
