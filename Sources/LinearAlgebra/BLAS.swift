import CLAPACK

/// Typed wrappers around the few BLAS and LAPACK routines the models need.
/// Every LAPACK `info` is checked and turned into a `LinearAlgebraError`.
public enum LinearAlgebra {

    /// `AᵀA` for a column-major `A` (n × p), computed with BLAS `dgemm` (n·p² multiply-adds).
    /// `dsyrk` does half the arithmetic; which is faster on the tall, narrow matrices of IRLS
    /// with OpenBLAS's threads has not been measured yet.
    public static func gram(_ a: Matrix) -> Matrix {
        let p = a.columns
        var c = Matrix(rows: p, columns: p)
        guard p > 0, a.rows > 0 else { return c }
        a.storage.withUnsafeBufferPointer { ap in
            c.storage.withUnsafeMutableBufferPointer { cp in
                cblas_dgemm(CblasColMajor, CblasTrans, CblasNoTrans, Int32(p), Int32(p), Int32(a.rows), 1.0,
                            ap.baseAddress, Int32(a.rows), ap.baseAddress, Int32(a.rows), 0.0, cp.baseAddress, Int32(p))
            }
        }
        return c
    }

    /// `C += AᵀA` on the upper triangle of the p × p matrix `c`, with BLAS `dsyrk` (half of
    /// `dgemm`'s arithmetic), for a column-major `A` of `rows` × p values. For Gram matrices
    /// built a block of rows at a time; the caller mirrors the triangle when done.
    public static func addGramUpper(_ a: UnsafeBufferPointer<Double>, rows: Int, into c: inout Matrix) throws {
        let p = c.columns
        guard c.rows == p, a.count == rows * p else {
            throw LinearAlgebraError.dimensionMismatch("dsyrk with A of \(a.count) values (\(rows) rows) and C \(c.rows)x\(c.columns)")
        }
        guard p > 0, rows > 0 else { return }
        c.storage.withUnsafeMutableBufferPointer { cp in
            cblas_dsyrk(CblasColMajor, CblasUpper, CblasTrans, Int32(p), Int32(rows), 1.0,
                        a.baseAddress, Int32(rows), 1.0, cp.baseAddress, Int32(p))
        }
    }

    /// `y = Aᵀx` (length = columns of A) with BLAS `dgemv`.
    public static func transposeTimes(_ a: Matrix, _ x: [Double]) throws -> [Double] {
        try gemv(a, x, transpose: true)
    }

    /// `y = Ax` (length = rows of A) with BLAS `dgemv`.
    public static func times(_ a: Matrix, _ x: [Double]) throws -> [Double] {
        try gemv(a, x, transpose: false)
    }

    private static func gemv(_ a: Matrix, _ x: [Double], transpose: Bool) throws -> [Double] {
        let (inLength, outLength) = transpose ? (a.rows, a.columns) : (a.columns, a.rows)
        guard x.count == inLength else {
            throw LinearAlgebraError.dimensionMismatch("\(transpose ? "Aᵀx" : "Ax") with A \(a.rows)x\(a.columns) and x of \(x.count)")
        }
        var y = [Double](repeating: 0, count: outLength)
        guard a.rows > 0, a.columns > 0 else { return y }
        a.storage.withUnsafeBufferPointer { ap in
            x.withUnsafeBufferPointer { xp in
                y.withUnsafeMutableBufferPointer { yp in
                    cblas_dgemv(CblasColMajor, transpose ? CblasTrans : CblasNoTrans, Int32(a.rows), Int32(a.columns), 1.0,
                                ap.baseAddress, Int32(a.rows), xp.baseAddress, 1, 0.0, yp.baseAddress, 1)
                }
            }
        }
        return y
    }

    /// Solves `A x = b` for symmetric positive-definite `A` with LAPACK `dposv` (Cholesky).
    /// Throws `.notPositiveDefinite` when the factorisation breaks down, so the caller can fall
    /// back to a safer solver.
    public static func choleskySolve(_ a: Matrix, _ b: [Double]) throws -> [Double] {
        let n = a.rows
        guard a.columns == n, b.count == n else {
            throw LinearAlgebraError.dimensionMismatch("dposv with A \(a.rows)x\(a.columns) and b of \(b.count)")
        }
        guard n > 0 else { return [] }
        var factor = a.storage
        var x = b
        let info = factor.withUnsafeMutableBufferPointer { ap in
            x.withUnsafeMutableBufferPointer { bp in
                LAPACKE_dposv(LAPACK_COL_MAJOR, Int8(UInt8(ascii: "U")), Int32(n), 1,
                              ap.baseAddress, Int32(n), bp.baseAddress, Int32(n))
            }
        }
        if info > 0 { throw LinearAlgebraError.notPositiveDefinite(routine: "dposv", order: info) }
        if info < 0 { throw LinearAlgebraError.lapack(routine: "dposv", info: info) }
        return x
    }

    /// Minimum-norm least-squares solution of `A x ≈ b` with LAPACK `dgelsd` (SVD). Works for
    /// singular and indefinite systems; slower than Cholesky, so it is the fallback.
    /// Singular values below `rcond × σ_max` are treated as zero.
    public static func leastSquaresSolve(_ a: Matrix, _ b: [Double], rcond: Double = 1e-12) throws -> [Double] {
        let m = a.rows, n = a.columns
        guard b.count == m else {
            throw LinearAlgebraError.dimensionMismatch("dgelsd with A \(m)x\(n) and b of \(b.count)")
        }
        guard m > 0, n > 0 else { return [Double](repeating: 0, count: n) }
        var work = a.storage
        let ldb = max(m, n)
        var rhs = [Double](repeating: 0, count: ldb)
        for i in 0..<m { rhs[i] = b[i] }
        var singular = [Double](repeating: 0, count: min(m, n))
        var rank: Int32 = 0
        let info = work.withUnsafeMutableBufferPointer { ap in
            rhs.withUnsafeMutableBufferPointer { bp in
                singular.withUnsafeMutableBufferPointer { sp in
                    LAPACKE_dgelsd(LAPACK_COL_MAJOR, Int32(m), Int32(n), 1, ap.baseAddress, Int32(m),
                                   bp.baseAddress, Int32(ldb), sp.baseAddress, rcond, &rank)
                }
            }
        }
        if info != 0 { throw LinearAlgebraError.lapack(routine: "dgelsd", info: info) }
        return Array(rhs[0..<n])
    }
}
