import Foundation
import LeadScoring

/// Plain-text tables for the terminal: first column left-aligned, the rest right-aligned.
func renderTable(_ header: [String], _ rows: [[String]], indent: String = "  ") -> String {
    let all = [header] + rows
    let widths = header.indices.map { c in all.map { $0[c].count }.max() ?? 0 }
    // Numbers right-aligned, text left-aligned.
    let numeric = header.indices.map { c in
        !rows.isEmpty && rows.allSatisfy { row in row[c].first.map { $0.isNumber || "+-.".contains($0) } ?? true }
    }
    func line(_ cells: [String]) -> String {
        indent + cells.enumerated().map { c, cell in
            !numeric[c] ? cell.padding(toLength: widths[c], withPad: " ", startingAt: 0)
                   : String(repeating: " ", count: widths[c] - cell.count) + cell
        }.joined(separator: "  ")
    }
    return ([line(header), indent + widths.map { String(repeating: "-", count: $0) }.joined(separator: "  ")]
            + rows.map(line)).joined(separator: "\n")
}

func pct(_ x: Double, digits: Int = 1) -> String { x.isFinite ? String(format: "%.\(digits)f%%", x * 100) : "-" }
func num(_ x: Double, _ digits: Int = 3) -> String { x.isFinite ? String(format: "%.\(digits)f", x) : "-" }
func grouped(_ n: Int) -> String { NumberFormatting.grouped(n) }

func metricsText(_ r: EvaluationReport) -> String {
    """
      ROC AUC \(num(r.auc))\(aucInterval(r))   PR AUC \(num(r.prAuc))   log loss \(num(r.logLoss))   Brier \(num(r.brier))
      top 10%: lift \(num(r.liftAt10, 2)), captures \(pct(r.captureAt10)) of conversions   top 20%: lift \(num(r.liftAt20, 2)), captures \(pct(r.captureAt20))
    """
}

/// " (95% CI 0.761–0.829)" when the report has one.
func aucInterval(_ r: EvaluationReport) -> String {
    guard let low = r.aucLow, let high = r.aucHigh, low.isFinite, high.isFinite else { return "" }
    return " (95% CI \(num(low))–\(num(high)))"
}

/// Predicted against observed conversion per decile of predicted probability.
func reliabilityText(_ r: Reliability) -> String {
    renderTable(["decile", "leads", "predicted", "observed", "95% CI"], r.bins.enumerated().map { i, b in
        ["\(i + 1)", grouped(b.count), pct(b.meanPredicted), pct(b.observed), "\(pct(b.observedLow))–\(pct(b.observedHigh))"]
    }) + "\n  expected calibration error \(pct(r.expectedCalibrationError, digits: 2))"
}

func tierTable(_ tiers: [TierSummary], thresholds: TierThresholds) -> String {
    if tiers.contains(where: { $0.meanPredicted != nil }) {
        return renderTable(["tier", "rule", "leads", "share", "predicted", "conv. rate", "95% CI", "share of conversions"],
                           tiers.map { t in
                               [t.name, tierRule(t.name, thresholds), grouped(t.count), pct(t.share), t.meanPredicted.map { pct($0) } ?? "-",
                                pct(t.conversionRate), t.conversionLow.map { "\(pct($0))–\(pct(t.conversionHigh ?? 1))" } ?? "-", pct(t.captureRate)]
                           })
    }
    return renderTable(["tier", "rule", "leads", "share", "conv. rate", "share of conversions"],
                tiers.map { t in [t.name, tierRule(t.name, thresholds), grouped(t.count), pct(t.share), pct(t.conversionRate), pct(t.captureRate)] })
}

func tierRule(_ name: String, _ thresholds: TierThresholds) -> String {
    switch name {
    case "SQL": return "p ≥ \(num(thresholds.sql))"
    case "MQL": return "\(num(thresholds.mql)) ≤ p < \(num(thresholds.sql))"
    default: return "p < \(num(thresholds.mql))"
    }
}

func jsonString<T: Encodable>(_ value: T) throws -> String { try JSONCoding.string(value) }

/// Seconds since `start`, for progress lines.
func elapsed(_ start: Date) -> String { String(format: "%.1f s", Date().timeIntervalSince(start)) }
