// Forecasting: yearly sunspot numbers 1700–2008 (statsmodels' data set, from its PyPI wheel). The last 20 years
// are the test period and the 20 before them the validation period. An MLP and an LSTM read a window of past
// years; a naive forecast (last year's value) and an autoregressive model fitted by least squares, both
// computed here, are the baselines. Each model is chosen on the validation years (AR order, training epochs),
// refitted on every year before the test period, and scored one step ahead (each year from the actual ones
// before it) and dynamically (all 20 years from the 1988 origin, feeding forecasts back in).
import Cortex
import CortexModels
import CortexReport
import Foundation

public struct ForecastingApplication: Application {
    public init() {}
    public let name = "forecasting"
    public let summary = "yearly sunspots 1700–2008: MLP and LSTM on lag windows against naive and autoregressive baselines"
    public let sources: [DataSource] = [.wheel(
        requirement: "statsmodels==0.15.0",
        file: "statsmodels-0.15.0-cp311-cp311-manylinux_2_27_x86_64.manylinux_2_28_x86_64.whl",
        sha256: "b67886b66d9c7ca118526accedb5c6de7ffd74c015dc0492ea0b1690192b65da",
        // A binary wheel: asking for one platform gives every machine the same file, whatever its Python.
        pipArguments: ["--platform", "manylinux_2_28_x86_64", "--python-version", "3.11", "--implementation", "cp", "--abi", "cp311"],
        files: [PinnedFile("statsmodels/datasets/sunspots/sunspots.csv", size: 2_944,
                           sha256: "f67889b1d9002cd5227f0e0ef54e35b419cdd85a31279adef6f73fb41e5c0a9b")])]

    static let horizon = 20, window = 12

    public func run(_ context: ApplicationContext) throws -> ApplicationResult {
        let file = try files(ofSource: 0, in: context.store)[0]
        let (years, values) = try Self.readSunspots(file)
        let n = values.count, testStart = n - Self.horizon, validationStart = testStart - Self.horizon
        var forecasts: [(name: String, oneStep: [Double], dynamic: [Double], detail: String)] = []

        forecasts.append(("naive (last year)", (testStart..<n).map { values[$0 - 1] }, [Double](repeating: values[testStart - 1], count: Self.horizon), "–"))

        // AR(p): the order with the lowest one-step validation RMSE, refitted on train + validation.
        let orders = 1...12
        let validationRMSE = try orders.map { p -> Double in
            let model = try AutoRegression(values[..<validationStart], order: p)
            return try rootMeanSquaredError(yTrue: Array(values[validationStart..<testStart]), yPred: (validationStart..<testStart).map { model.predict(values[..<$0]) })
        }
        let order = orders.lowerBound + validationRMSE.indices.min { validationRMSE[$0] < validationRMSE[$1] }!
        let ar = try AutoRegression(values[..<testStart], order: order)
        forecasts.append(("AR(\(order)), least squares", (testStart..<n).map { ar.predict(values[..<$0]) },
                          ar.dynamic(values[..<testStart], steps: Self.horizon), "order \(order) of 1–12 by validation RMSE"))
        context.log("forecasting: AR order \(order), validation RMSE \(format(validationRMSE[order - 1], 2))")

        // The networks, each an average of an ensemble of seeds (their forecasts vary with the initial weights).
        let seeds = context.quick ? 1 : 5
        for kind in [NetworkKind.mlp, .lstm] {
            let runs = try (0..<seeds).map { s in
                try LagNetwork.forecast(kind, values: values, validationStart: validationStart, testStart: testStart, window: Self.window,
                                        quick: context.quick, seed: context.seed &+ UInt64(s))
            }
            let oneStep = (0..<Self.horizon).map { t in mean(runs.map { $0.oneStep[t] }) }
            let dynamic = (0..<Self.horizon).map { t in mean(runs.map { $0.dynamic[t] }) }
            forecasts.append((kind.title, oneStep, dynamic, "epochs chosen \(runs.map { String($0.epochs) }.joined(separator: ", ")); mean of \(seeds)"))
            context.log("forecasting: \(kind.title) one-step RMSE \(format(try rootMeanSquaredError(yTrue: Array(values[testStart...]), yPred: oneStep), 2))")
        }

        let actual = Array(values[testStart...]), testYears = years[testStart...].map(Double.init)
        func rmse(_ predicted: [Double]) throws -> Double { try rootMeanSquaredError(yTrue: actual, yPred: predicted) }
        func mae(_ predicted: [Double]) throws -> Double { try meanAbsoluteError(yTrue: actual, yPred: predicted) }
        let rows = try forecasts.map { f in
            [f.name, format(try rmse(f.oneStep), 2), format(try mae(f.oneStep), 2), format(try rmse(f.dynamic), 2),
             format(try mae(f.dynamic), 2), f.detail]
        }
        let arOneStep = try rmse(forecasts[1].oneStep)
        var figures: [ApplicationFigure] = []
        for f in forecasts.dropFirst(2) {
            let value = try rmse(f.oneStep)
            figures.append(ApplicationFigure(dataset: "sunspots", metric: "one-step RMSE \(years[testStart])–\(years[n - 1]), \(f.name)", value: value,
                                             digits: 2, goal: "< AR \(format(arOneStep, 2))", met: value < arOneStep,
                                             references: "AR(3) / SETAR dynamic 1990–2008 ≈ 24.4 / 23.9"))
        }
        figures.append(ApplicationFigure(dataset: "sunspots", metric: "one-step RMSE, \(forecasts[1].name)", value: arOneStep, digits: 2,
                                         references: "baseline computed by Cortex"))
        figures.append(ApplicationFigure(dataset: "sunspots", metric: "dynamic RMSE, \(forecasts[1].name)", value: try rmse(forecasts[1].dynamic),
                                         digits: 2, references: "AR(3) dynamic 1990–2008 ≈ 24.4"))
        let history = Array(max(0, testStart - 30)..<n)
        let quality = ApplicationReport.Section("The series", note: "Checked on reading: a header naming YEAR and SUNACTIVITY, one number per year, no year missing or repeated.", [
            .table(header: ["check", "result"], rows: [
                ["years", "\(years[0])–\(years[n - 1]), \(n) consecutive"],
                ["missing values", "none"],
                ["range", "\(format(values.min()!, 1))–\(format(values.max()!, 1)), mean \(format(mean(values), 1))"],
                ["split", "train \(validationStart) years, validation \(Self.horizon), test \(Self.horizon)"],
            ])])
        let report = ApplicationReport(
            title: "Forecasting: yearly sunspots", kicker: "Cortex application · forecasting",
            summary: figures.map { ReportItem($0.metric, $0.text) },
            sections: [
                quality,
                ApplicationReport.Section("Sunspot numbers, 1700–2008",
                    note: "Train \(years[0])–\(years[validationStart - 1]), validation \(years[validationStart])–\(years[testStart - 1]), test \(years[testStart])–\(years[n - 1]).",
                    [.chart(.init(title: "Yearly mean sunspot number", xLabel: "year", yLabel: "sunspots",
                                  series: [.init("observed", xs: years.map(Double.init), ys: values)]))]),
                ApplicationReport.Section("Test period: \(years[testStart])–\(years[n - 1])",
                    note: "One step: each year from the actual years before it. Dynamic: every year from the \(years[testStart - 1]) origin, forecasts fed back as inputs. "
                        + "Networks read the last \(Self.window) years; each is refitted on all years before the test period for the epochs chosen on validation.",
                    [.table(header: ["model", "one-step RMSE", "one-step MAE", "dynamic RMSE", "dynamic MAE", "chosen on validation"], rows: rows),
                     .chart(.init(title: "One step ahead", xLabel: "year", yLabel: "sunspots",
                                  series: [.init("observed", xs: history.map { Double(years[$0]) }, ys: history.map { values[$0] })]
                                    + forecasts.map { .init($0.name, xs: testYears, ys: $0.oneStep, dashed: true) })),
                     .chart(.init(title: "Dynamic, from \(years[testStart - 1])", xLabel: "year", yLabel: "sunspots",
                                  series: [.init("observed", xs: history.map { Double(years[$0]) }, ys: history.map { values[$0] })]
                                    + forecasts.map { .init($0.name, xs: testYears, ys: $0.dynamic, dashed: true) }))]),
            ])
        return ApplicationResult(report: report, figures: figures)
    }

    /// statsmodels' sunspots.csv: a header naming YEAR and SUNACTIVITY, then one row per consecutive year.
    static func readSunspots(_ url: URL) throws -> (years: [Int], values: [Double]) {
        let lines = String(decoding: try Data(contentsOf: url), as: UTF8.self).split(whereSeparator: \.isNewline)
        guard let header = lines.first?.replacingOccurrences(of: "\"", with: "").split(separator: ",").map(String.init),
              let yearColumn = header.firstIndex(of: "YEAR"), let valueColumn = header.firstIndex(of: "SUNACTIVITY") else {
            throw DataError("the header does not name the columns YEAR and SUNACTIVITY", path: url.path)
        }
        var years: [Int] = [], values: [Double] = []
        for (index, line) in lines.dropFirst().enumerated() {
            let cells = line.split(separator: ",", omittingEmptySubsequences: false)
            guard cells.count == header.count, let year = Double(cells[yearColumn]).map(Int.init), let value = Double(cells[valueColumn]), value.isFinite else {
                throw DataError("line \(index + 2) is not a year and a number: '\(line.prefix(60))'", path: url.path)
            }
            if let last = years.last, year != last + 1 { throw DataError("line \(index + 2): year \(year) follows \(last)", path: url.path) }
            years.append(year)
            values.append(value)
        }
        guard values.count > 2 * horizon + window + 20 else {
            throw DataError("\(values.count) years are too few for train, validation and test periods", path: url.path)
        }
        return (years, values)
    }
}

/// y_t = c + Σ a_i y_{t−i}, fitted by least squares on a series.
struct AutoRegression {
    let coefficients: [Double]
    let order: Int

    init(_ series: ArraySlice<Double>, order: Int) throws {
        let s = Array(series)
        let x = (order..<s.count).map { t in (1...order).map { s[t - $0] } }
        coefficients = try leastSquares(x, Array(s[order...]))
        self.order = order
    }

    /// The next value after `history`.
    func predict(_ history: ArraySlice<Double>) -> Double {
        let h = Array(history)
        return coefficients[0] + (1...order).reduce(0) { $0 + coefficients[$1] * h[h.count - $1] }
    }

    /// `steps` values after `history`, each forecast fed back as the latest value.
    func dynamic(_ history: ArraySlice<Double>, steps: Int) -> [Double] {
        var h = Array(history)
        for _ in 0..<steps { h.append(predict(h[...])) }
        return Array(h.suffix(steps))
    }
}

enum NetworkKind {
    case mlp, lstm
    var title: String { self == .mlp ? "MLP 12-32-1 on lags" : "LSTM 32 on lags" }
}

/// A network that reads the last `window` (standardised) values and predicts the next one.
enum LagNetwork {
    struct Result { let oneStep: [Double], dynamic: [Double], epochs: Int }

    static func model(_ kind: NetworkKind, window: Int, seed: UInt64) -> any Layer & Module {
        switch kind {
        case .mlp: MLP(inputSize: window, hiddenSizes: [32], outputSize: 1, seed: seed)
        case .lstm: SequenceNetwork(inputSize: 1, hiddenSize: 32, outputSize: 1, seed: seed)
        }
    }

    static func forecast(_ kind: NetworkKind, values: [Double], validationStart: Int, testStart: Int, window: Int,
                         quick: Bool, seed: UInt64) throws -> Result {
        let head = values[..<validationStart]
        let center = mean(Array(head)), spread = standardDeviation(Array(head))
        let z = values.map { Float(($0 - center) / spread) }
        // Inputs for the targets at `targets`: the `window` values before each, shaped for the network.
        func inputs(_ series: [Float], _ targets: [Int]) -> Tensor {
            let flat = targets.flatMap { series[($0 - window)..<$0] }
            return Tensor(flat, shape: kind == .mlp ? [targets.count, window] : [targets.count, window, 1])
        }
        func dataset(_ targets: Range<Int>) -> TensorDataset {
            TensorDataset(inputs: inputs(z, Array(targets)), targets: Tensor(targets.map { z[$0] }, shape: [targets.count, 1]))
        }
        let maxEpochs = quick ? 10 : 400
        func train(_ model: any Layer & Module, on data: TensorDataset, validation: TensorDataset?, epochs: Int) throws -> Int {
            let trainer = Trainer(model, Adam(model.parameters(), learningRate: 3e-3, weightDecay: 1e-4), loss: .mse)
            let stopping = EarlyStopping(monitor: .validationLoss, patience: 40)
            try trainer.fit(data, validation: validation, epochs: epochs, batchSize: 32, seed: seed, callbacks: validation == nil ? [] : [stopping])
            return stopping.bestEpoch ?? epochs
        }
        // Choose the epoch count on the validation years, then refit on every year before the test period.
        let epochs = try train(model(kind, window: window, seed: seed), on: dataset(window..<validationStart),
                               validation: dataset(validationStart..<testStart), epochs: maxEpochs)
        let network = model(kind, window: window, seed: seed)
        _ = try train(network, on: dataset(window..<testStart), validation: nil, epochs: epochs)
        network.eval()
        let unscale = { (v: Float) in Double(v) * spread + center }
        let oneStep = noGrad { network(inputs(z, Array(testStart..<values.count))) }.scalars.map(unscale)
        var running = Array(z[..<testStart])
        for _ in testStart..<values.count {
            let next = noGrad { network(inputs(running + [0], [running.count])) }.item()
            running.append(next)
        }
        return Result(oneStep: oneStep, dynamic: running[testStart...].map(unscale), epochs: epochs)
    }
}
