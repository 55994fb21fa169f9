import Foundation
import LinearAlgebra

extension FeatureEncoder {
    /// Rows encoded at a time by `encodeDesign`: the dense chunk (rows × width doubles, 120 MB at
    /// 230 features) is the only full-width matrix that exists, and 65,536 rows is past
    /// `encode`'s 50,000-row threshold for its two threads.
    public static let designChunkRows = 65_536

    /// Encodes `rows` of `table` as a structured design for logistic regression: the one-hot
    /// blocks of categorical columns as one code per row, every other feature in the dense
    /// block. Built from `encode(table:rows:issues:)` a chunk of `chunkRows` rows at a time, so
    /// it holds exactly the values `encode` gives (`design.denseMatrix()` equals its matrix)
    /// without the n × width matrix ever existing.
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
        let n = rows.count, blockCount = blocks.count
        var dense = Matrix(rows: n, columns: denseFeatures.count)
        var codes = [Int32](repeating: -1, count: n * blockCount)
        var lo = 0
        while lo < n {
            let hi = min(n, lo + max(1, chunkRows)), m = hi - lo
            let x = try encode(table: table, rows: Array(rows[lo..<hi]), issues: &issues)
            x.storage.withUnsafeBufferPointer { xp in
                dense.storage.withUnsafeMutableBufferPointer { dp in
                    for (j, f) in denseFeatures.enumerated() {
                        let source = f * m, target = j * n + lo
                        for i in 0..<m { dp[target + i] = xp[source + i] }
                    }
                }
            }
            // A block's row holds a single 1 or nothing; anything else would be lost here, so it
            // is refused (it would be a bug in the encoding, not bad input).
            var malformed: (block: Int, row: Int)? = nil
            x.storage.withUnsafeBufferPointer { xp in
                codes.withUnsafeMutableBufferPointer { cp in
                    for (b, block) in blocks.enumerated() {
                        for level in 0..<block.width {
                            let source = (block.feature + level) * m
                            for i in 0..<m where xp[source + i] != 0 {
                                let k = (lo + i) * blockCount + b
                                if xp[source + i] == 1 && cp[k] < 0 { cp[k] = Int32(level) } else { malformed = (b, lo + i) }
                            }
                        }
                    }
                }
            }
            if let malformed {
                throw LinearAlgebraError.dimensionMismatch("column '\(blockNames[malformed.block])' of row \(rows[malformed.row]) is not one-hot")
            }
            lo = hi
        }
        return try OneHotDesign(dense: dense, denseFeatures: denseFeatures, blocks: blocks, codes: codes)
    }
}
