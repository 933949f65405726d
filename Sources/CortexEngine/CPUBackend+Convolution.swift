// Convolution kernels on the CPU: im2col + GEMM per sample, samples split across the cores with one
// im2col scratch buffer per chunk, and conv_transpose2d as conv2d's adjoint.
import CCortexKernels

extension ConvGeometry {
    func im2col(_ image: UnsafePointer<Float>, _ col: UnsafeMutablePointer<Float>) {
        ck_im2col(image, col, inPerGroup, height, width, kernelH, kernelW, padH, padW, strideH, strideW, dilationH, dilationW)
    }

    func col2im(_ col: UnsafePointer<Float>, _ image: UnsafeMutablePointer<Float>) {
        ck_col2im(col, image, inPerGroup, height, width, kernelH, kernelW, padH, padW, strideH, strideW, dilationH, dilationW)
    }

    /// Runs `body(sample, chunk, col)` for every sample, the samples split across cores with one
    /// im2col scratch buffer per chunk. Each sample's GEMMs are small, so they run single-threaded
    /// side by side rather than each waking BLAS's thread pool.
    func forEachSample(_ body: (Int, Int, UnsafeMutablePointer<Float>) -> Void) {
        Parallel.forChunks(batch) { chunk, samples in
            let col = TensorBuffer(byteCount: patch * outPlane * MemoryLayout<Float>.size)
            withExtendedLifetime(col) {
                for n in samples { body(n, chunk, col.floats) }
            }
        }
    }
}

extension CPUBackend {
    public func convolutionPartialCount(batch: Int) -> Int { Parallel.chunkCount(batch) }

    public func conv2d(_ geo: ConvGeometry, input: Operand, weight: Operand, bias: Operand?, into out: Operand) {
        check(input, "conv2d"); check(weight, "conv2d"); check(bias, "conv2d"); check(out, "conv2d")
        let px = input.floats, pw = weight.floats, po = out.floats, pb = bias?.floats
        geo.forEachSample { n, _, pc in
            // The bias goes into the sample's output planes first, while they are in cache, and the GEMM adds onto it.
            let sample = po + n * geo.outChannels * geo.outPlane
            if let pb { for c in 0..<geo.outChannels { (sample + c * geo.outPlane).update(repeating: pb[c], count: geo.outPlane) } }
            for g in 0..<geo.groups {
                geo.im2col(px + (n * geo.inChannels + g * geo.inPerGroup) * geo.inPlane, pc)
                BLAS.sgemm(transposeA: false, transposeB: false, m: geo.outPerGroup, n: geo.outPlane, k: geo.patch,
                           a: pw + g * geo.outPerGroup * geo.patch, lda: geo.patch, b: pc, ldb: geo.outPlane, beta: pb == nil ? 0 : 1,
                           c: sample + g * geo.outPerGroup * geo.outPlane, ldc: geo.outPlane)
            }
        }
    }

    /// d input = col2im(Wᵀ·gOut); d weight = gOut·colᵀ, one accumulator per chunk of samples.
    public func conv2dBackward(_ geo: ConvGeometry, input: Operand, weight: Operand, gradient: Operand,
                               inputGradient: Operand?, weightPartials: Operand?) {
        check(input, "conv2d backward"); check(weight, "conv2d backward"); check(gradient, "conv2d backward")
        check(inputGradient, "conv2d backward"); check(weightPartials, "conv2d backward")
        let px = input.floats, pw = weight.floats, pg = gradient.floats
        let pdx = inputGradient?.floats, pdw = weightPartials?.floats, weightCount = weight.count
        geo.forEachSample { n, chunk, pc in
            for g in 0..<geo.groups {
                let gOut = pg + (n * geo.outChannels + g * geo.outPerGroup) * geo.outPlane
                if let pdw {
                    geo.im2col(px + (n * geo.inChannels + g * geo.inPerGroup) * geo.inPlane, pc)
                    BLAS.sgemm(transposeA: false, transposeB: true, m: geo.outPerGroup, n: geo.patch, k: geo.outPlane,
                               a: gOut, lda: geo.outPlane, b: pc, ldb: geo.outPlane, beta: 1,
                               c: pdw + chunk * weightCount + g * geo.outPerGroup * geo.patch, ldc: geo.patch)
                }
                if let pdx {
                    BLAS.sgemm(transposeA: true, transposeB: false, m: geo.patch, n: geo.outPlane, k: geo.outPerGroup,
                               a: pw + g * geo.outPerGroup * geo.patch, lda: geo.patch, b: gOut, ldb: geo.outPlane,
                               c: pc, ldc: geo.outPlane)
                    geo.col2im(pc, pdx + (n * geo.inChannels + g * geo.inPerGroup) * geo.inPlane)
                }
            }
        }
    }

    /// col = W_gᵀ · x_g, then the patches scattered back into the (larger) output image.
    public func convTranspose2d(_ geo: ConvGeometry, input: Operand, weight: Operand, into out: Operand) {
        check(input, "conv_transpose2d"); check(weight, "conv_transpose2d"); check(out, "conv_transpose2d")
        let px = input.floats, pw = weight.floats, po = out.floats
        geo.forEachSample { n, _, pc in
            for g in 0..<geo.groups {
                BLAS.sgemm(transposeA: true, transposeB: false, m: geo.patch, n: geo.outPlane, k: geo.outPerGroup,
                           a: pw + g * geo.outPerGroup * geo.patch, lda: geo.patch,
                           b: px + (n * geo.outChannels + g * geo.outPerGroup) * geo.outPlane, ldb: geo.outPlane,
                           c: pc, ldc: geo.outPlane)
                geo.col2im(pc, po + (n * geo.inChannels + g * geo.inPerGroup) * geo.inPlane)
            }
        }
    }

    /// d input = conv2d(gOut, W); d weight = x_g · im2col(gOut)ᵀ — conv2d's forward and weight-gradient roles swapped.
    public func convTranspose2dBackward(_ geo: ConvGeometry, input: Operand, weight: Operand, gradient: Operand,
                                        inputGradient: Operand?, weightPartials: Operand?) {
        check(input, "conv_transpose2d backward"); check(weight, "conv_transpose2d backward")
        check(gradient, "conv_transpose2d backward"); check(inputGradient, "conv_transpose2d backward")
        check(weightPartials, "conv_transpose2d backward")
        let px = input.floats, pw = weight.floats, pg = gradient.floats
        let pdx = inputGradient?.floats, pdw = weightPartials?.floats, weightCount = weight.count
        geo.forEachSample { n, chunk, pc in
            for grp in 0..<geo.groups {
                geo.im2col(pg + (n * geo.inChannels + grp * geo.inPerGroup) * geo.inPlane, pc)
                let xg = px + (n * geo.outChannels + grp * geo.outPerGroup) * geo.outPlane
                if let pdx {
                    BLAS.sgemm(transposeA: false, transposeB: false, m: geo.outPerGroup, n: geo.outPlane, k: geo.patch,
                               a: pw + grp * geo.outPerGroup * geo.patch, lda: geo.patch, b: pc, ldb: geo.outPlane,
                               c: pdx + (n * geo.outChannels + grp * geo.outPerGroup) * geo.outPlane, ldc: geo.outPlane)
                }
                if let pdw {
                    BLAS.sgemm(transposeA: false, transposeB: true, m: geo.outPerGroup, n: geo.patch, k: geo.outPlane,
                               a: xg, lda: geo.outPlane, b: pc, ldb: geo.outPlane, beta: 1,
                               c: pdw + chunk * weightCount + grp * geo.outPerGroup * geo.patch, ldc: geo.patch)
                }
            }
        }
    }
}
