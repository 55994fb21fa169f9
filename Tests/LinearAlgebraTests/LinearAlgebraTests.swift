import XCTest
@testable import LinearAlgebra

final class LinearAlgebraTests: XCTestCase {
    func testGramMatchesHandComputedAᵀA() {
        let a = Matrix(rowArrays: [[1, 2], [3, 4], [5, 6]])
        let g = LinearAlgebra.gram(a)
        XCTAssertEqual(g[0, 0], 35); XCTAssertEqual(g[0, 1], 44)
        XCTAssertEqual(g[1, 0], 44); XCTAssertEqual(g[1, 1], 56)
    }

    func testMatrixVectorProducts() throws {
        let a = Matrix(rowArrays: [[1, 2], [3, 4], [5, 6]])
        XCTAssertEqual(try LinearAlgebra.times(a, [1, -1]), [-1, -1, -1])
        XCTAssertEqual(try LinearAlgebra.transposeTimes(a, [1, 0, 1]), [6, 8])
        XCTAssertThrowsError(try LinearAlgebra.times(a, [1, 2, 3]))
    }

    func testCholeskySolve() throws {
        let a = Matrix(rowArrays: [[4, 2], [2, 3]])
        let x = try LinearAlgebra.choleskySolve(a, [2, 1])  // exact solution (0.5, 0)
        XCTAssertEqual(x[0], 0.5, accuracy: 1e-14)
        XCTAssertEqual(x[1], 0, accuracy: 1e-14)
    }

    func testCholeskyRefusesIndefiniteMatrixWithTypedError() {
        let a = Matrix(rowArrays: [[1, 2], [2, 1]])  // eigenvalues 3 and -1
        XCTAssertThrowsError(try LinearAlgebra.choleskySolve(a, [1, 1])) { error in
            XCTAssertEqual(error as? LinearAlgebraError, .notPositiveDefinite(routine: "dposv", order: 2))
        }
    }

    func testLeastSquaresHandlesSingularSystem() throws {
        // Rank one: the minimum-norm solution of [1 1; 1 1] x = [2; 2] is (1, 1).
        let a = Matrix(rowArrays: [[1, 1], [1, 1]])
        let x = try LinearAlgebra.leastSquaresSolve(a, [2, 2])
        XCTAssertEqual(x[0], 1, accuracy: 1e-12)
        XCTAssertEqual(x[1], 1, accuracy: 1e-12)
    }

    func testLapackErrorMessages() {
        XCTAssertEqual(LinearAlgebraError.lapack(routine: "dposv", info: -3).errorDescription,
                       "LAPACK dposv: argument 3 had an illegal value")
    }
}
