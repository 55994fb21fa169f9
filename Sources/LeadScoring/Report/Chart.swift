import Foundation

/// The drawing area of a chart and the mapping from data to pixels. Every chart in the report
/// is drawn by this code into inline SVG: no scripts, fonts or images from anywhere.
public struct PlotArea: Equatable, Sendable {
    public var width = 640.0, height = 400.0
    public var left = 64.0, right = 16.0, top = 40.0, bottom = 56.0
    public var x: ClosedRange<Double> = 0...1
    public var y: ClosedRange<Double> = 0...1

    public init(x: ClosedRange<Double> = 0...1, y: ClosedRange<Double> = 0...1, width: Double = 640, height: Double = 400) {
        self.x = x
        self.y = y
        self.width = width
        self.height = height
    }

    public var innerWidth: Double { width - left - right }
    public var innerHeight: Double { height - top - bottom }

    /// Pixel column of data value `v` (the x domain spans the inner width, left to right).
    public func px(_ v: Double) -> Double {
        let span = x.upperBound - x.lowerBound
        return left + (span > 0 ? (v - x.lowerBound) / span : 0.5) * innerWidth
    }

    /// Pixel row of data value `v` (the y domain spans the inner height, bottom to top).
    public func py(_ v: Double) -> Double {
        let span = y.upperBound - y.lowerBound
        return top + innerHeight - (span > 0 ? (v - y.lowerBound) / span : 0.5) * innerHeight
    }
}

/// A line or point series.
public struct Series: Sendable {
    public var name: String
    public var points: [(x: Double, y: Double)]
    public var color: String
    public var dashed = false

    public init(name: String, points: [(x: Double, y: Double)], color: String, dashed: Bool = false) {
        self.name = name
        self.points = points
        self.color = color
        self.dashed = dashed
    }
}

/// The report's colours: the model, the rules, a reference (random, diagonal), and a sequence.
public enum Palette {
    public static let model = "#1f6feb", rules = "#d9480f", reference = "#868e96"
    public static let converted = "#2b8a3e", notConverted = "#868e96"
    public static let tiers = ["SQL": "#2b8a3e", "MQL": "#f08c00", "Cold": "#868e96"]
}

/// SVG building blocks.
public enum SVG {
    public static func escape(_ s: String) -> String {
        var out = ""
        for ch in s {
            switch ch {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            default: out.append(ch)
            }
        }
        return out
    }

    static func n(_ x: Double) -> String { NumberFormatting.fixed(x, 1) }

    /// "Nice" tick values covering `range`: steps of 1, 2 or 5 × 10ᵏ, about `count` of them.
    public static func ticks(_ range: ClosedRange<Double>, count: Int = 5) -> [Double] {
        let span = range.upperBound - range.lowerBound
        guard span > 0, span.isFinite else { return [range.lowerBound] }
        let raw = span / Double(max(1, count))
        let magnitude = pow(10, floor(log10(raw)))
        let step = [1.0, 2, 5, 10].map { $0 * magnitude }.first { $0 >= raw } ?? raw
        // Multiples of the step, each computed afresh rather than by repeated addition.
        var ticks: [Double] = []
        var i = (range.lowerBound / step - 1e-9).rounded(.up)
        while i * step <= range.upperBound + step * 1e-9 {
            // 12 significant digits drop the float noise of i × step (3 × 0.2 = 0.6000000000000001).
            let v = Double(String(format: "%.12g", i * step)) ?? i * step
            ticks.append(abs(v) < step * 1e-9 ? 0 : v)
            i += 1
        }
        return ticks
    }

    /// The frame of a chart: title, axes with ticks and labels (with units), gridlines.
    /// `xFormat` / `yFormat` write tick labels.
    public static func frame(_ area: PlotArea, id: String, title: String, xLabel: String, yLabel: String,
                             xFormat: (Double) -> String, yFormat: (Double) -> String, xTicks: [Double]? = nil) -> String {
        var s = "<svg id=\"\(id)\" class=\"chart\" viewBox=\"0 0 \(n(area.width)) \(n(area.height))\" role=\"img\" aria-labelledby=\"\(id)-title\" xmlns=\"http://www.w3.org/2000/svg\">"
        s += "<title id=\"\(id)-title\">\(escape(title))</title>"
        s += "<text class=\"title\" x=\"10\" y=\"22\">\(escape(title))</text>"
        for t in ticks(area.y) {
            let y = area.py(t)
            s += "<line class=\"grid\" x1=\"\(n(area.left))\" x2=\"\(n(area.width - area.right))\" y1=\"\(n(y))\" y2=\"\(n(y))\"/>"
            s += "<text class=\"tick\" x=\"\(n(area.left - 6))\" y=\"\(n(y + 4))\" text-anchor=\"end\">\(escape(yFormat(t)))</text>"
        }
        for t in xTicks ?? ticks(area.x) {
            let x = area.px(t)
            s += "<line class=\"axis\" x1=\"\(n(x))\" x2=\"\(n(x))\" y1=\"\(n(area.height - area.bottom))\" y2=\"\(n(area.height - area.bottom + 5))\"/>"
            s += "<text class=\"tick\" x=\"\(n(x))\" y=\"\(n(area.height - area.bottom + 18))\" text-anchor=\"middle\">\(escape(xFormat(t)))</text>"
        }
        s += "<line class=\"axis\" x1=\"\(n(area.left))\" x2=\"\(n(area.width - area.right))\" y1=\"\(n(area.height - area.bottom))\" y2=\"\(n(area.height - area.bottom))\"/>"
        s += "<line class=\"axis\" x1=\"\(n(area.left))\" x2=\"\(n(area.left))\" y1=\"\(n(area.top))\" y2=\"\(n(area.height - area.bottom))\"/>"
        s += "<text class=\"label\" x=\"\(n(area.left + area.innerWidth / 2))\" y=\"\(n(area.height - 14))\" text-anchor=\"middle\">\(escape(xLabel))</text>"
        s += "<text class=\"label\" transform=\"translate(16 \(n(area.top + area.innerHeight / 2))) rotate(-90)\" text-anchor=\"middle\">\(escape(yLabel))</text>"
        return s
    }

    /// A polyline per series (points outside the domain are clipped to it).
    public static func lines(_ area: PlotArea, _ series: [Series]) -> String {
        var s = ""
        for line in series where !line.points.isEmpty {
            let points = line.points.map { p -> String in
                let x = min(max(p.x, area.x.lowerBound), area.x.upperBound), y = min(max(p.y, area.y.lowerBound), area.y.upperBound)
                return "\(n(area.px(x))),\(n(area.py(y)))"
            }.joined(separator: " ")
            s += "<polyline class=\"series\" data-series=\"\(escape(line.name))\" fill=\"none\" stroke=\"\(line.color)\" stroke-width=\"2\"\(line.dashed ? " stroke-dasharray=\"6 4\"" : "") points=\"\(points)\"/>"
        }
        return s
    }

    /// Dots with a vertical interval each (for the reliability diagram).
    public static func dots(_ area: PlotArea, _ points: [(x: Double, y: Double, low: Double, high: Double)], color: String, name: String) -> String {
        var s = ""
        for p in points {
            let x = area.px(p.x)
            s += "<line class=\"interval\" x1=\"\(n(x))\" x2=\"\(n(x))\" y1=\"\(n(area.py(p.low)))\" y2=\"\(n(area.py(p.high)))\" stroke=\"\(color)\"/>"
            s += "<circle class=\"series\" data-series=\"\(escape(name))\" cx=\"\(n(x))\" cy=\"\(n(area.py(p.y)))\" r=\"4\" fill=\"\(color)\"/>"
        }
        return s
    }

    /// A legend in a corner of the plot area: top right, or bottom right for curves that rise
    /// towards the top-right corner (ROC, gains).
    public static func legend(_ area: PlotArea, _ entries: [(name: String, color: String, dashed: Bool)], bottom: Bool = false) -> String {
        guard entries.count > 1 else { return "" }
        var s = "<g class=\"legend\">"
        let x = area.width - area.right - 190
        let y0 = bottom ? area.height - area.bottom - 10 - Double(entries.count - 1) * 18 : area.top + 8
        s += "<rect x=\"\(n(x - 6))\" y=\"\(n(y0 - 10))\" width=\"196\" height=\"\(n(Double(entries.count) * 18 + 2))\" fill=\"#ffffff\" fill-opacity=\"0.85\"/>"
        for (i, e) in entries.enumerated() {
            let y = y0 + Double(i) * 18
            s += "<line x1=\"\(n(x))\" x2=\"\(n(x + 22))\" y1=\"\(n(y))\" y2=\"\(n(y))\" stroke=\"\(e.color)\" stroke-width=\"3\"\(e.dashed ? " stroke-dasharray=\"6 4\"" : "")/>"
            s += "<text class=\"tick\" x=\"\(n(x + 28))\" y=\"\(n(y + 4))\">\(escape(e.name))</text>"
        }
        return s + "</g>"
    }

    /// Grouped vertical bars: `groups` along x, one bar per series within each, value labels on top.
    public static func bars(_ area: PlotArea, groups: [String], series: [(name: String, color: String, values: [Double])],
                            format: (Double) -> String) -> String {
        var s = ""
        let slot = area.innerWidth / Double(max(1, groups.count))
        let barWidth = slot * 0.7 / Double(max(1, series.count))
        for (g, group) in groups.enumerated() {
            let x0 = area.left + Double(g) * slot + slot * 0.15
            for (k, item) in series.enumerated() {
                let v = item.values[g]
                let x = x0 + Double(k) * barWidth, y = area.py(max(area.y.lowerBound, min(v, area.y.upperBound)))
                s += "<rect class=\"bar\" data-series=\"\(escape(item.name))\" data-value=\"\(v)\" x=\"\(n(x))\" y=\"\(n(y))\" width=\"\(n(barWidth - 2))\" height=\"\(n(area.py(area.y.lowerBound) - y))\" fill=\"\(item.color)\"/>"
                s += "<text class=\"value\" x=\"\(n(x + barWidth / 2 - 1))\" y=\"\(n(y - 4))\" text-anchor=\"middle\">\(escape(format(v)))</text>"
            }
            s += "<text class=\"tick\" x=\"\(n(area.left + Double(g) * slot + slot / 2))\" y=\"\(n(area.height - area.bottom + 18))\" text-anchor=\"middle\">\(escape(group))</text>"
        }
        return s
    }

    /// Horizontal bars, one per labelled row (feature importance).
    public static func horizontalBars(_ area: PlotArea, labels: [String], values: [Double], color: String, format: (Double) -> String) -> String {
        var s = ""
        let slot = area.innerHeight / Double(max(1, labels.count))
        for (i, label) in labels.enumerated() {
            let y = area.top + Double(i) * slot + slot * 0.15
            let x1 = area.px(max(area.x.lowerBound, min(values[i], area.x.upperBound)))
            s += "<rect class=\"bar\" data-value=\"\(values[i])\" x=\"\(n(area.left))\" y=\"\(n(y))\" width=\"\(n(x1 - area.left))\" height=\"\(n(slot * 0.7))\" fill=\"\(color)\"/>"
            s += "<text class=\"tick\" x=\"\(n(area.left - 6))\" y=\"\(n(y + slot * 0.45))\" text-anchor=\"end\">\(escape(label))</text>"
            s += "<text class=\"value\" x=\"\(n(x1 + 4))\" y=\"\(n(y + slot * 0.45))\">\(escape(format(values[i])))</text>"
        }
        return s
    }
}
