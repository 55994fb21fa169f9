import Foundation

/// Errors raised by the typed BLAS/LAPACK wrappers. LAPACK reports failures through an
/// integer `info`; we turn that into a thrown error instead of a silent wrong answer.
public enum LinearAlgebraError: Error, Equatable, LocalizedError, Sendable {
    /// `info < 0`: argument number `-info` was illegal (a bug in the caller).
    /// `info > 0`: a routine-specific numerical failure.
    case lapack(routine: String, info: Int32)
    /// Cholesky found that the leading minor of order `order` is not positive definite.
    case notPositiveDefinite(routine: String, order: Int32)
    /// Shapes that cannot be combined.
    case dimensionMismatch(String)

    public var errorDescription: String? {
        switch self {
        case let .lapack(routine, info) where info < 0:
            return "LAPACK \(routine): argument \(-info) had an illegal value"
        case let .lapack(routine, info):
            return "LAPACK \(routine) failed with info = \(info)"
        case let .notPositiveDefinite(routine, order):
            return "LAPACK \(routine): the matrix is not positive definite (leading minor of order \(order))"
        case let .dimensionMismatch(what):
            return "dimension mismatch: \(what)"
        }
    }
}
