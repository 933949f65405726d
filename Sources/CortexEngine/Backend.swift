// The device boundary: one protocol that owns memory, host transfers and every kernel family, in the
// shape of candle's `BackendStorage` (op enums plus layouts) and Burn's `Backend`. Cortex's tensors and
// ops are written against it alone, so a backend added here runs every op at once.
//
// Conventions: every operand must live on the backend's device (a mismatch stops with both devices
// named); outputs are written, never allocated, by kernels — except `upload`, the only way in from
// the host; `download` is the only way out. Kernels that check data (index ranges, class targets,
// probabilities) check it where the data is, so no op reads device values back inside a step.

/// Element-wise comparisons and logic; results are bool (1/0) bytes. Operands are float32.
public enum CompareOp: Sendable, Equatable {
    case equal, notEqual, less, lessOrEqual, greater, greaterOrEqual
    case and, or
    case isClose(rtol: Float, atol: Float)
}

/// Hyper-parameters of one fused Adam/AdamW step (bias corrections already folded in).
public struct AdamStep: Sendable {
    public var stepSize: Float, beta1: Float, beta2: Float, correction2: Float, eps: Float
    public var weightDecay: Float, shrink: Float, decoupled: Bool
    public init(stepSize: Float, beta1: Float, beta2: Float, correction2: Float, eps: Float, weightDecay: Float,
                shrink: Float, decoupled: Bool) {
        (self.stepSize, self.beta1, self.beta2, self.correction2, self.eps) = (stepSize, beta1, beta2, correction2, eps)
        (self.weightDecay, self.shrink, self.decoupled) = (weightDecay, shrink, decoupled)
    }
}

/// Hyper-parameters of one fused SGD step.
public struct SGDStep: Sendable {
    public var learningRate: Float, weightDecay: Float, momentum: Float, dampening: Float
    public var firstStep: Bool, nesterov: Bool
    public init(learningRate: Float, weightDecay: Float, momentum: Float, dampening: Float, firstStep: Bool, nesterov: Bool) {
        (self.learningRate, self.weightDecay, self.momentum, self.dampening) = (learningRate, weightDecay, momentum, dampening)
        (self.firstStep, self.nesterov) = (firstStep, nesterov)
    }
}

/// Hyper-parameters of one fused RMSprop step.
public struct RMSpropStep: Sendable {
    public var learningRate: Float, alpha: Float, eps: Float, weightDecay: Float, momentum: Float, centered: Bool
    public init(learningRate: Float, alpha: Float, eps: Float, weightDecay: Float, momentum: Float, centered: Bool) {
        (self.learningRate, self.alpha, self.eps, self.weightDecay, self.momentum, self.centered) =
            (learningRate, alpha, eps, weightDecay, momentum, centered)
    }
}

/// The memory of one recurrent scan (T steps, B sequences, H hidden units, G·H gate rows). Forward it writes
/// `states`, `cells`, `activations`, `cellTanh`, `hiddenGates` and `result`; backward reads them.
public struct RecurrentScanBuffers: Sendable {
    /// (T, B, G·H) input projections in time order, read only: LSTM and RNN add each step's hidden projection
    /// to them in scratch memory; GRU keeps its hidden projections in `hiddenGates`. With `tokens`, a (V, G·H)
    /// table of projections instead, of which step t of sequence b reads row tokens[t, b].
    public var gates: Operand
    /// int64 (T, B) rows of the `gates` table, or nil when `gates` holds every step's projections.
    public var tokens: Operand?
    /// (G·H, H), and GRU's (G·H) hidden bias.
    public var hiddenWeight: Operand, hiddenBias: Operand?
    /// (T + 1, B, H) in processing order: row 0 holds the initial state on entry, row k + 1 the state after step k.
    public var states: Operand
    /// LSTM's cell states, laid out as `states`.
    public var cells: Operand?
    /// GRU's hidden projections (T, B, 3H), processing order.
    public var hiddenGates: Operand?
    /// LSTM's and GRU's gate activations (T, B, G·H), processing order.
    public var activations: Operand?
    /// LSTM's tanh(c) (T, B, H), processing order.
    public var cellTanh: Operand?
    /// int64 (B): a sequence stops at its length (its state carried, its outputs zero); nil: all run T steps.
    public var lengths: Operand?
    /// (T + 1 or T + 2, B, H): the outputs in time order, then the last hidden state, then (LSTM) the last cell.
    public var result: Operand

    public init(gates: Operand, tokens: Operand? = nil, hiddenWeight: Operand, hiddenBias: Operand?, states: Operand, cells: Operand?,
                hiddenGates: Operand?, activations: Operand?, cellTanh: Operand?, lengths: Operand?, result: Operand) {
        self.tokens = tokens
        (self.gates, self.hiddenWeight, self.hiddenBias, self.states, self.cells) = (gates, hiddenWeight, hiddenBias, states, cells)
        (self.hiddenGates, self.activations, self.cellTanh, self.lengths, self.result) = (hiddenGates, activations, cellTanh, lengths, result)
    }
}

/// What backpropagation through time reads and writes.
public struct RecurrentScanGradients: Sendable {
    /// The gradient of the packed result (as `RecurrentScanBuffers.result`).
    public var result: Operand
    /// (T, B, G·H), processing order: the gradients of the hidden-side pre-activations (what W_hh's gradient
    /// and GRU's hidden bias gradient sum over).
    public var hiddenSide: Operand
    /// (T, B, G·H), time order: the gradient of the input projections.
    public var inputSide: Operand
    /// (B, H): the initial hidden and (LSTM) cell states' gradients.
    public var initialHidden: Operand, initialCell: Operand?

    public init(result: Operand, hiddenSide: Operand, inputSide: Operand, initialHidden: Operand, initialCell: Operand?) {
        (self.result, self.hiddenSide, self.inputSide, self.initialHidden, self.initialCell) = (result, hiddenSide, inputSide, initialHidden, initialCell)
    }
}

/// The kernels and memory of one device.
public protocol Backend: AnyObject, Sendable {
    var device: Device { get }
    /// Bytes the device's tensors hold now and at most, and its limit.
    var memory: DeviceMemory { get }
    /// Waits for the device's queued work and raises the first error it met since the last call (out of memory, a
    /// failed launch, a lost device). Ops never throw; a training step calls this once, after reading its loss.
    func synchronize() throws

    // MARK: Memory and host transfers
    /// New memory on the device, zero-filled when asked.
    func allocate(byteCount: Int, zeroed: Bool) -> Storage
    /// Copies host values into new device memory (a host-to-device transfer).
    func upload<T: BitwiseCopyable>(_ values: [T]) -> Storage
    /// Copies the elements of `source` (any layout, row-major order) to the host (a device-to-host transfer).
    func download<T: BitwiseCopyable>(_ source: Operand, as type: T.Type) -> [T]

    // MARK: Layout, fills and casts
    /// Copies `source` into `destination` (same shape and dtype, any strides).
    func copy(_ source: Operand, into destination: Operand)
    /// Writes `value`, converted to the destination's dtype, to every element of `destination` (any strides).
    func fill(_ destination: Operand, with value: Double)
    /// Converts contiguous `source` into contiguous `destination` of another dtype: float→integer truncates
    /// toward zero, integers convert exactly, anything→bool is "non-zero".
    func cast(_ source: Operand, into destination: Operand)

    // MARK: Element-wise
    func unary(_ op: UnaryOp, _ x: Operand, into y: Operand)
    /// The input gradient of a unary op from whichever of its input and output the rule reads.
    func unaryBackward(_ op: UnaryOp, input: Operand?, output: Operand?, gradient: Operand, into: Operand)
    /// out = a op b; `a` and `b` are laid out over `out`'s shape (stride 0 on broadcast axes).
    func binary(_ op: BinaryOp, _ a: Operand, _ b: Operand, into out: Operand)
    func compare(_ op: CompareOp, _ a: Operand, _ b: Operand, into out: Operand)
    /// out = mask ? a : b, all three laid out over `out`'s shape.
    func select(_ mask: Operand, _ a: Operand, _ b: Operand, into out: Operand)
    /// Stops with `message` when an element of `x` lies outside `range` (or is NaN): a check that runs where
    /// the data is, as a device-side assertion would.
    func assertElements(of x: Operand, within range: ClosedRange<Float>, _ message: String)

    // MARK: Reductions, viewing contiguous `x` as (outer, n, inner) and reducing n
    func reduce(_ op: ReduceOp, _ x: Operand, outer: Int, n: Int, inner: Int, into out: Operand)
    func cumulativeSum(_ x: Operand, outer: Int, n: Int, inner: Int, reverse: Bool, into out: Operand)
    func argExtreme(_ x: Operand, outer: Int, n: Int, inner: Int, max: Bool, into out: Operand)

    // MARK: Matrix products
    /// c = a·b (+ beta·c) on row-major matrices with leading dimensions and transpose flags.
    func gemm(transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int, _ a: Operand, lda: Int, _ b: Operand, ldb: Int,
              beta: Float, into c: Operand, ldc: Int)
    /// c[i] = alpha · op(a[i]) · op(b[i]) for every index i of c's batch axes, c being contiguous (batch…, m, n).
    /// `a` and `b` are (batch…, rows, cols) views with any batch strides (0 broadcasts one matrix to many); each
    /// matrix is row-major with leading dimension lda/ldb, read transposed when asked: attention's per-head
    /// slices of a projection and transposed keys go in as they are, without copies.
    func batchedGemm(m: Int, n: Int, k: Int, alpha: Float, _ a: Operand, transposeA: Bool, lda: Int, _ b: Operand, transposeB: Bool,
                     ldb: Int, into c: Operand)

    // MARK: Planned inference: weights packed once, activations channels-last, nothing recorded
    /// out (rows, outFeatures) = act(input (rows, inFeatures) · weightᵀ + bias), act ReLU or none: a dense layer's
    /// inference forward as one call.
    func denseForward(rows: Int, inFeatures: Int, outFeatures: Int, input: Operand, weight: Operand, bias: Operand?, relu: Bool,
                      into out: Operand)
    /// Floats `packWeight` writes for an n × k weight, in the backend's own layout.
    func packedWeightCount(k: Int, n: Int) -> Int
    /// Packs a contiguous (n, k) weight, one row per output — for a convolution, (out, kH, kW, in) — for
    /// `convolutionBlock`, whose GEMM then never packs it again.
    func packWeight(_ weight: Operand, k: Int, n: Int, into packed: Operand)
    /// Floats of scratch `convolutionBlock` needs for this geometry (at the current thread count).
    func convolutionBlockScratchCount(_ conv: ConvGeometry, pool: PoolGeometry?) -> Int
    /// out = maxPool(act(conv(input) + bias)) over channels-last data, as one call: `input` is an (N, H, W, C) view
    /// (any strides: an NCHW tensor's permuted view goes in as it is), `out` contiguous (N, OH, OW, out channels)
    /// of the pool (of the convolution without one); act is ReLU or none. `pool` windows use its kernel, stride and
    /// padding, its planes and input size being the convolution's output. Groups must be 1.
    func convolutionBlock(_ conv: ConvGeometry, pool: PoolGeometry?, relu: Bool, input: Operand, packedWeight: Operand,
                          bias: Operand?, scratch: Operand, into out: Operand)

    // MARK: Convolution (NCHW, OIHW)
    /// out = conv(input, weight) + bias (one per output channel, when given).
    func conv2d(_ geometry: ConvGeometry, input: Operand, weight: Operand, bias: Operand?, into out: Operand)
    /// Gradients of conv2d: into `inputGradient` (zero-filled by the caller) and/or `weightPartials`
    /// (chunks × weight shape, zero-filled; summed by the caller).
    func conv2dBackward(_ geometry: ConvGeometry, input: Operand, weight: Operand, gradient: Operand,
                        inputGradient: Operand?, weightPartials: Operand?)
    /// conv_transpose2d forward into zero-filled `out`; `geometry` is the conv2d whose input is this output.
    func convTranspose2d(_ geometry: ConvGeometry, input: Operand, weight: Operand, into out: Operand)
    func convTranspose2dBackward(_ geometry: ConvGeometry, input: Operand, weight: Operand, gradient: Operand,
                                 inputGradient: Operand?, weightPartials: Operand?)
    /// How many weight-gradient accumulators a convolution backward of `batch` samples writes.
    func convolutionPartialCount(batch: Int) -> Int

    // MARK: Pooling over (planes, H, W)
    func maxPool2d(_ geometry: PoolGeometry, _ x: Operand, into out: Operand, indices: Operand)
    /// Writes every element of `into` (no need to zero it first).
    func maxPool2dBackward(_ geometry: PoolGeometry, gradient: Operand, indices: Operand, into: Operand)
    func avgPool2d(_ geometry: PoolGeometry, countIncludePad: Bool, _ x: Operand, into out: Operand)
    func avgPool2dBackward(_ geometry: PoolGeometry, countIncludePad: Bool, gradient: Operand, into: Operand)
    func adaptiveAvgPool2d(_ geometry: PoolGeometry, _ x: Operand, into out: Operand)
    func adaptiveAvgPool2dBackward(_ geometry: PoolGeometry, gradient: Operand, into: Operand)

    // MARK: Normalisation and softmax
    /// Per-channel mean and biased variance of contiguous (batch, channels, plane) data.
    func batchNormStatistics(_ x: Operand, batch: Int, channels: Int, plane: Int, mean: Operand, variance: Operand)
    /// y = (x − mean)/√(variance + eps)·γ + β per channel (γ = 1, β = 0 when absent).
    func batchNorm(_ x: Operand, mean: Operand, variance: Operand, eps: Float, weight: Operand?, bias: Operand?,
                   batch: Int, plane: Int, into y: Operand)
    func batchNormBackward(gradient: Operand, input: Operand, mean: Operand, variance: Operand, eps: Float, weight: Operand?,
                           batch: Int, plane: Int, batchStatistics: Bool,
                           inputGradient: Operand, weightGradient: Operand, biasGradient: Operand)
    /// Normalises each of `rows` rows of `width`; writes each row's mean and 1/σ for the backward.
    func layerNorm(_ x: Operand, weight: Operand, bias: Operand, rows: Int, width: Int, eps: Float,
                   into y: Operand, mean: Operand, rstd: Operand)
    /// dx, and g·x̂ per element (summed over rows by the caller for dγ).
    func layerNormBackward(gradient: Operand, input: Operand, weight: Operand, mean: Operand, rstd: Operand,
                           rows: Int, width: Int, inputGradient: Operand, gradientTimesNormalized: Operand)
    func softmax(_ x: Operand, outer: Int, n: Int, inner: Int, log: Bool, into y: Operand)
    func softmaxBackward(output: Operand, gradient: Operand, outer: Int, n: Int, inner: Int, log: Bool, into: Operand)
    /// softmax(x + mask) along the last axis of contiguous `x`; `mask` is laid out over x's shape (stride 0 on
    /// broadcast axes, stride 1 along the last). The attention scores' fused masked softmax.
    func maskedSoftmax(_ x: Operand, mask: Operand, into y: Operand)

    // MARK: Recurrent layers
    /// A whole recurrent layer-direction over `steps` time steps (processing order k runs time step
    /// `reverse ? steps−1−k : k`): see `RecurrentScanBuffers` for what each buffer holds. Sequences are
    /// independent, so a backend may run groups of them side by side.
    func recurrentScan(_ cell: RecurrentCell, steps: Int, batch: Int, hidden: Int, reverse: Bool, buffers: RecurrentScanBuffers)
    /// Backpropagation through time for `recurrentScan`, from the gradient of its packed result.
    func recurrentScanBackward(_ cell: RecurrentCell, steps: Int, batch: Int, hidden: Int, reverse: Bool,
                               buffers: RecurrentScanBuffers, gradients: RecurrentScanGradients)

    // MARK: Indexing (indices int64; an index out of range stops with `op`'s name)
    /// out[o, j, i] = x[o, index[j], i] for contiguous x viewed as (outer, n, inner), of any dtype.
    func indexSelect(_ x: Operand, outer: Int, n: Int, inner: Int, index: Operand, into out: Operand, op: String)
    /// out[o, index[j], i] += source[o, j, i].
    func indexAdd(_ source: Operand, outer: Int, n: Int, inner: Int, index: Operand, into out: Operand, op: String)
    /// out[p] = x[p with coordinate `axis` replaced by index[p]]; x and index contiguous, out of index's shape.
    func gather(_ x: Operand, axis: Int, index: Operand, into out: Operand, op: String)
    /// out[p with coordinate `axis` replaced by index[p]] += source[p].
    func scatterAdd(_ source: Operand, axis: Int, index: Operand, into out: Operand, op: String)
    /// For class targets: `safe` = target, or 0 where it equals `ignoreIndex`; `valid` = 0 there, else 1.
    /// A target outside 0..<classes (and not ignored) stops with `op`'s name.
    func classTargets(_ target: Operand, classes: Int, ignoreIndex: Int, safe: Operand, valid: Operand, op: String)

    // MARK: Seeded random fills (contiguous float32 unless said)
    func fillUniform(_ out: Operand, low: Float, high: Float, generator: RandomGenerator)
    func fillNormal(_ out: Operand, mean: Float, std: Float, generator: RandomGenerator)
    func fillBernoulli(_ out: Operand, probability: Float, generator: RandomGenerator)
    /// int64 values uniform in low..<high.
    func fillRandomIntegers(_ out: Operand, low: Int, high: Int, generator: RandomGenerator)

    // MARK: Optimiser updates and clipping, in place
    func adamStep(_ step: AdamStep, parameter: Operand, gradient: Operand, firstMoment: Operand, secondMoment: Operand,
                  maxSecondMoment: Operand?)
    func sgdStep(_ step: SGDStep, parameter: Operand, gradient: Operand, momentumBuffer: Operand?)
    func rmspropStep(_ step: RMSpropStep, parameter: Operand, gradient: Operand, squareAverage: Operand,
                     gradientAverage: Operand?, momentumBuffer: Operand?)
    func adagradStep(learningRate: Float, weightDecay: Float, eps: Float, parameter: Operand, gradient: Operand, sum: Operand)
    /// Writes Σ|g|^p over all `gradients` (or max |g| when p is infinite) into the scalar `into`.
    func gradientNorm(_ gradients: [Operand], normType: Float, into: Operand)
    /// Multiplies every gradient by min(1, maxNorm/(norm + 1e-6)), reading `norm` where it is.
    func clipGradients(_ gradients: [Operand], maxNorm: Float, norm: Operand)
}
