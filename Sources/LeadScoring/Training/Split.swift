import Foundation

/// Train / holdout partitions of labelled rows.
public struct Split: Sendable {
    /// Indices into the labelled rows (positions in `Labels.rows`), not table rows.
    public var train: [Int]
    public var holdout: [Int]
    public var description: String

    /// Stratified random split: the same share of converters on both sides.
    public static func stratified(labels y: [Double], holdoutFraction: Double, seed: UInt64) -> Split {
        var rng = SeededGenerator(seed: seed)
        var positives = y.indices.filter { y[$0] > 0.5 }
        var negatives = y.indices.filter { y[$0] <= 0.5 }
        positives.shuffle(using: &rng)
        negatives.shuffle(using: &rng)
        let hp = Int((Double(positives.count) * holdoutFraction).rounded())
        let hn = Int((Double(negatives.count) * holdoutFraction).rounded())
        let holdout = (Array(positives.prefix(hp)) + Array(negatives.prefix(hn))).sorted()
        let train = (Array(positives.dropFirst(hp)) + Array(negatives.dropFirst(hn))).sorted()
        return Split(train: train, holdout: holdout,
                     description: "stratified random \(percent(holdoutFraction)) holdout, seed \(seed)")
    }

    /// The most recent `holdoutFraction` of rows by `time` (seconds) as holdout: how the model
    /// will be used, trained on the past and scoring the future.
    public static func byTime(_ time: [Double], holdoutFraction: Double, column: String) -> Split {
        let order = time.indices.sorted { time[$0] == time[$1] ? $0 < $1 : time[$0] < time[$1] }
        let h = Int((Double(order.count) * holdoutFraction).rounded())
        let cut = order.count - h
        let boundary = h > 0 ? DateParser.isoDate(days: Int((time[order[cut]] / 86400).rounded(.down))) : "-"
        return Split(train: Array(order[..<cut]).sorted(), holdout: Array(order[cut...]).sorted(),
                     description: "most recent \(percent(holdoutFraction)) by '\(column)' (from \(boundary))")
    }
}
