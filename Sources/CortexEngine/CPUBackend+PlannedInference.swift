// The kernels of a planned inference: dense layers as one call each, and convolution blocks —
// convolution, bias, ReLU and max pooling — as one call each over channels-last activations, with the
// weight packed once when the plan is made. Nothing here records anything for autograd.
import CBLAS
import CCortexKernels

/// How a convolution block's GEMM rows are ordered and shared out (see conv_nhwc.c for the row order).
private struct ConvolutionBlockLayout {
    /// Pooling windows that tile the conv output are done on the GEMM's rows as they come out: each window's
    /// pixels are consecutive rows, and conv pixels no window reads are skipped.
    let fusedPool: Bool
    let gridH: Int, gridW: Int, groupH: Int, groupW: Int
    /// GEMM rows of the whole batch, and the windows (1-row groups unless the pool is fused) they form.
    let rows: Int, groups: Int
    /// Windows a thread takes per im2col + GEMM: their patch rows stay in L2 beside the packed weight.
    let blockGroups: Int
    let patch: Int, channels: Int
    var group: Int { groupH * groupW }
    var blockRows: Int { blockGroups * group }
    /// Each thread's im2col block and GEMM output block.
    var perThread: Int { blockRows * (patch + channels) }
    /// The whole conv output, kept when a pool that does not tile it runs afterwards.
    var convolutionOutput: Int { fusedPool ? 0 : rows * channels }

    static let targetBlockRows = 64

    init(_ conv: ConvGeometry, pool: PoolGeometry?) {
        if let pool, pool.kh == pool.sh, pool.kw == pool.sw, pool.ph == 0, pool.pw == 0,
           pool.outH * pool.kh <= conv.outH, pool.outW * pool.kw <= conv.outW {
            (fusedPool, gridH, gridW, groupH, groupW) = (true, pool.outH, pool.outW, pool.kh, pool.kw)
        } else {
            (fusedPool, gridH, gridW, groupH, groupW) = (false, conv.outH, conv.outW, 1, 1)
        }
        rows = conv.batch * gridH * gridW * groupH * groupW
        groups = rows / (groupH * groupW)
        blockGroups = max(1, Self.targetBlockRows / (groupH * groupW))
        (patch, channels) = (conv.patch, conv.outChannels)
    }
}

extension CPUBackend {
    public func denseForward(rows: Int, inFeatures: Int, outFeatures: Int, input: Operand, weight: Operand, bias: Operand?, relu: Bool,
                             into out: Operand) {
        check(input, "dense"); check(weight, "dense"); check(bias, "dense"); check(out, "dense")
        let x = input.floats, w = weight.floats, y = out.floats
        // The bias rows first, the product accumulated onto them (BLAS.sgemm splits a one-row product over the cores
        // by columns), then ReLU in place.
        if let b = bias?.floats { for r in 0..<rows { (y + r * outFeatures).update(from: b, count: outFeatures) } }
        BLAS.sgemm(transposeA: false, transposeB: true, m: rows, n: outFeatures, k: inFeatures, a: x, lda: inFeatures, b: w,
                   ldb: inFeatures, beta: bias == nil ? 0 : 1, c: y, ldc: outFeatures)
        if relu { Unary.apply(.relu, UnsafePointer(y), y, count: rows * outFeatures) }
    }

    public func packedWeightCount(k: Int, n: Int) -> Int { max(1, ck_packed_size(k, n)) }

    public func packWeight(_ weight: Operand, k: Int, n: Int, into packed: Operand) {
        check(weight, "pack weight"); check(packed, "pack weight")
        require(weight.count == k * n && packed.count >= packedWeightCount(k: k, n: n), "pack weight: operand sizes do not fit \(n) × \(k)")
        ck_pack_b(weight.floats, k, 1, k, n, packed.floats)
    }

    public func convolutionBlockScratchCount(_ conv: ConvGeometry, pool: PoolGeometry?) -> Int {
        let layout = ConvolutionBlockLayout(conv, pool: pool)
        return max(1, Parallel.threadCount * layout.perThread + layout.convolutionOutput)
    }

    public func convolutionBlock(_ conv: ConvGeometry, pool: PoolGeometry?, relu: Bool, input: Operand, packedWeight: Operand,
                                 bias: Operand?, scratch: Operand, into out: Operand) {
        for o in [input, packedWeight, scratch, out] { check(o, "convolution block") }
        check(bias, "convolution block")
        require(conv.groups == 1, "convolution block: grouped convolutions are not supported")
        require(input.layout.shape == [conv.batch, conv.height, conv.width, conv.inChannels],
                "convolution block: input \(input.layout.shape) is not (N, H, W, C) of the geometry")
        let layout = ConvolutionBlockLayout(conv, pool: pool)
        let convolutionOutput = layout.convolutionOutput
        require(scratch.count >= layout.perThread + convolutionOutput, "convolution block: scratch too small")
        let x = UnsafePointer(input.floats), s = input.layout.strides
        let weights = UnsafePointer(packedWeight.floats), biasRow = bias.map { UnsafePointer($0.floats) }
        let y = out.floats, scratchBase = scratch.floats
        let whole = scratchBase, threadScratch = scratchBase + convolutionOutput
        let (k, n, group) = (layout.patch, layout.channels, layout.group)
        // The conv output goes to `out` directly, unless a pool follows that does not tile it.
        let convolved = pool == nil ? y : whole

        // Threads share out whole windows; tiny blocks (about 30 µs of work or less) stay on one.
        let work = layout.rows * k * n
        let available = (scratch.count - convolutionOutput) / layout.perThread
        let chunks = max(1, min(Parallel.threadCount, layout.groups, available, work / (1 << 15)))
        // Without padding the GEMM reads each window from the image in place (row pointers and per-element offsets);
        // with it, the windows are gathered (im2col) with their zeros first.
        let inPlace = conv.padH == 0 && conv.padW == 0
        let offsets = UnsafeMutablePointer<Int>.allocate(capacity: inPlace ? k : 0)
        defer { offsets.deallocate() }
        if inPlace {
            ck_conv_patch_offsets_nhwc(s[1], s[2], s[3], conv.inChannels, conv.kernelH, conv.kernelW, conv.dilationH, conv.dilationW,
                                       offsets)
        }
        func part(_ chunk: Int) {
            let first = layout.groups * chunk / chunks, end = layout.groups * (chunk + 1) / chunks
            let columns = threadScratch + chunk * layout.perThread, block = columns + layout.blockRows * k
            withUnsafeTemporaryAllocation(of: UnsafePointer<Float>?.self, capacity: layout.blockRows) { rowPointers in
                var g = first
                while g < end {
                    let count = min(layout.blockGroups, end - g), row0 = g * group, rows = count * group
                    let target = layout.fusedPool ? block : convolved + row0 * n
                    if inPlace {
                        ck_conv_row_pointers_nhwc(x, s[0], s[1], s[2], conv.strideH, conv.strideW, layout.gridH, layout.gridW,
                                                  layout.groupH, layout.groupW, row0, rows, rowPointers.baseAddress!)
                        ck_gemm_packed_indirect(rows, n, k, rowPointers.baseAddress!, offsets, weights, target, n, biasRow, 0)
                    } else {
                        ck_im2col_nhwc(x, s[0], s[1], s[2], s[3], conv.inChannels, conv.height, conv.width, conv.kernelH,
                                       conv.kernelW, conv.strideH, conv.strideW, conv.padH, conv.padW, conv.dilationH,
                                       conv.dilationW, layout.gridH, layout.gridW, layout.groupH, layout.groupW, row0, rows, columns)
                        ck_gemm_packed(rows, n, k, columns, k, weights, target, n, biasRow, 0)
                    }
                    if layout.fusedPool {
                        ck_max_rows(block, count, group, n, relu ? 1 : 0, y + g * n)
                    } else if relu && pool == nil {
                        Unary.apply(.relu, UnsafePointer(target), target, count: rows * n)
                    }
                    g += count
                }
            }
        }
        Parallel.run(chunks, part)

        // A pool that does not tile the output (overlapping, padded, or ceil-mode windows) runs over the whole
        // conv output afterwards, ReLU folded in: max then ReLU equals ReLU then max.
        if let pool, !layout.fusedPool {
            let outputRows = conv.batch * pool.outH, rowWork = pool.outW * pool.kh * pool.kw * n
            Parallel.forRange(outputRows, grain: max(1, Parallel.elementwiseGrain / max(rowWork, 1))) { range in
                ck_max_pool_nhwc(whole, conv.outH, conv.outW, n, pool.outH, pool.outW, pool.kh, pool.kw, pool.sh, pool.sw,
                                 pool.ph, pool.pw, relu ? 1 : 0, range.lowerBound, range.count, y)
            }
        }
    }
}
