import Foundation
import LinearAlgebra

extension FeatureEncoder {
    /// Rows encoded at a time by `encodeDesign`. Small enough that a chunk's full-width matrix
    /// (4,096 × 231 doubles: 7.6 MB) stays in cache while `encode` writes it row by row and the
    /// design copies it out column by column; 65,536-row chunks took twice as long on the 1M-row
    /// benchmark (7.4–8.0 s against 3.5–3.9 s for 800,000 rows). The chunks are shared between
    /// two threads here, not inside `encode`.
    public static let designChunkRows = 4_096

    /// Encodes `rows` of `table` as a structured design for logistic regression: the one-hot
    /// blocks of categorical columns as one code per row, every other feature in the dense
    /// block. Built from `encode(table:rows:issues:)` a chunk of `chunkRows` rows at a time (on
    /// two threads from 50,000 rows), so it holds exactly the values `encode` gives
    /// (`design.denseMatrix()` equals its matrix, the issues are the same) without the
    /// n × width matrix ever existing.
    public func encodeDesign(table: Table, rows: [Int], issues: inout EncodingIssues,
                             chunkRows: Int = designChunkRows) throws -> OneHotDesign {
        var denseFeatures: [Int] = [], blocks: [OneHotDesign.Block] = [], blockNames: [String] = []
        for column in columns {
            if case .categorical = column.encoding {
                blocks.append(OneHotDesign.Block(feature: column.offset, width: column.width))
                blockNames.append(column.name)
            } else {
                denseFeatures += column.offset..<(column.offset + column.width)
            }
        }
        let n = rows.count, blockCount = blocks.count, size = max(1, chunkRows)
        let chunks = (n + size - 1) / size, parts = n >= 50_000 ? min(2, chunks) : 1
        var dense = Matrix(rows: n, columns: denseFeatures.count)
        var codes = [Int32](repeating: -1, count: n * blockCount)
        // Per chunk, kept apart so they merge in row order whichever thread encoded them: the
        // issues, a thrown error, and the first row whose block is not one-hot.
        var chunkIssues = [EncodingIssues](repeating: EncodingIssues(), count: chunks)
        var failures = [Error?](repeating: nil, count: chunks)
        var malformed = [(block: Int, row: Int)?](repeating: nil, count: chunks)
        dense.storage.withUnsafeMutableBufferPointer { dp in
            codes.withUnsafeMutableBufferPointer { cp in
                chunkIssues.withUnsafeMutableBufferPointer { ip in
                    failures.withUnsafeMutableBufferPointer { fp in
                        malformed.withUnsafeMutableBufferPointer { mp in
                            let out = UncheckedSendable((dense: dp, codes: cp, issues: ip, failures: fp, malformed: mp))
                            parallelFor(parts: parts) { t in
                                for chunk in stride(from: t, to: chunks, by: parts) {
                                    let lo = chunk * size, hi = min(n, lo + size)
                                    do {
                                        let x = try encode(table: table, rows: Array(rows[lo..<hi]), issues: &out.value.issues[chunk])
                                        out.value.malformed[chunk] = Self.compress(x, into: out.value.dense, n: n, codes: out.value.codes, at: lo,
                                                                                   denseFeatures: denseFeatures, blocks: blocks)
                                    } catch {
                                        out.value.failures[chunk] = error
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        for chunk in 0..<chunks {
            if let error = failures[chunk] { throw error }
            if let bad = malformed[chunk] {
                // A block's row holds a single 1 or nothing; anything else would be lost in the
                // design, so it is refused (a bug in the encoding, not bad input).
                throw LinearAlgebraError.dimensionMismatch("column '\(blockNames[bad.block])' of row \(rows[bad.row]) is not one-hot")
            }
            issues.merge(chunkIssues[chunk])
        }
        return try OneHotDesign(dense: dense, denseFeatures: denseFeatures, blocks: blocks, codes: codes)
    }

    /// Copies an encoded chunk `x` (rows `start…` of the design) into the dense block (n rows)
    /// and the codes; returns the first (block, row) that is not one-hot, if any.
    private static func compress(_ x: Matrix, into dense: UnsafeMutableBufferPointer<Double>, n: Int,
                                 codes: UnsafeMutableBufferPointer<Int32>, at start: Int,
                                 denseFeatures: [Int], blocks: [OneHotDesign.Block]) -> (block: Int, row: Int)? {
        let m = x.rows, blockCount = blocks.count
        var malformed: (block: Int, row: Int)? = nil
        x.storage.withUnsafeBufferPointer { xp in
            for (j, f) in denseFeatures.enumerated() {
                let source = f * m, target = j * n + start
                for i in 0..<m { dense[target + i] = xp[source + i] }
            }
            for (b, block) in blocks.enumerated() {
                for level in 0..<block.width {
                    let source = (block.feature + level) * m
                    for i in 0..<m where xp[source + i] != 0 {
                        let k = (start + i) * blockCount + b
                        if xp[source + i] == 1 && codes[k] < 0 {
                            codes[k] = Int32(level)
                        } else if malformed.map({ start + i < $0.row }) ?? true {
                            malformed = (b, start + i)
                        }
                    }
                }
            }
        }
        return malformed
    }
}
