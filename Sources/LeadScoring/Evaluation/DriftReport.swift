import Foundation

/// How new data differs from a model's training data (`leadscore drift`).
public struct DriftReport: Codable, Equatable, Sendable {
    public enum Status: String, Codable, Sendable, Comparable {
        case stable, warning, alarm
        public static func < (a: Status, b: Status) -> Bool {
            let order: [Status] = [.stable, .warning, .alarm]
            return order.firstIndex(of: a)! < order.firstIndex(of: b)!
        }
        /// Warning at PSI ≥ 0.1, alarm at ≥ 0.25 (the usual credit-scoring bands).
        public init(psi: Double) { self = psi >= 0.25 ? .alarm : psi >= 0.1 ? .warning : .stable }
    }

    public struct Feature: Codable, Equatable, Sendable {
        public var name: String
        /// PSI over the column's bins or levels, missing values as a bin of their own.
        public var psi: Double
        public var status: Status
        public var missingTraining: Double
        public var missingNew: Double
        /// Levels never seen in training (when training's list was complete), most common first.
        public var unseenLevels: [String]
        /// Share of the new rows holding an unseen level.
        public var unseenShare: Double
        /// Numeric: present values that are not numbers in the column's format (left out of
        /// the bins; counted here so a change of format cannot pass for stability).
        public var unreadable: Int = 0
        /// The first of them.
        public var unreadableExample: String? = nil
    }

    public var rows: Int
    public var trainingRows: Int
    public var scorePSI: Double?
    public var scoreStatus: Status?
    public var features: [Feature]
    /// Input columns of the training data that the new data does not have (not compared).
    public var absentColumns: [String] = []
    public var status: Status

    /// Compares `rows` of `table` with `profile`; `probabilities` are the model's scores of
    /// those rows (nil to skip the score distribution).
    public init(profile: DataProfile, table: Table, rows: [Int], missing: MissingTokens, probabilities: [Double]?) {
        self.rows = rows.count
        trainingRows = profile.rows
        var features: [Feature] = []
        var absent: [String] = []
        for fp in profile.features {
            guard let c = table.index(of: fp.name) else { absent.append(fp.name); continue }
            var actual: [Double]
            var missingNew: Double
            var unseen: [String] = [], unseenShare = 0.0
            var unreadable = 0, unreadableExample: String? = nil
            if let edges = fp.edges {
                let parsed = table.columns[c].numbers(rows: rows, format: fp.number ?? .plain, missing: missing)
                missingNew = rows.isEmpty ? 0 : Double(parsed.missing) / Double(rows.count)
                unreadable = parsed.unreadable
                unreadableExample = parsed.firstUnreadable.map { Values.trim($0.text) }
                actual = DataProfile.binShares(parsed.values.filter { !$0.isNaN }, edges: edges)
            } else {
                let present: [String]
                (present, missingNew) = DataProfile.presentValues(table.columns[c], rows: rows, missing: missing)
                let levels = fp.levels ?? []
                let index = Dictionary(uniqueKeysWithValues: levels.enumerated().map { ($1, $0) })
                actual = [Double](repeating: 0, count: levels.count + 1)
                var unseenCounts: [String: Int] = [:]
                let complete = (fp.shares.last ?? 0) == 0
                for v in present {
                    let key = DataProfile.levelKey(v, kind: fp.kind)
                    if let i = index[key] { actual[i] += 1 } else {
                        actual[levels.count] += 1
                        if complete { unseenCounts[key, default: 0] += 1 }
                    }
                }
                let total = Double(max(1, present.count))
                actual = actual.map { $0 / total }
                unseen = unseenCounts.sorted { $0.value == $1.value ? $0.key < $1.key : $0.value > $1.value }.map(\.key)
                unseenShare = rows.isEmpty ? 0 : Double(unseenCounts.values.reduce(0, +)) / Double(rows.count)
            }
            // Missing values as a bin of their own; present values' shares scaled to the rest.
            let expected = [fp.missingShare] + fp.shares.map { $0 * (1 - fp.missingShare) }
            let observed = [missingNew] + actual.map { $0 * (1 - missingNew) }
            let psi = populationStabilityIndex(expected: expected, actual: observed)
            features.append(Feature(name: fp.name, psi: psi, status: Status(psi: psi), missingTraining: fp.missingShare,
                                    missingNew: missingNew, unseenLevels: unseen, unseenShare: unseenShare,
                                    unreadable: unreadable, unreadableExample: unreadableExample))
        }
        self.features = features.sorted { $0.psi > $1.psi }
        absentColumns = absent
        if let probabilities {
            let psi = populationStabilityIndex(expected: profile.scoreShares,
                                               actual: DataProfile.binShares(probabilities, edges: profile.scoreEdges))
            scorePSI = psi
            scoreStatus = Status(psi: psi)
        }
        status = ([scoreStatus].compactMap { $0 } + features.map(\.status)).max() ?? .stable
        if !absent.isEmpty { status = .alarm }
    }

    /// One line: "score PSI 0.03 (stable); 2 columns drifted: 'x' 0.31 (alarm), 'y' 0.12 (warning)".
    public var summary: String {
        let drifted = features.filter { $0.status != .stable }
        var parts: [String] = []
        if let scorePSI, let scoreStatus { parts.append("score PSI \(NumberFormatting.fixed(scorePSI, 3)) (\(scoreStatus.rawValue))") }
        if drifted.isEmpty {
            parts.append("no column drifted (all PSI < 0.1)")
        } else {
            parts.append("\(drifted.count) column\(drifted.count == 1 ? "" : "s") drifted: "
                + drifted.prefix(5).map { "'\($0.name)' \(NumberFormatting.fixed($0.psi, 3)) (\($0.status.rawValue))" }.joined(separator: ", ")
                + (drifted.count > 5 ? ", …" : ""))
        }
        if !absentColumns.isEmpty {
            parts.append("\(absentColumns.count) input column\(absentColumns.count == 1 ? "" : "s") missing from the new data: "
                + absentColumns.prefix(5).map { "'\($0)'" }.joined(separator: ", "))
        }
        let unreadable = features.filter { $0.unreadable > 0 }
        if !unreadable.isEmpty {
            parts.append("values that are not numbers in " + unreadable.prefix(3).map {
                "'\($0.name)' (\($0.unreadable), e.g. '\($0.unreadableExample ?? "")')"
            }.joined(separator: ", "))
        }
        let unseen = features.filter { !$0.unseenLevels.isEmpty }
        if !unseen.isEmpty {
            parts.append("new categories in " + unseen.prefix(3).map { "'\($0.name)' (\($0.unseenLevels.prefix(3).joined(separator: ", ")))" }.joined(separator: ", "))
        }
        return parts.joined(separator: "; ")
    }
}
