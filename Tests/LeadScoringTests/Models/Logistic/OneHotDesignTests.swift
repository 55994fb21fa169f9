import XCTest
import LinearAlgebra
@testable import LeadScoring

/// The structured (dense block + one-hot codes) design against the dense matrix it stands for:
/// the same products, the same Hessian and the same fitted coefficients.
final class OneHotDesignTests: XCTestCase {
    static let sample = repositoryRoot.appendingPathComponent("datasets/sample-leads.csv").path

    func assertClose(_ a: [Double], _ b: [Double], _ tolerance: Double, _ what: String,
                     file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(a.count, b.count, what, file: file, line: line)
        let worst = zip(a, b).map { abs($0 - $1) / max(1, abs($1)) }.max() ?? 0
        XCTAssertLessThanOrEqual(worst, tolerance, "\(what): largest relative difference \(worst)", file: file, line: line)
    }

    /// The bundled sample, its linear encoder, labels and rows.
    func sampleData() throws -> (table: Table, encoder: FeatureEncoder, rows: [Int], y: [Double]) {
        let table = try Table.read(path: Self.sample)
        let schema = try SchemaInference().infer(table, drop: ["created_date", "last_activity_date"], target: "converted")
        let data = try LabelledData(table: table, schema: schema, target: TargetSpec(column: "converted"))
        let encoder = try FeatureEncoder.fit(table: table, rows: data.labels.rows, schema: schema, style: .linear)
        return (table, encoder, data.labels.rows, data.labels.y)
    }

    func testEncodeDesignHoldsExactlyTheEncodedMatrix() throws {
        let (table, encoder, rows, _) = try sampleData()
        var issues = EncodingIssues(), designIssues = EncodingIssues()
        let x = try encoder.encode(table: table, rows: rows, issues: &issues)
        // Chunks smaller than the table, the last one partial, so the chunk seams are covered.
        let design = try encoder.encodeDesign(table: table, rows: rows, issues: &designIssues, chunkRows: 1_234)
        XCTAssertEqual(design.rows, x.rows)
        XCTAssertEqual(design.features, encoder.width)
        XCTAssertEqual(design.blocks.count, encoder.columns.filter { if case .categorical = $0.encoding { return true } else { return false } }.count)
        XCTAssertEqual(design.denseMatrix(), x)
        XCTAssertEqual(designIssues.counts, issues.counts)
    }

    func testStructuredFitMatchesDenseFitOnTheSample() throws {
        let (table, encoder, rows, y) = try sampleData()
        var issues = EncodingIssues()
        let x = try encoder.encode(table: table, rows: rows, issues: &issues)
        let design = try encoder.encodeDesign(table: table, rows: rows, issues: &issues)
        for weight in [ClassWeight.none, .balanced] {
            let lr = LogisticRegression(l2: 1.0, classWeight: weight)
            let dense = try lr.fit(x, y), structured = try lr.fit(design: design, y: y)
            assertClose(structured.coefficients, dense.coefficients, 1e-9, "coefficients (\(weight))")
            assertClose([structured.intercept], [dense.intercept], 1e-9, "intercept (\(weight))")
            XCTAssertTrue(structured.converged)
            XCTAssertEqual(structured.iterations, dense.iterations)
        }
    }

    /// A random design in a shuffled feature order: a block first, dense columns between blocks,
    /// one block with all-zero rows (code −1) and one full block (collinear with the intercept).
    func randomDesign(n: Int, seed: UInt64) throws -> (OneHotDesign, [Double]) {
        var rng = SeededGenerator(seed: seed)
        // Feature order: block A (4 levels, some rows none) 0–3, dense 4–5, block B (3 levels, full) 6–8, dense 9.
        var dense = Matrix(rows: n, columns: 3)
        var codes = [Int32](repeating: -1, count: n * 2)
        var y = [Double](repeating: 0, count: n)
        for i in 0..<n {
            for j in 0..<3 { dense[i, j] = Double.random(in: -2...2, using: &rng) }
            let a = Int32(Int.random(in: -1...3, using: &rng)), b = Int32(Int.random(in: 0...2, using: &rng))
            codes[i * 2] = a; codes[i * 2 + 1] = b
            // Near-separable: a strong margin plus a little label noise.
            let margin = 4 * dense[i, 0] - 3 * dense[i, 2] + (a == 1 ? 2 : 0) - (b == 2 ? 1.5 : 0)
            y[i] = (margin > 0) != (Double.random(in: 0..<1, using: &rng) < 0.03) ? 1 : 0
        }
        let design = try OneHotDesign(dense: dense, denseFeatures: [4, 5, 9],
                                      blocks: [.init(feature: 0, width: 4), .init(feature: 6, width: 3)], codes: codes)
        return (design, y)
    }

    func testProductsAndHessianMatchTheDenseMatrix() throws {
        for threads in [1, 2] {
            var (design, _) = try randomDesign(n: 997, seed: 5)
            design.threads = threads
            let x = design.denseMatrix()
            let n = x.rows, p = x.columns
            var xi = Matrix(rows: n, columns: p + 1)
            // Parameter order: intercept, dense columns, then each block's levels.
            let order = [-1] + design.denseFeatures + design.blocks.flatMap { $0.feature..<($0.feature + $0.width) }
            for i in 0..<n { for (k, f) in order.enumerated() { xi[i, k] = f < 0 ? 1 : x[i, f] } }
            var rng = SeededGenerator(seed: 9)
            let beta = (0...p).map { _ in Double.random(in: -1...1, using: &rng) }
            let w = (0..<n).map { _ in Double.random(in: 0...0.25, using: &rng) }
            assertClose(try design.linearPredictor(beta), try LinearAlgebra.times(xi, beta), 1e-12, "Xβ (\(threads) threads)")
            assertClose(try design.transposeTimes(w), try LinearAlgebra.transposeTimes(xi, w), 1e-12, "Xᵀr (\(threads) threads)")
            var scaled = xi
            for j in 0...p { for i in 0..<n { scaled[i, j] *= w[i].squareRoot() } }
            assertClose(try design.weightedGram(w).storage, LinearAlgebra.gram(scaled).storage, 1e-12, "XᵀWX (\(threads) threads)")
        }
    }

    func testUnpenalisedBalancedFitOnNearSeparableDataMatchesDenseFit() throws {
        let (design, y) = try randomDesign(n: 400, seed: 11)
        let lr = LogisticRegression(l2: 0, classWeight: .balanced, maxIterations: 60)
        let dense = try lr.fit(design.denseMatrix(), y), structured = try lr.fit(design: design, y: y)
        // Block B's levels sum to the intercept's column: the Hessian is singular without L2.
        XCTAssertTrue(dense.usedFallbackSolver)
        XCTAssertTrue(structured.usedFallbackSolver)
        // Along the singular direction (β₀ + c, block B's levels − c) the data say nothing, and
        // which c the SVD's minimum-norm steps settle on depends on rounding (0.4 apart here).
        // Everything the data determine must agree: the margins, the coefficients outside block
        // B, and β₀ + each of block B's levels.
        let x = design.denseMatrix()
        assertClose(structured.rawScores(x), dense.rawScores(x), 1e-9, "margins")
        let identified = [0, 1, 2, 3, 4, 5, 9]
        assertClose(identified.map { structured.coefficients[$0] }, identified.map { dense.coefficients[$0] }, 1e-9, "coefficients outside block B")
        assertClose((6...8).map { structured.intercept + structured.coefficients[$0] },
                    (6...8).map { dense.intercept + dense.coefficients[$0] }, 1e-9, "intercept + block B's levels")
        XCTAssertEqual(structured.iterations, dense.iterations)
        XCTAssertTrue(structured.converged)
        XCTAssertTrue(structured.coefficients.allSatisfy(\.isFinite))
    }

    func testDesignRefusesInconsistentShapes() {
        let dense = Matrix(rows: 2, columns: 1)
        // Feature 1 is claimed twice and feature 2 never.
        XCTAssertThrowsError(try OneHotDesign(dense: dense, denseFeatures: [1], blocks: [.init(feature: 0, width: 2)], codes: [0, 1]))
        // A code beyond the block's width.
        XCTAssertThrowsError(try OneHotDesign(dense: dense, denseFeatures: [2], blocks: [.init(feature: 0, width: 2)], codes: [0, 2]))
        // Labels of another length.
        let design = try! OneHotDesign(dense: dense, denseFeatures: [2], blocks: [.init(feature: 0, width: 2)], codes: [0, -1])
        XCTAssertThrowsError(try LogisticRegression().fit(design: design, y: [1]))
    }
}
