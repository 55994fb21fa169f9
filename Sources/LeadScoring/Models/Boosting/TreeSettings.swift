import Foundation

/// Settings that shape one tree (LightGBM's names in brackets).
public struct TreeSettings: Codable, Equatable, Sendable {
    /// Maximum leaves per tree [num_leaves]: 31 as LightGBM; leaf-wise growth spends them where
    /// the loss falls most.
    public var leaves = 31
    /// Maximum depth, 0 = unlimited [max_depth].
    public var maxDepth = 0
    /// Fewest training rows in a leaf [min_data_in_leaf]: 20 as LightGBM.
    public var minLeaf = 20
    /// Smallest hessian sum in a leaf [min_sum_hessian_in_leaf].
    public var minHessian = 1e-3
    /// L2 penalty on leaf values [lambda_l2].
    public var l2 = 1.0
    /// Smallest loss reduction worth a split [min_gain_to_split].
    public var minGain = 0.0
    /// Categorical splits, as LightGBM: categories with at least `minDataPerGroup` rows are
    /// ordered by G / (H + `catSmooth`) and split many-vs-many with at most `maxCatThreshold`
    /// on the left and an extra L2 of `catL2`; up to `maxCatToOneHot` categories use one-vs-rest.
    public var catSmooth = 10.0
    public var catL2 = 10.0
    public var minDataPerGroup = 100
    public var maxCatThreshold = 32
    public var maxCatToOneHot = 4

    public init() {}
}
