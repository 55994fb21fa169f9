import Foundation

/// `leadscore report`: one self-contained HTML page (inline CSS and SVG, no scripts, no network)
/// showing how well a model's scores work on labelled leads, and beside the rules when given.
public struct HTMLReport {
    public var model: LeadModel
    public var modelPath: String
    public var dataPath: String
    public var probabilities: [Double]
    public var labels: [Double]
    public var evaluation: EvaluationReport
    public var rules: (set: RuleSet, points: [Double], tiers: [Tier], comparison: ComparisonReport)?
    public var dependence: [Dependence]
    public var drift: DriftReport?
    public var asOf: Double?

    /// Scores `labels.rows` of `table` with the model (and the rules) and gathers what the page shows.
    public static func build(model: LeadModel, modelPath: String, data: LabelledData,
                             rules: RuleSet?, events: EventLog?, asOf: Double, seed: UInt64 = 42) throws -> HTMLReport {
        let table = data.table, labels = data.labels
        var issues = EncodingIssues()
        let p = try LeadScorer(model: model, reasonsPerSide: 0).probabilities(table: table, rows: labels.rows, issues: &issues)
        let evaluation = EvaluationReport(probabilities: p, labels: labels.y, thresholds: model.tiers)
        var ruleParts: (RuleSet, [Double], [Tier], ComparisonReport)? = nil
        if let rules {
            let scores = try ComparisonReport.scoreRules(rules, model: model, data: data, events: events, asOf: asOf)
            let comparison = ComparisonReport(model: model, probabilities: p, ruleScores: scores, data: data, capacity: nil)
            ruleParts = (rules, scores.map(\.total), scores.map(\.tier), comparison)
        }
        // Partial dependence of the three strongest inputs, on up to 300 leads.
        var rng = SeededGenerator(seed: seed)
        var sample = labels.rows
        sample.shuffle(using: &rng)
        sample = Array(sample.prefix(300))
        let top = (model.training.importance ?? []).prefix(3).map(\.feature)
        let dependence = top.compactMap { Dependence.compute(model: model, table: table, rows: sample, feature: $0) }
        var drift: DriftReport? = nil
        if let profile = model.profile {
            drift = DriftReport(profile: profile, table: table, rows: labels.rows, missing: model.schema.missingTokens, probabilities: p)
        }
        return HTMLReport(model: model, modelPath: modelPath, dataPath: table.source, probabilities: p, labels: labels.y,
                          evaluation: evaluation, rules: ruleParts, dependence: dependence, drift: drift,
                          asOf: rules == nil ? nil : asOf)
    }

    static func pct(_ x: Double, _ digits: Int = 1) -> String { x.isFinite ? NumberFormatting.fixed(x * 100, digits) + "%" : "–" }
    static func num(_ x: Double, _ digits: Int = 3) -> String { x.isFinite ? NumberFormatting.fixed(x, digits) : "–" }

    /// The ids of the charts, in page order (the browser test checks each is drawn).
    public var chartIDs: [String] {
        var ids = ["roc", "pr", "gains", "lift", "reliability", "tier-rate", "tier-share", "distribution", "importance"]
        ids += dependence.indices.map { "dependence-\($0 + 1)" }
        if rules != nil { ids += ["agreement", "capacity"] }
        return ids
    }

    // MARK: - charts

    func lineChart(id: String, title: String, xLabel: String, yLabel: String, area: PlotArea, series: [Series], legendBottom: Bool = false,
                   xFormat: @escaping (Double) -> String = { HTMLReport.pct($0, 0) }, yFormat: @escaping (Double) -> String = { HTMLReport.pct($0, 0) }) -> String {
        SVG.frame(area, id: id, title: title, xLabel: xLabel, yLabel: yLabel, xFormat: xFormat, yFormat: yFormat)
            + SVG.lines(area, series) + SVG.legend(area, series.map { ($0.name, $0.color, $0.dashed) }, bottom: legendBottom) + "</svg>"
    }

    /// Every chart of the page, by id.
    func charts() -> [String: String] {
        var out: [String: String] = [:]
        curveCharts(into: &out)
        reliabilityChart(into: &out)
        tierCharts(into: &out)
        distributionChart(into: &out)
        importanceChart(into: &out)
        dependenceCharts(into: &out)
        rulesCharts(into: &out)
        return out
    }

    /// ROC, precision–recall, gains and lift, the rules beside the model.
    func curveCharts(into out: inout [String: String]) {
        let y = labels, p = probabilities
        let baseRate = y.isEmpty ? 0 : y.reduce(0, +) / Double(y.count)
        var roc = [Series(name: "model (AUC \(HTMLReport.num(evaluation.auc)))", points: Curves.roc(p, y), color: Palette.model)]
        var pr = [Series(name: "model (PR AUC \(HTMLReport.num(evaluation.prAuc)))", points: Curves.precisionRecall(p, y), color: Palette.model)]
        var gains = [Series(name: "model", points: Curves.gains(p, y), color: Palette.model)]
        var lift = [Series(name: "model", points: Curves.lift(p, y), color: Palette.model)]
        if let rules {
            roc.append(Series(name: "rules (AUC \(HTMLReport.num(rules.comparison.rules.auc)))", points: Curves.roc(rules.points, y), color: Palette.rules))
            pr.append(Series(name: "rules (PR AUC \(HTMLReport.num(rules.comparison.rules.prAuc)))", points: Curves.precisionRecall(rules.points, y), color: Palette.rules))
            gains.append(Series(name: "rules", points: Curves.gains(rules.points, y), color: Palette.rules))
            lift.append(Series(name: "rules", points: Curves.lift(rules.points, y), color: Palette.rules))
        }
        roc.append(Series(name: "chance", points: [(0, 0), (1, 1)], color: Palette.reference, dashed: true))
        pr.append(Series(name: "base rate \(HTMLReport.pct(baseRate))", points: [(0, baseRate), (1, baseRate)], color: Palette.reference, dashed: true))
        gains.append(Series(name: "random", points: [(0, 0), (1, 1)], color: Palette.reference, dashed: true))
        lift.append(Series(name: "random", points: [(0.05, 1), (1, 1)], color: Palette.reference, dashed: true))
        out["roc"] = lineChart(id: "roc", title: "ROC curve", xLabel: "false positive rate (% of non-converters flagged)",
                               yLabel: "true positive rate (% of converters flagged)", area: PlotArea(), series: roc, legendBottom: true)
        out["pr"] = lineChart(id: "pr", title: "Precision and recall", xLabel: "recall (% of conversions found)",
                              yLabel: "precision (% of flagged leads converting)", area: PlotArea(), series: pr)
        out["gains"] = lineChart(id: "gains", title: "Cumulative gains: call the best-scored first", xLabel: "leads contacted (% of all, best first)",
                                 yLabel: "conversions found (% of all)", area: PlotArea(), series: gains, legendBottom: true)
        let maxLift = max(2, (lift.flatMap { $0.points.map(\.y) }.max() ?? 2).rounded(.up))
        out["lift"] = lineChart(id: "lift", title: "Lift over random", xLabel: "leads contacted (% of all, best first)",
                                yLabel: "lift (× the overall conversion rate)", area: PlotArea(x: 0...1, y: 0...maxLift), series: lift,
                                yFormat: { NumberFormatting.fixed($0, 1) + "×" })
    }

    /// Predicted against observed per decile, with Wilson intervals.
    func reliabilityChart(into out: inout [String: String]) {
        // Reliability: predicted against observed per decile, with Wilson intervals.
        if let r = evaluation.reliability {
            let top = min(1, max(0.1, (r.bins.map { max($0.meanPredicted, $0.observedHigh) }.max() ?? 1) * 1.1))
            let area = PlotArea(x: 0...top, y: 0...top)
            var s = SVG.frame(area, id: "reliability", title: "Calibration: predicted against observed (ECE \(HTMLReport.pct(r.expectedCalibrationError, 2)))",
                              xLabel: "mean predicted probability (%, per tenth of leads)", yLabel: "observed conversion rate (%)",
                              xFormat: { HTMLReport.pct($0, 0) }, yFormat: { HTMLReport.pct($0, 0) })
            s += SVG.lines(area, [Series(name: "perfect calibration", points: [(0, 0), (top, top)], color: Palette.reference, dashed: true)])
            s += SVG.dots(area, r.bins.map { ($0.meanPredicted, $0.observed, $0.observedLow, $0.observedHigh) }, color: Palette.model, name: "model")
            s += SVG.legend(area, [("observed rate, 95% interval", Palette.model, false), ("perfect calibration", Palette.reference, true)], bottom: true)
            out["reliability"] = s + "</svg>"
        }
    }

    /// Conversion rate and share of conversions per tier, model and rules side by side.
    func tierCharts(into out: inout [String: String]) {
        // Tiers: conversion rate and share of conversions, model and rules side by side.
        let tierNames = evaluation.tiers.map(\.name)
        var rateSeries = [(name: "model", color: Palette.model, values: evaluation.tiers.map(\.conversionRate))]
        var shareSeries = [(name: "model", color: Palette.model, values: evaluation.tiers.map(\.captureRate))]
        if let rules {
            rateSeries.append((name: "rules", color: Palette.rules, values: rules.comparison.rules.tiers.map(\.conversionRate)))
            shareSeries.append((name: "rules", color: Palette.rules, values: rules.comparison.rules.tiers.map(\.captureRate)))
        }
        let tierCharts: [(String, String, String, [(name: String, color: String, values: [Double])])] = [
            ("tier-rate", "Conversion rate per tier", "conversion rate (%)", rateSeries),
            ("tier-share", "Share of all conversions per tier", "share of conversions (%)", shareSeries)]
        for (id, title, label, series) in tierCharts {
            let top = min(1, max(0.1, (series.flatMap(\.values).max() ?? 1) * 1.15))
            let area = PlotArea(x: 0...1, y: 0...top)
            out[id] = SVG.frame(area, id: id, title: title, xLabel: "tier", yLabel: label, xFormat: { _ in "" }, yFormat: { HTMLReport.pct($0, 0) }, xTicks: [])
                + SVG.bars(area, groups: tierNames, series: series, format: { HTMLReport.pct($0, 0) })
                + SVG.legend(area, series.map { ($0.name, $0.color, false) }) + "</svg>"
        }
    }

    /// The score distributions of converters and the others.
    func distributionChart(into out: inout [String: String]) {
        let y = labels, p = probabilities
        // Score distribution of converters and the others.
        let bins = 20
        let (c, o) = Curves.histogram(p, y, bins: bins)
        let centres = (0..<bins).map { (Double($0) + 0.5) / Double(bins) }
        let peak = max(0.05, ((c + o).max() ?? 0.1) * 1.1)
        out["distribution"] = lineChart(id: "distribution", title: "Scores of converters and the others",
                                        xLabel: "predicted probability (%)", yLabel: "share of the group's leads (%, per 5-point band)",
                                        area: PlotArea(x: 0...1, y: 0...peak),
                                        series: [Series(name: "converted", points: zip(centres, c).map { (x: $0, y: $1) }, color: Palette.converted),
                                                 Series(name: "not converted", points: zip(centres, o).map { (x: $0, y: $1) }, color: Palette.notConverted, dashed: true)])
    }

    /// Global importance of the inputs.
    func importanceChart(into out: inout [String: String]) {
        // Global importance.
        let importance = Array((model.training.importance ?? []).prefix(10))
        if !importance.isEmpty {
            var area = PlotArea(x: 0...max(1e-9, (importance.map(\.meanAbsContribution).max() ?? 1) * 1.15), y: 0...1,
                                height: Double(80 + 28 * importance.count))
            area.left = 190
            out["importance"] = SVG.frame(area, id: "importance", title: "What drives the scores",
                                          xLabel: "mean absolute contribution (log-odds units)", yLabel: "", xFormat: { NumberFormatting.fixed($0, 2) },
                                          yFormat: { _ in "" })
                + SVG.horizontalBars(area, labels: importance.map(\.feature), values: importance.map(\.meanAbsContribution),
                                     color: Palette.model, format: { NumberFormatting.fixed($0, 3) }) + "</svg>"
        } else {
            out["importance"] = "<svg id=\"importance\" class=\"chart\" viewBox=\"0 0 640 60\" role=\"img\"><title>Importance</title><text class=\"label\" x=\"10\" y=\"30\">This model file records no feature importance.</text></svg>"
        }
    }

    /// Partial dependence of the strongest inputs.
    func dependenceCharts(into out: inout [String: String]) {
        // Dependence of the strongest inputs.
        for (i, d) in dependence.enumerated() {
            let id = "dependence-\(i + 1)"
            let top = min(1, max(0.05, (d.meanProbability.max() ?? 1) * 1.15))
            if d.numeric, let lo = d.positions.first, let hi = d.positions.last, hi > lo {
                out[id] = lineChart(id: id, title: "Mean probability as '\(d.feature)' varies", xLabel: "\(d.feature) (value)",
                                    yLabel: "mean predicted probability (%)", area: PlotArea(x: lo...hi, y: 0...top),
                                    series: [Series(name: "model", points: zip(d.positions, d.meanProbability).map { (x: $0, y: $1) }, color: Palette.model)],
                                    xFormat: { formatPoints(($0 * 100).rounded() / 100) })
            } else {
                let area = PlotArea(x: 0...1, y: 0...top)
                out[id] = SVG.frame(area, id: id, title: "Mean probability per value of '\(d.feature)'", xLabel: d.feature, yLabel: "mean predicted probability (%)",
                                    xFormat: { _ in "" }, yFormat: { HTMLReport.pct($0, 0) }, xTicks: [])
                    + SVG.bars(area, groups: d.values.map { $0.count > 14 ? String($0.prefix(13)) + "…" : $0 },
                               series: [(name: "model", color: Palette.model, values: d.meanProbability)], format: { HTMLReport.pct($0, 0) }) + "</svg>"
            }
        }
    }

    /// With rules: the agreement heat map and conversions in the top N.
    func rulesCharts(into out: inout [String: String]) {
        let y = labels, p = probabilities
        if let rules {
            out["agreement"] = agreementChart(rules.comparison)
            let n = y.count, k = max(1, n / 50)
            let ks = Array(stride(from: 0, through: n, by: k))
            let positives = y.reduce(0, +)
            let modelHits = Curves.hits(p, y, at: ks), ruleHits = Curves.hits(rules.points, y, at: ks)
            let top = max(1, (modelHits.max() ?? 1) * 1.1)
            out["capacity"] = lineChart(id: "capacity", title: "Conversions in the top N leads", xLabel: "N: leads sales can work (count)",
                                        yLabel: "conversions among them (count)", area: PlotArea(x: 0...Double(max(1, n)), y: 0...top),
                                        series: [Series(name: "model", points: zip(ks, modelHits).map { (Double($0), $1) }, color: Palette.model),
                                                 Series(name: "rules", points: zip(ks, ruleHits).map { (Double($0), $1) }, color: Palette.rules),
                                                 Series(name: "random", points: [(0, 0), (Double(n), positives)], color: Palette.reference, dashed: true)],
                                        legendBottom: true, xFormat: { NumberFormatting.grouped(Int($0)) }, yFormat: { NumberFormatting.grouped(Int($0)) })
        }
    }

    /// The agreement matrix as a heat map: cells shaded by conversion rate, with count and rate.
    func agreementChart(_ c: ComparisonReport) -> String {
        var area = PlotArea(x: 0...3, y: 0...3, width: 640, height: 380)
        area.left = 110
        let names = Tier.allCases.reversed().map(\.rawValue)
        var s = "<svg id=\"agreement\" class=\"chart\" viewBox=\"0 0 640 380\" role=\"img\" aria-labelledby=\"agreement-title\" xmlns=\"http://www.w3.org/2000/svg\">"
        s += "<title id=\"agreement-title\">Agreement: rules' tier against the model's tier</title>"
        s += "<text class=\"title\" x=\"10\" y=\"22\">Agreement: rules' tier (rows) against the model's tier</text>"
        let maxRate = max(0.01, c.agreement.map(\.conversionRate).max() ?? 1)
        for (r, rt) in names.enumerated() {
            for (col, at) in names.enumerated() {
                let cell = c.agreement.first { $0.rules == rt && $0.ai == at }!
                let x0 = area.px(Double(col)), x1 = area.px(Double(col + 1)), y0 = area.py(Double(3 - r)), y1 = area.py(Double(2 - r))
                let shade = cell.count == 0 ? 0.03 : 0.1 + 0.85 * cell.conversionRate / maxRate
                s += "<rect class=\"cell\" data-count=\"\(cell.count)\" data-rate=\"\(cell.conversionRate)\" x=\"\(SVG.n(x0))\" y=\"\(SVG.n(y0))\" width=\"\(SVG.n(x1 - x0 - 2))\" height=\"\(SVG.n(y1 - y0 - 2))\" fill=\"\(Palette.model)\" fill-opacity=\"\(NumberFormatting.fixed(shade, 3))\"/>"
                let text = cell.count == 0 ? "0 leads" : "\(NumberFormatting.grouped(cell.count)) leads, \(HTMLReport.pct(cell.conversionRate, 0))"
                s += "<text class=\"value\" x=\"\(SVG.n((x0 + x1) / 2))\" y=\"\(SVG.n((y0 + y1) / 2 + 4))\" text-anchor=\"middle\">\(text)</text>"
            }
            s += "<text class=\"tick\" x=\"\(SVG.n(area.left - 8))\" y=\"\(SVG.n((area.py(Double(3 - r)) + area.py(Double(2 - r))) / 2 + 4))\" text-anchor=\"end\">rules \(rt)</text>"
        }
        for (col, at) in names.enumerated() {
            s += "<text class=\"tick\" x=\"\(SVG.n((area.px(Double(col)) + area.px(Double(col + 1))) / 2))\" y=\"\(SVG.n(area.height - area.bottom + 18))\" text-anchor=\"middle\">model \(at)</text>"
        }
        s += "<text class=\"label\" x=\"\(SVG.n(area.left + area.innerWidth / 2))\" y=\"\(SVG.n(area.height - 14))\" text-anchor=\"middle\">model's tier (cells: leads, and their conversion rate; darker converts more)</text>"
        return s + "</svg>"
    }

    // MARK: - page

    public func html(generatedAt: Date = Date()) -> String {
        let charts = self.charts()
        func figure(_ id: String, _ caption: String) -> String {
            guard let svg = charts[id] else { return "" }
            return "<figure>\(svg)<figcaption>\(SVG.escape(caption))</figcaption></figure>"
        }
        return pageHead() + titleLine(generatedAt: generatedAt) + headline() + chartSections(figure: figure)
            + thresholdExplorer() + modelFacts() + driftSection()
            + "<p class=\"muted\">Every number here can be checked with <code>leadscore evaluate --json</code>\(rules == nil ? "" : " and <code>leadscore compare --json</code>") on the same files.</p>"
            + "</body></html>\n"
    }

    /// The document's head and style sheet, up to the opening body.
    func pageHead() -> String {
        func esc(_ s: String) -> String { SVG.escape(s) }
        return """
        <!DOCTYPE html>
        <html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
        <title>Lead scoring report: \(esc(URL(fileURLWithPath: modelPath).lastPathComponent)) on \(esc(URL(fileURLWithPath: dataPath).lastPathComponent))</title>
        <style>
        body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,Helvetica,Arial,sans-serif;margin:0 auto;max-width:1100px;padding:16px;color:#212529;line-height:1.45}
        h1{font-size:1.6em;margin:.2em 0}h2{font-size:1.25em;margin-top:1.6em;border-bottom:1px solid #dee2e6;padding-bottom:.2em}
        .cards{display:flex;flex-wrap:wrap;gap:12px;margin:12px 0}.card{border:1px solid #dee2e6;border-radius:6px;padding:10px 14px;min-width:150px;flex:1}
        .card b{display:block;font-size:1.5em}.muted{color:#6c757d;font-size:.9em}
        .grid{display:grid;grid-template-columns:repeat(auto-fit,minmax(420px,1fr));gap:16px}
        figure{margin:0;border:1px solid #f1f3f5;border-radius:6px;padding:6px;break-inside:avoid}figcaption{font-size:.85em;color:#495057;padding:4px}
        svg.chart{width:100%;height:auto;display:block}
        svg .title{font-size:15px;font-weight:600;fill:#212529}svg .tick{font-size:11px;fill:#495057}svg .label{font-size:12px;fill:#212529}
        svg .value{font-size:11px;fill:#212529}svg .grid{stroke:#e9ecef}svg .axis{stroke:#495057}svg .interval{stroke-width:2}
        table{border-collapse:collapse;width:100%;font-size:.9em}th,td{border-bottom:1px solid #e9ecef;padding:4px 8px;text-align:right}th:first-child,td:first-child{text-align:left}
        tr.tier td{font-weight:600;background:#f8f9fa}.alarm{color:#c92a2a;font-weight:600}.warning{color:#e67700;font-weight:600}
        @media (max-width:600px){.grid{grid-template-columns:1fr}body{padding:8px}}
        @media print{.grid{grid-template-columns:1fr 1fr}figure{break-inside:avoid}h2{break-after:avoid}}
        </style></head><body>
        """
    }

    /// The title and what the page is about.
    func titleLine(generatedAt: Date) -> String {
        var h = ""
        func esc(_ s: String) -> String { SVG.escape(s) }
        h += "<h1>Lead scoring report</h1><p class=\"muted\">Model <b>\(esc(modelPath))</b> (\(esc(model.kindDescription))) on <b>\(esc(dataPath))</b>"
        if let rules { h += " against the rules in <b>\(esc(rules.set.source))</b>" }
        h += ". Generated \(esc(ISO8601DateFormatter().string(from: generatedAt))) by leadscore \(esc(LeadScoreVersion.current)).</p>"
        return h
    }

    /// The headline cards: leads, conversions, AUC and each tier.
    func headline() -> String {
        var h = ""
        func esc(_ s: String) -> String { SVG.escape(s) }
        let e = evaluation
        // Headline.
        let rate = e.rows > 0 ? Double(e.conversions) / Double(e.rows) : 0
        h += "<div class=\"cards\">"
        h += "<div class=\"card\"><span class=\"muted\">labelled leads</span><b id=\"rows\" data-value=\"\(e.rows)\">\(NumberFormatting.grouped(e.rows))</b></div>"
        h += "<div class=\"card\"><span class=\"muted\">converted</span><b id=\"conversions\" data-value=\"\(e.conversions)\">\(NumberFormatting.grouped(e.conversions)) (\(HTMLReport.pct(rate)))</b></div>"
        h += "<div class=\"card\"><span class=\"muted\">ROC AUC, 95% interval</span><b id=\"auc\" data-value=\"\(e.auc)\">\(HTMLReport.num(e.auc))</b><span class=\"muted\">\(HTMLReport.num(e.aucLow ?? .nan))–\(HTMLReport.num(e.aucHigh ?? .nan))</span></div>"
        for t in e.tiers {
            h += "<div class=\"card\"><span class=\"muted\">\(esc(t.name)): \(NumberFormatting.grouped(t.count)) leads</span><b class=\"tier-rate\" data-tier=\"\(esc(t.name))\" data-value=\"\(t.conversionRate)\">\(HTMLReport.pct(t.conversionRate)) convert</b><span class=\"muted\">\(HTMLReport.pct(t.captureRate)) of all conversions</span></div>"
        }
        h += "</div>"
        if let rules { h += "<p><b>\(esc(rules.comparison.verdict))</b></p>" }
        return h
    }

    /// The charts, section by section, with the rules when given.
    func chartSections(figure: (String, String) -> String) -> String {
        var h = ""
        func esc(_ s: String) -> String { SVG.escape(s) }
        h += "<h2>How well the scores separate converters</h2><div class=\"grid\">"
        h += figure("roc", "Each point is a threshold: the share of converters above it against the share of non-converters above it. The diagonal is guessing.")
        h += figure("pr", "Of the leads above a threshold, how many convert (precision), against how many of all conversions they hold (recall).")
        h += "</div><h2>Who to call first</h2><div class=\"grid\">"
        h += figure("gains", "Working leads best-scored first: the share of all conversions found after contacting a share of the leads.")
        h += figure("lift", "How many times the overall conversion rate the top leads convert at.")
        h += "</div><h2>Can the probabilities be taken literally?</h2><div class=\"grid\">"
        h += figure("reliability", "Leads in ten equal groups by predicted probability: each group's observed conversion rate (with its 95% interval) against its mean prediction. On the diagonal, \"38%\" means 38 in 100 convert.")
        h += figure("distribution", "How the predicted probabilities of converters and of the others spread: the less they overlap, the better the ranking.")
        h += "</div><h2>Tiers</h2><div class=\"grid\">"
        h += figure("tier-rate", "The share of each tier's leads that converted" + (rules == nil ? "." : ", for the model's tiers and the rules' tiers."))
        h += figure("tier-share", "The share of all conversions each tier holds.")
        h += "</div><h2>What drives the scores</h2><div class=\"grid\">"
        h += figure("importance", "Mean absolute contribution of each input to a lead's log-odds on the training holdout (SHAP for trees).")
        for (i, d) in dependence.enumerated() {
            h += figure("dependence-\(i + 1)", "Partial dependence: the mean predicted probability of \(NumberFormatting.grouped(min(300, labels.count))) sampled leads with '\(d.feature)' set to each value in turn, all else as it is.")
        }
        h += "</div>"
        if let rules {
            h += "<h2>The model against the rules</h2><div class=\"grid\">"
            h += figure("agreement", "Leads by the tier the rules give them and the tier the model gives them, with each cell's conversion rate.")
            h += figure("capacity", "If sales can work N leads, the conversions among the N best by each method, and by a random pick.")
            h += "</div>"
            h += "<table><tr><th>method</th><th>ROC AUC</th><th>PR AUC</th><th>lift, top 10%</th><th>lift, top 20%</th><th>SQL leads not converting</th><th>conversions left in Cold</th></tr>"
            for m in [rules.comparison.ai, rules.comparison.rules] {
                h += "<tr><td>\(esc(m.name))</td><td>\(HTMLReport.num(m.auc))</td><td>\(HTMLReport.num(m.prAuc))</td><td>\(HTMLReport.num(m.liftAt10, 2))</td><td>\(HTMLReport.num(m.liftAt20, 2))</td><td>\(m.wastedSQL)</td><td>\(m.missedInCold)</td></tr>"
            }
            h += "</table>"
        }
        return h
    }

    /// Precision, recall and leads above each threshold, the current tier thresholds highlighted.
    func thresholdExplorer() -> String {
        var h = ""
        // Threshold explorer.
        h += "<h2>Threshold explorer</h2><p class=\"muted\">For agreeing on the MQL and SQL thresholds: at each probability threshold, the leads at or above it, how many of them convert (precision) and the share of all conversions they hold (recall). The model's current tier thresholds are highlighted.</p>"
        h += "<table id=\"thresholds\"><tr><th>threshold</th><th>leads at or above</th><th>share of leads</th><th>precision</th><th>recall</th></tr>"
        for row in ThresholdRow.table(probabilities, labels, thresholds: stride(from: 0.05, through: 0.951, by: 0.05).map { $0 }, tiers: model.tiers) {
            h += "<tr\(row.tier != nil ? " class=\"tier\"" : "")><td>\(HTMLReport.pct(row.threshold, 1))\(row.tier.map { " (\($0))" } ?? "")</td><td>\(NumberFormatting.grouped(row.leadsAbove))</td><td>\(HTMLReport.pct(row.shareAbove))</td><td>\(HTMLReport.pct(row.precision))</td><td>\(HTMLReport.pct(row.recall))</td></tr>"
        }
        h += "</table>"
        return h
    }

    /// The model's facts.
    func modelFacts() -> String {
        var h = ""
        func esc(_ s: String) -> String { SVG.escape(s) }
        // Facts.
        let t = model.training
        h += "<h2>The model</h2><table><tr><th>fact</th><th>value</th></tr>"
        var facts: [(String, String)] = [
            ("kind", model.kindDescription), ("trained", t.trainedAt), ("training data", "\(t.dataFile), \(NumberFormatting.grouped(t.rows)) labelled leads, \(NumberFormatting.grouped(t.conversions)) converted"),
            ("training data SHA-256", t.dataSHA256.isEmpty ? "–" : t.dataSHA256), ("holdout", "\(t.split): ROC AUC \(HTMLReport.num(t.holdout.auc)), log loss \(HTMLReport.num(t.holdout.logLoss, 4))"),
            ("tiers", "SQL at p ≥ \(HTMLReport.num(model.tiers.sql)), MQL at p ≥ \(HTMLReport.num(model.tiers.mql)) (\(model.tiers.method))"),
            ("calibration", model.calibration?.name ?? "none"),
            ("settings", t.hyperparameters.summary),
            ("file format", "\(model.formatVersion), leadscore \(t.leadscoreVersion)"),
        ]
        if let asOf { facts.append(("rules as of", DateParser.isoDate(days: Int(asOf / 86_400)))) }
        for (k, v) in facts { h += "<tr><td>\(esc(k))</td><td>\(esc(v))</td></tr>" }
        h += "</table>"
        return h
    }

    /// This data against the training data.
    func driftSection() -> String {
        var h = ""
        func esc(_ s: String) -> String { SVG.escape(s) }
        if let drift {
            h += "<h2>This data against the training data</h2><p id=\"drift\" class=\"\(drift.status == .stable ? "" : drift.status.rawValue)\">\(esc(drift.status.rawValue.capitalized)): \(esc(drift.summary))</p>"
            let drifted = drift.features.filter { $0.status != .stable || !$0.unseenLevels.isEmpty }
            if !drifted.isEmpty {
                h += "<table><tr><th>column</th><th>PSI</th><th>status</th><th>missing (training → now)</th><th>unseen categories</th></tr>"
                for f in drifted.prefix(15) {
                    h += "<tr><td>\(esc(f.name))</td><td>\(HTMLReport.num(f.psi))</td><td class=\"\(f.status.rawValue)\">\(f.status.rawValue)</td><td>\(HTMLReport.pct(f.missingTraining)) → \(HTMLReport.pct(f.missingNew))</td><td>\(esc(f.unseenLevels.prefix(5).joined(separator: ", ")))</td></tr>"
                }
                h += "</table>"
            }
        } else {
            h += "<h2>This data against the training data</h2><p class=\"muted\">The model file (format \(model.formatVersion)) carries no training profile: retrain with this leadscore to compare.</p>"
        }
        return h
    }
}
