// Dense linear algebra in double precision through the LAPACK that OpenBLAS carries: the symmetric
// eigendecomposition (dsyevd, divide and conquer on blocked kernels, where cyclic Jacobi rotations in Swift
// cost a scalar O(d³) pass per sweep, impractical at the 2048 dimensions of FID features) and least squares
// (dgelsd, by the SVD: it works on the matrix itself, where the normal equations square its condition number). For metrics and baselines, not for
// training, which stays in float32 on the engine's backends.
import CBLAS

public enum LAPACK {
    /// What LAPACK reported when a routine did not finish.
    public struct Failure: Error, CustomStringConvertible {
        public let routine: String, info: Int
        public var description: String { "LAPACK \(routine) failed (info \(info))" }
    }

    /// The eigenvalues (ascending) and eigenvectors of a symmetric n × n matrix (row-major; only its lower
    /// triangle is read). `vectors[i * n + k]` is component i of the eigenvector of `values[k]`: the vectors are the
    /// columns of the row-major matrix returned.
    public static func symmetricEigen(_ matrix: [Double], _ n: Int) throws -> (values: [Double], vectors: [Double]) {
        precondition(n >= 1 && matrix.count == n * n, "symmetricEigen: \(matrix.count) values do not make a \(n) × \(n) matrix")
        // Row-major lower triangle = column-major upper triangle; LAPACK returns eigenvector k as column k,
        // column-major, which is row k read row-major: transposed below.
        var a = matrix, values = [Double](repeating: 0, count: n)
        var size = Int32(n), lda = Int32(n), info: Int32 = 0
        // A workspace query first (sizes -1): LAPACK answers with the sizes it needs.
        var query = [0.0], iquery: Int32 = 0, lwork: Int32 = -1, liwork: Int32 = -1
        dsyevd_("V", "U", &size, &a, &lda, &values, &query, &lwork, &iquery, &liwork, &info, 1, 1)
        guard info == 0 else { throw Failure(routine: "dsyevd", info: Int(info)) }
        (lwork, liwork) = (Int32(query[0]), iquery)
        var work = [Double](repeating: 0, count: Int(lwork)), iwork = [Int32](repeating: 0, count: Int(liwork))
        dsyevd_("V", "U", &size, &a, &lda, &values, &work, &lwork, &iwork, &liwork, &info, 1, 1)
        guard info == 0 else { throw Failure(routine: "dsyevd", info: Int(info)) }
        var vectors = [Double](repeating: 0, count: n * n)
        for k in 0..<n { for i in 0..<n { vectors[i * n + k] = a[k * n + i] } }
        return (values, vectors)
    }

    /// The x minimising ‖A x − b‖₂ for a row-major m × n A (any shape and rank: singular values below
    /// `relativeCutoff` × the largest count as zero, which gives the minimum-norm solution), and A's rank.
    public static func leastSquares(_ a: [Double], rows m: Int, columns n: Int, _ b: [Double],
                                    relativeCutoff: Double = -1) throws -> (solution: [Double], rank: Int) {
        precondition(m >= 1 && n >= 1 && a.count == m * n && b.count == m, "leastSquares: A is not \(m) × \(n) or b not \(m) long")
        // Column-major copy of A; b padded to max(m, n) rows, where dgelsd leaves the solution in its first n.
        var columns = [Double](repeating: 0, count: m * n)
        for i in 0..<m { for j in 0..<n { columns[j * m + i] = a[i * n + j] } }
        var rhs = b + [Double](repeating: 0, count: max(0, n - m))
        var (rowCount, columnCount, one, lda) = (Int32(m), Int32(n), Int32(1), Int32(m)), ldb = Int32(max(m, n))
        var singular = [Double](repeating: 0, count: min(m, n)), cutoff = relativeCutoff
        var rank: Int32 = 0, info: Int32 = 0, query = [0.0], iquery: Int32 = 0, lwork: Int32 = -1
        dgelsd_(&rowCount, &columnCount, &one, &columns, &lda, &rhs, &ldb, &singular, &cutoff, &rank, &query, &lwork, &iquery, &info)
        guard info == 0 else { throw Failure(routine: "dgelsd", info: Int(info)) }
        lwork = Int32(query[0])
        var work = [Double](repeating: 0, count: Int(lwork)), iwork = [Int32](repeating: 0, count: max(1, Int(iquery)))
        dgelsd_(&rowCount, &columnCount, &one, &columns, &lda, &rhs, &ldb, &singular, &cutoff, &rank, &work, &lwork, &iwork, &info)
        guard info == 0 else { throw Failure(routine: "dgelsd", info: Int(info)) }
        return (Array(rhs.prefix(n)), Int(rank))
    }

    /// C = op(A) · op(B) in double precision, row-major: op(A) is m × k (A stored k × m when `transposeA`), op(B)
    /// is k × n (B stored n × k when `transposeB`).
    public static func multiply(_ a: [Double], _ b: [Double], m: Int, n: Int, k: Int, transposeA: Bool = false,
                                transposeB: Bool = false) -> [Double] {
        precondition(a.count == m * k && b.count == k * n, "multiply: operands are not \(m) × \(k) and \(k) × \(n)")
        var c = [Double](repeating: 0, count: m * n)
        cblas_dgemm(CblasRowMajor, transposeA ? CblasTrans : CblasNoTrans, transposeB ? CblasTrans : CblasNoTrans,
                    Int32(m), Int32(n), Int32(k), 1, a, Int32(transposeA ? m : k), b, Int32(transposeB ? k : n), 0, &c, Int32(n))
        return c
    }
}
