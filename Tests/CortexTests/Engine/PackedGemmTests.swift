// The packed GEMM of the recurrent scans and planned convolutions against a plain triple loop, on every
// instruction-set path this machine has (AVX-512, AVX2, portable), over shapes that leave partial register
// blocks and panels; A read as a matrix or indirectly (row pointers and per-element offsets).
import CCortexKernels
import Testing

@Suite("Packed GEMM")
struct PackedGemmTests {
    /// A deterministic pseudo-random float in [-1, 1).
    static func value(_ i: Int, _ salt: Int) -> Float {
        let x = UInt64(truncatingIfNeeded: (i &+ 1) &* 2_654_435_761 &+ salt &* 40_503) % 10_007
        return Float(x) / 5003.5 - 1
    }

    @Test(arguments: [(1, 1, 1), (3, 5, 7), (8, 32, 16), (9, 33, 17), (16, 1024, 256), (16, 256, 1024), (7, 47, 3), (13, 64, 0)])
    func matchesATripleLoopOnEveryPath(shape: (Int, Int, Int)) {
        let (m, n, k) = shape
        let lda = k + 3, ldc = n + 5, ldd = n + 2
        let a = (0..<(m * lda)).map { Self.value($0, 1) }
        for transposed in [false, true] {
            // op(B) is k × n: stored as k × n, or as n × k and transposed.
            let ldb = transposed ? k + 1 : n + 1
            let b = (0..<((transposed ? n : k) * ldb)).map { Self.value($0, 2) }
            func bAt(_ p: Int, _ j: Int) -> Float { transposed ? b[j * ldb + p] : b[p * ldb + j] }
            var packed = [Float](repeating: .nan, count: max(1, ck_packed_size(k, n)))
            ck_pack_b(b, ldb, transposed ? 1 : 0, k, n, &packed)
            let d = (0..<(m * ldd)).map { Self.value($0, 3) }
            for level in [2, 1, 0] {
                for addend in ["none", "rows", "one row", "C itself"] {
                    let start = (0..<(m * ldc)).map { Self.value($0, 4) }
                    var c = start
                    switch addend {
                    case "rows": ck_gemm_packed_isa(Int32(level), m, n, k, a, lda, packed, &c, ldc, d, ldd)
                    case "one row": ck_gemm_packed_isa(Int32(level), m, n, k, a, lda, packed, &c, ldc, d, 0)
                    case "C itself": c.withUnsafeMutableBufferPointer {
                        ck_gemm_packed_isa(Int32(level), m, n, k, a, lda, packed, $0.baseAddress, ldc, $0.baseAddress, ldc)
                    }
                    default: ck_gemm_packed_isa(Int32(level), m, n, k, a, lda, packed, &c, ldc, nil, 0)
                    }
                    var worst: Float = 0
                    for i in 0..<m {
                        for j in 0..<n {
                            var sum: Double = 0
                            for p in 0..<k { sum += Double(a[i * lda + p]) * Double(bAt(p, j)) }
                            switch addend {
                            case "rows": sum += Double(d[i * ldd + j])
                            case "one row": sum += Double(d[j])
                            case "C itself": sum += Double(start[i * ldc + j])
                            default: break
                            }
                            worst = max(worst, abs(c[i * ldc + j] - Float(sum)))
                        }
                        // Columns past n in each row of C are left alone.
                        for j in n..<ldc { #expect(c[i * ldc + j] == start[i * ldc + j]) }
                    }
                    #expect(worst <= 1e-5 * Float(max(k, 1)), "m \(m) n \(n) k \(k) transposed \(transposed) level \(level) addend \(addend): \(worst)")
                }
            }
        }
    }

    @Test func rowPointersAddAnyRowsOfATable() {
        // C = A·B + table[token] per row: the recurrent scan's input projections read by token.
        let (m, n, k, vocabulary) = (11, 40, 9, 5)
        let a = (0..<(m * k)).map { Self.value($0, 5) }, b = (0..<(k * n)).map { Self.value($0, 6) }
        let table = (0..<(vocabulary * n)).map { Self.value($0, 7) }
        let tokens = (0..<m).map { ($0 * 3 + 1) % vocabulary }
        var packed = [Float](repeating: 0, count: ck_packed_size(k, n))
        ck_pack_b(b, n, 0, k, n, &packed)
        var c = [Float](repeating: .nan, count: m * n)
        table.withUnsafeBufferPointer { t in
            let rows: [UnsafePointer<Float>?] = tokens.map { t.baseAddress! + $0 * n }
            ck_gemm_packed_rows(m, n, k, a, k, packed, &c, n, rows)
        }
        for i in 0..<m {
            for j in 0..<n {
                var sum = Double(table[tokens[i] * n + j])
                for p in 0..<k { sum += Double(a[i * k + p]) * Double(b[p * n + j]) }
                #expect(abs(c[i * n + j] - Float(sum)) < 1e-5, "row \(i) column \(j)")
            }
        }
    }

    @Test(arguments: [(1, 1, 1), (9, 33, 17), (13, 64, 288), (70, 32, 9)])
    func readsAIndirectlyOnEveryPath(shape: (Int, Int, Int)) {
        // Row i's element p sits at source[start[i] + offsets[p]]: rows that overlap and elements out of order, as
        // a convolution's windows over one image.
        let (m, n, k) = shape
        let offsets = (0..<k).map { ($0 * 7) % (k + 5) }
        let starts = (0..<m).map { $0 * 3 }
        let source = (0..<(3 * m + k + 5)).map { Self.value($0, 8) }
        let b = (0..<(n * k)).map { Self.value($0, 9) }, bias = (0..<n).map { Self.value($0, 10) }
        var packed = [Float](repeating: .nan, count: max(1, ck_packed_size(k, n)))
        ck_pack_b(b, k, 1, k, n, &packed)
        for level in [2, 1, 0] {
            var c = [Float](repeating: .nan, count: m * n)
            source.withUnsafeBufferPointer { s in
                let rows: [UnsafePointer<Float>?] = starts.map { s.baseAddress! + $0 }
                ck_gemm_packed_indirect_isa(Int32(level), m, n, k, rows, offsets, packed, &c, n, bias, 0)
            }
            var worst: Float = 0
            for i in 0..<m {
                for j in 0..<n {
                    var sum = Double(bias[j])
                    for p in 0..<k { sum += Double(source[starts[i] + offsets[p]]) * Double(b[j * k + p]) }
                    worst = max(worst, abs(c[i * n + j] - Float(sum)))
                }
            }
            #expect(worst <= 1e-5 * Float(max(k, 1)), "m \(m) n \(n) k \(k) level \(level): \(worst)")
        }
    }
}
