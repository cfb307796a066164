import Foundation

/// An SVG line plot of a lifelong run: one panel per metric (Reliability, Generalization, Locality)
/// against the number of edits, one line per method, with axes, ticks and a legend.
/// Written with plain string building: no plotting library, and the same input gives the same bytes.
public struct CurvePlot: Sendable {
    public struct Series: Sendable {
        public var name: String
        public var points: [MetricsSnapshot]

        public init(name: String, points: [MetricsSnapshot]) {
            self.name = name
            self.points = points
        }
    }

    public var series: [Series]
    public var kind: MetricKind
    public var title: String

    /// Colour-blind-safe line colours (Okabe–Ito), reused in order.
    static let palette = ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000"]
    /// Dash patterns cycled beside the colours, so lines that lie on top of each other (or are printed in
    /// grey) stay apart: solid, dashed, dotted, dash-dot.
    static let dashes = ["", "7 4", "2 3", "10 3 2 3"]

    static func dash(_ index: Int) -> String {
        let d = dashes[index % dashes.count]
        return d.isEmpty ? "" : " stroke-dasharray=\"\(d)\""
    }

    let panelWidth = 300.0, panelHeight = 220.0
    let left = 56.0, gap = 40.0, top = 52.0, bottom = 44.0

    public init(series: [Series], kind: MetricKind = .exactMatch, title: String = "Lifelong editing") {
        self.series = series
        self.kind = kind
        self.title = title
    }

    public init(report: LifelongReport, kind: MetricKind = .exactMatch) {
        self.init(series: report.methods.map { Series(name: $0.name, points: $0.curve.points) },
                  kind: kind, title: report.title)
    }

    public var width: Double { left + Double(EditMetric.allCases.count) * (panelWidth + gap) }
    public var height: Double { top + panelHeight + bottom + 18 * Double(series.count) + 12 }

    /// The largest number of edits on any line, at least 1 (the x axis runs from 0 to it).
    var maxEdits: Int { max(1, series.flatMap(\.points).map(\.editsApplied).max() ?? 1) }

    public var svg: String {
        var s = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(n(width))\" height=\"\(n(height))\" "
            + "viewBox=\"0 0 \(n(width)) \(n(height))\" font-family=\"sans-serif\" font-size=\"12\">\n"
        s += "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n"
        s += "<text x=\"\(n(width / 2))\" y=\"20\" text-anchor=\"middle\" font-size=\"15\">\(escape(title)) (\(kind.rawValue), %)</text>\n"
        for (index, metric) in EditMetric.allCases.enumerated() {
            s += panel(metric, x0: left + Double(index) * (panelWidth + gap))
        }
        s += legend()
        s += "</svg>\n"
        return s
    }

    private func panel(_ metric: EditMetric, x0: Double) -> String {
        let y0 = top, x1 = x0 + panelWidth, y1 = top + panelHeight
        var s = "<g class=\"panel\" data-metric=\"\(metric.rawValue)\">\n"
        s += "<text x=\"\(n(x0 + panelWidth / 2))\" y=\"\(n(y0 - 10))\" text-anchor=\"middle\" font-weight=\"bold\">\(metric.rawValue)</text>\n"
        for tick in stride(from: 0, through: 100, by: 25) {
            let y = yPos(Double(tick) / 100)
            s += "<line x1=\"\(n(x0))\" y1=\"\(n(y))\" x2=\"\(n(x1))\" y2=\"\(n(y))\" stroke=\"#e0e0e0\"/>\n"
            s += "<text x=\"\(n(x0 - 6))\" y=\"\(n(y + 4))\" text-anchor=\"end\">\(tick)</text>\n"
        }
        for tick in CurvePlot.ticks(upTo: maxEdits) {
            let x = xPos(tick, x0: x0)
            s += "<line x1=\"\(n(x))\" y1=\"\(n(y1))\" x2=\"\(n(x))\" y2=\"\(n(y1 + 5))\" stroke=\"black\"/>\n"
            s += "<text x=\"\(n(x))\" y=\"\(n(y1 + 18))\" text-anchor=\"middle\">\(tick)</text>\n"
        }
        s += "<line x1=\"\(n(x0))\" y1=\"\(n(y1))\" x2=\"\(n(x1))\" y2=\"\(n(y1))\" stroke=\"black\"/>\n"
        s += "<line x1=\"\(n(x0))\" y1=\"\(n(y0))\" x2=\"\(n(x0))\" y2=\"\(n(y1))\" stroke=\"black\"/>\n"
        s += "<text x=\"\(n(x0 + panelWidth / 2))\" y=\"\(n(y1 + 34))\" text-anchor=\"middle\">number of edits</text>\n"
        for (index, line) in series.enumerated() {
            let measured = line.points.filter { $0.score(metric).count > 0 }
            guard !measured.isEmpty else { continue }
            let color = CurvePlot.palette[index % CurvePlot.palette.count]
            let coords = measured.map { "\(n(xPos($0.editsApplied, x0: x0))),\(n(yPos($0.score(metric).value(kind))))" }
            s += "<polyline class=\"series\" data-method=\"\(escape(line.name))\" fill=\"none\" stroke=\"\(color)\" "
                + "stroke-width=\"2\"\(CurvePlot.dash(index)) points=\"\(coords.joined(separator: " "))\"/>\n"
            for coord in coords {
                let xy = coord.split(separator: ",")
                s += "<circle cx=\"\(xy[0])\" cy=\"\(xy[1])\" r=\"2.5\" fill=\"\(color)\"/>\n"
            }
        }
        s += "</g>\n"
        return s
    }

    private func legend() -> String {
        var s = "<g class=\"legend\">\n"
        for (index, line) in series.enumerated() {
            let y = top + panelHeight + bottom + 18 * Double(index) + 6
            let color = CurvePlot.palette[index % CurvePlot.palette.count]
            s += "<line x1=\"\(n(left))\" y1=\"\(n(y))\" x2=\"\(n(left + 24))\" y2=\"\(n(y))\" stroke=\"\(color)\" stroke-width=\"3\"\(CurvePlot.dash(index))/>\n"
            s += "<text x=\"\(n(left + 30))\" y=\"\(n(y + 4))\">\(escape(line.name))</text>\n"
        }
        return s + "</g>\n"
    }

    func xPos(_ edits: Int, x0: Double) -> Double { x0 + panelWidth * Double(edits) / Double(maxEdits) }
    func yPos(_ rate: Double) -> Double { top + panelHeight * (1 - min(1, max(0, rate))) }

    /// Round tick values 0, step, 2·step, … ≤ maxValue with step 1, 2 or 5 × 10^k and at most 6 ticks.
    static func ticks(upTo maxValue: Int) -> [Int] {
        var step = 1
        while maxValue / step > 5 {
            let digits = String(step)
            step = digits.hasPrefix("1") ? step * 2 : digits.hasPrefix("2") ? step / 2 * 5 : step * 2
        }
        return Array(stride(from: 0, through: maxValue, by: step))
    }

    /// A coordinate with at most two decimals and no trailing zeros.
    private func n(_ x: Double) -> String {
        let rounded = (x * 100).rounded() / 100
        return rounded == rounded.rounded() ? String(Int(rounded)) : String(format: "%.2f", rounded)
            .replacingOccurrences(of: "0+$", with: "", options: .regularExpression)
    }

    private func escape(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
    }
}

extension LifelongReport {
    /// The curve plot of this report's methods.
    public func svg(kind: MetricKind = .exactMatch) -> String { CurvePlot(report: self, kind: kind).svg }
}
