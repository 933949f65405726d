// Recommendation: MovieLens 100K (943 users, 1,682 films, 100,000 ratings of 1–5 stars), from the ml-100k
// atomic files in RecBole's PyPI wheel. Biased matrix factorisation and an item-based autoencoder
// (I-AutoRec, Sedhain et al. 2015) predict held-out ratings under 5-fold cross-validation (RMSE, MAE); the
// same factorisation, trained without each user's latest rating, ranks that film among 99 the user never
// rated (hit rate and NDCG at 10, the protocol of He et al.'s neural collaborative filtering).
import Cortex
import CortexModels
import CortexReport
import Foundation

public struct RecommendationApplication: Application {
    public init() {}
    public let name = "recommendation"
    public let summary = "MovieLens 100K ratings: biased matrix factorisation and I-AutoRec (5-fold RMSE/MAE), top-10 ranking"
    public let sources: [DataSource] = [.wheel(
        requirement: "recbole==1.2.1", file: "recbole-1.2.1-py3-none-any.whl",
        sha256: "9c9948202011f37eb0a7c6768129313f00d6403ad221ec940d5e2d5d5f33a407",
        files: [PinnedFile("recbole/dataset_example/ml-100k/ml-100k.inter", size: 1_979_230,
                           sha256: "4edb74e2a81178c2ba9ff381495f754f996c4aea351b1272ca36b43da0935eff")])]

    struct Rating { let user: Int, item: Int, stars: Float, time: Int }

    /// RecBole's atomic file: a tab-separated header of typed names (user_id:token, item_id:token,
    /// rating:float, timestamp:float), then one rating per line. Users and items become indices 0…n−1 in
    /// order of first appearance.
    static func readRatings(_ url: URL) throws -> (ratings: [Rating], users: Int, items: Int) {
        let lines = String(decoding: try Data(contentsOf: url), as: UTF8.self).split(whereSeparator: \.isNewline)
        let header = lines.first.map { $0.split(separator: "\t").map { String($0.split(separator: ":")[0]) } } ?? []
        let wanted = ["user_id", "item_id", "rating", "timestamp"]
        let columns = try wanted.map { name -> Int in
            guard let c = header.firstIndex(of: name) else {
                throw DataError("no column '\(name)' in the header (\(header.joined(separator: ", ")))", path: url.path)
            }
            return c
        }
        var userIndex: [Substring: Int] = [:], itemIndex: [Substring: Int] = [:], ratings: [Rating] = []
        ratings.reserveCapacity(lines.count)
        for (n, line) in lines.dropFirst().enumerated() {
            let cells = line.split(separator: "\t", omittingEmptySubsequences: false)
            guard cells.count == header.count, let stars = Float(cells[columns[2]]), (1...5).contains(stars),
                  let time = Double(cells[columns[3]]) else {
                throw DataError("line \(n + 2) is not a user, a film, a rating of 1–5 and a time: '\(line.prefix(60))'", path: url.path)
            }
            let user = userIndex[cells[columns[0]]] ?? { let i = userIndex.count; userIndex[cells[columns[0]]] = i; return i }()
            let item = itemIndex[cells[columns[1]]] ?? { let i = itemIndex.count; itemIndex[cells[columns[1]]] = i; return i }()
            ratings.append(Rating(user: user, item: item, stars: stars, time: Int(time)))
        }
        guard !ratings.isEmpty else { throw DataError("no ratings", path: url.path) }
        return (ratings, userIndex.count, itemIndex.count)
    }

    public func run(_ context: ApplicationContext) throws -> ApplicationResult {
        let file = try files(ofSource: 0, in: context.store)[0]
        var (ratings, users, items) = try Self.readRatings(file)
        if context.quick {  // the first 200 users' ratings
            (ratings, users) = (ratings.filter { $0.user < 200 }, 200)
        }
        let pairs = Set(ratings.map { $0.user * items + $0.item })
        let counts = (1...5).map { s in ratings.filter { Int($0.stars) == s }.count }
        let quality = ApplicationReport.Section("The ratings", note: DataQuality.note(pairs.count == ratings.count ? [] : ["\(ratings.count - pairs.count) repeated (user, film) pairs"]), [
            .table(header: ["check", "result"], rows: [
                ["ratings, users × films", "\(ratings.count), \(users) × \(items) (density \(String(format: "%.1f", 100 * Double(ratings.count) / Double(users * items)))%)"],
                ["repeated (user, film) pairs", "\(ratings.count - pairs.count)"],
                ["ratings of 1–5 stars", counts.map(String.init).joined(separator: ", ")],
                ["ratings per user", "\(Self.perKey(ratings.map(\.user), users))"],
                ["ratings per film", "\(Self.perKey(ratings.map(\.item), items))"],
            ])])

        let folds = kFold(count: ratings.count, k: 5, shuffle: true, seed: context.seed)
        let foldsRun = context.quick ? 1 : folds.count
        var errors: [String: (rmse: [Double], mae: [Double])] = [:]
        let modelNames = ["biased matrix factorisation, 64 factors", "I-AutoRec, 500 hidden units"]
        var curves: [ApplicationReport.Series] = []
        for (f, fold) in folds.prefix(foldsRun).enumerated() {
            // A twentieth of the training ratings chooses the epoch; the test fold is scored once.
            let inner = kFold(count: fold.train.count, k: 20, shuffle: true, seed: context.seed &+ UInt64(f) &+ 1)[0]
            let fit = inner.train.map { ratings[fold.train[$0]] }, check = inner.test.map { ratings[fold.train[$0]] }
            let test = fold.test.map { ratings[$0] }
            let (factorisation, factorisationSeconds) = try timed {
                try MatrixFactorisation.train(fit, validation: check, users: users, items: items, quick: context.quick, seed: context.seed)
            }
            let (autorec, autorecSeconds) = try timed {
                try ItemAutoRec.train(fit, validation: check, users: users, items: items, quick: context.quick, seed: context.seed)
            }
            context.log(String(format: "recommendation: fold %d trained in %.1f s (factorisation) and %.1f s (AutoRec)", f + 1, factorisationSeconds, autorecSeconds))
            for (name, predict, curve) in [(modelNames[0], factorisation.predict, factorisation.curve), (modelNames[1], autorec.predict, autorec.curve)]
                as [(String, ([Rating]) -> [Double], [Double])] {
                let predicted = predict(test), truth = test.map { Double($0.stars) }
                errors[name, default: ([], [])].rmse.append(try rootMeanSquaredError(yTrue: truth, yPred: predicted))
                errors[name, default: ([], [])].mae.append(try meanAbsoluteError(yTrue: truth, yPred: predicted))
                if f == 0 { curves.append(.init("\(name), fold 1", xs: curve.indices.map { Double($0 + 1) }, ys: curve)) }
                context.log("recommendation: fold \(f + 1) \(name): RMSE \(format(errors[name]!.rmse.last!))")
            }
        }
        var figures = [
            ApplicationFigure(dataset: "MovieLens 100K", metric: "RMSE (5-fold), \(modelNames[0])", value: mean(errors[modelNames[0]]!.rmse),
                              goal: "≤ 0.92", met: mean(errors[modelNames[0]]!.rmse) <= 0.92,
                              references: "Surprise SVD 0.934, SVD++ 0.919, KNNBaseline 0.931; GLocal-K 0.889"),
            ApplicationFigure(dataset: "MovieLens 100K", metric: "RMSE (5-fold), \(modelNames[1])", value: mean(errors[modelNames[1]]!.rmse),
                              goal: "≤ 0.92", met: mean(errors[modelNames[1]]!.rmse) <= 0.92, references: "GLocal-K 0.889"),
        ]
        let rows = modelNames.map { name in
            [name, "\(format(mean(errors[name]!.rmse))) ± \(format(standardDeviation(errors[name]!.rmse)))",
             "\(format(mean(errors[name]!.mae))) ± \(format(standardDeviation(errors[name]!.mae)))", "\(errors[name]!.rmse.count)"]
        }

        // Top 10: each user's latest rating held out and ranked among 99 films the user never rated.
        let ranking = try Self.rankLatest(ratings, users: users, items: items, context: context)
        figures.append(ApplicationFigure(dataset: "MovieLens 100K", metric: "HR@10, latest rating among 100", value: ranking.hit, references: "NCF-style sampled protocol; popularity ≈ 0.4–0.45"))
        figures.append(ApplicationFigure(dataset: "MovieLens 100K", metric: "NDCG@10", value: ranking.ndcg, references: "same protocol"))
        let report = ApplicationReport(
            title: "Recommendation: MovieLens 100K", kicker: "Cortex application · recommendation",
            summary: figures.map { ReportItem($0.metric, $0.text) },
            sections: [quality,
                       .init("Rating prediction, 5-fold cross-validation",
                             note: "Shuffled folds of the ratings (seed \(context.seed)); the epoch is chosen on a twentieth of each training part. Predictions are clipped to 1–5 stars.",
                             [.table(header: ["model", "RMSE (mean ± sd)", "MAE (mean ± sd)", "folds"], rows: rows),
                              .chart(.init(title: "Validation RMSE per epoch, fold 1", xLabel: "epoch", yLabel: "RMSE", series: curves))]),
                       .init("Top-10 ranking", note: ranking.protocol,
                             [.table(header: ["model", "HR@10", "NDCG@10", "users"], rows: [
                                [modelNames[0], format(ranking.hit), format(ranking.ndcg), "\(users)"],
                                ["popularity (most-rated films first)", format(ranking.popularHit), format(ranking.popularNDCG), "\(users)"]])])])
        return ApplicationResult(report: report, figures: figures)
    }

    static func perKey(_ keys: [Int], _ count: Int) -> String {
        var per = [Int](repeating: 0, count: count)
        for k in keys { per[k] += 1 }
        let sorted = per.sorted()
        return "\(sorted.first ?? 0)–\(sorted.last ?? 0), median \(sorted.isEmpty ? 0 : sorted[sorted.count / 2])"
    }

    static func rankLatest(_ ratings: [Rating], users: Int, items: Int, context: ApplicationContext)
        throws -> (hit: Double, ndcg: Double, popularHit: Double, popularNDCG: Double, protocol: String) {
        // Each user's ratings newest first: the newest is the test, the one before it chooses the epoch.
        var byUser = [[Int]](repeating: [], count: users)
        for (i, r) in ratings.enumerated() { byUser[r.user].append(i) }
        for u in 0..<users { byUser[u].sort { (ratings[$0].time, $0) > (ratings[$1].time, $1) } }
        let latest = byUser.map { $0[0] }, before = byUser.compactMap { $0.count > 1 ? $0[1] : nil }
        let held = Set(latest).union(before)
        let train = ratings.enumerated().filter { !held.contains($0.offset) }.map(\.element)
        let model = try MatrixFactorisation.train(train, validation: before.map { ratings[$0] }, users: users, items: items,
                                                  quick: context.quick, seed: context.seed)
        var rated = [Set<Int>](repeating: [], count: users)
        for r in ratings { rated[r.user].insert(r.item) }
        var popularity = [Int](repeating: 0, count: items)
        for r in train { popularity[r.item] += 1 }
        let generator = RandomGenerator(seed: context.seed &+ 99)
        var hits = 0.0, gains = 0.0, popularHits = 0.0, popularGains = 0.0
        for user in 0..<users {
            let target = ratings[latest[user]].item
            var candidates = [target]
            while candidates.count < 100 {
                let item = Int(generator.next() % UInt64(items))
                if !rated[user].contains(item) && !candidates.contains(item) { candidates.append(item) }
            }
            let scores = model.predict(candidates.map { Rating(user: user, item: $0, stars: 0, time: 0) })
            // Rank: how many candidates score strictly above the held-out film (ties counted against it, half each).
            func rank(_ s: [Double]) -> Double {
                Double(s.dropFirst().filter { $0 > s[0] }.count) + 0.5 * Double(s.dropFirst().filter { $0 == s[0] }.count)
            }
            for (r, isModel) in [(rank(scores), true), (rank(candidates.map { Double(popularity[$0]) }), false)] {
                let position = r.rounded(.down)
                let (hit, gain) = position < 10 ? (1.0, 1 / log2(position + 2)) : (0.0, 0.0)
                if isModel { hits += hit; gains += gain } else { popularHits += hit; popularGains += gain }
            }
        }
        let n = Double(users)
        return (hits / n, gains / n, popularHits / n, popularGains / n,
                "Each user's latest rating (by timestamp) is held out and the one before it chooses the epoch; the factorisation is trained on the rest, and the held-out film is ranked by "
                    + "predicted rating among it and 99 films the user never rated, drawn at random (seed \(context.seed)). HR@10: the share of users "
                    + "whose film is in the top 10; NDCG@10 credits position p (from 0) with 1/log2(p + 2).")
    }
}

/// r̂(u, i) = μ + b_u + b_i + p_u · q_i, trained with Adam on the squared error plus an L2 penalty on the
/// factors and biases of each batch's users and films.
final class MatrixFactorisation: Module {
    let userFactors: Embedding, itemFactors: Embedding, userBias: Embedding, itemBias: Embedding
    let mean: Float
    var curve: [Double] = []

    init(users: Int, items: Int, factors: Int, mean: Float, seed: UInt64) {
        let g = RandomGenerator(seed: seed)
        (userFactors, itemFactors) = (Embedding(users, factors, generator: g), Embedding(items, factors, generator: g))
        (userBias, itemBias) = (Embedding(users, 1, generator: g), Embedding(items, 1, generator: g))
        self.mean = mean
        super.init()
        noGrad {
            userFactors.weight.assign(Tensor.randn(userFactors.weight.shape, std: 0.05, generator: g))
            itemFactors.weight.assign(Tensor.randn(itemFactors.weight.shape, std: 0.05, generator: g))
            userBias.weight.assign(Tensor.zeros(userBias.weight.shape))
            itemBias.weight.assign(Tensor.zeros(itemBias.weight.shape))
        }
    }

    /// Predicted ratings and the batch's L2 penalty for (batch) user and film indices.
    func callAsFunction(users u: Tensor, items i: Tensor) -> (Tensor, Tensor) {
        let p = userFactors(u), q = itemFactors(i), bu = userBias(u).reshaped([-1]), bi = itemBias(i).reshaped([-1])
        let prediction = (p * q).sum(dim: 1) + bu + bi + mean
        let penalty = (p.square().sum(dim: 1) + q.square().sum(dim: 1) + bu.square() + bi.square()).mean()
        return (prediction, penalty)
    }

    func predict(_ ratings: [RecommendationApplication.Rating]) -> [Double] {
        noGrad { self(users: Tensor(ratings.map(\.user)), items: Tensor(ratings.map(\.item))).0 }.scalars.map { Double(min(max($0, 1), 5)) }
    }

    static func train(_ ratings: [RecommendationApplication.Rating], validation: [RecommendationApplication.Rating], users: Int, items: Int,
                      quick: Bool, seed: UInt64) throws -> MatrixFactorisation {
        let mean = ratings.reduce(Float(0)) { $0 + $1.stars } / Float(ratings.count)
        let model = MatrixFactorisation(users: users, items: items, factors: 64, mean: mean, seed: seed)
        let optimizer = Adam(model.parameters(), learningRate: 5e-3)
        let data = TensorDataset(inputs: Tensor(ratings.flatMap { [$0.user, $0.item] }, shape: [ratings.count, 2]),
                                 targets: Tensor(ratings.map(\.stars)))
        let truth = validation.map { Double($0.stars) }
        var best = (rmse: Double.infinity, weights: model.stateDict().mapValues { $0.copied() })
        let loader = DataLoader(data, batchSize: 512, shuffle: true, seed: seed)
        for _ in 0..<(quick ? 3 : 40) {
            for batch in loader.namedBatches {
                let (prediction, penalty) = model(users: batch.input.selected(1, 0), items: batch.input.selected(1, 1))
                let loss = (prediction - batch.target).square().mean() + 0.05 * penalty
                optimizer.zeroGrad()
                loss.backward()
                optimizer.step()
            }
            let error = try rootMeanSquaredError(yTrue: truth, yPred: model.predict(validation))
            model.curve.append(error)
            if error < best.rmse { best = (error, model.stateDict().mapValues { $0.copied() }) }
        }
        try model.loadStateDict(best.weights)
        return model
    }
}

/// I-AutoRec: each film's column of ratings (one per user, 0 where unrated) is encoded by a sigmoid layer and
/// decoded back; the loss counts only observed ratings, so the decoder's value for an unrated user is the
/// prediction. Weight decay regularises both layers.
final class ItemAutoRec: Module {
    let encoder: Linear, decoder: Linear

    init(users: Int, hidden: Int, seed: UInt64) {
        let g = RandomGenerator(seed: seed)
        (encoder, decoder) = (Linear(users, hidden, generator: g), Linear(hidden, users, generator: g))
        super.init()
    }

    func callAsFunction(_ x: Tensor) -> Tensor { decoder(encoder(x).sigmoid()) }

    /// A trained network with the training ratings it reads (films × users) and its validation curve.
    struct Trained {
        let model: ItemAutoRec, columns: Tensor, curve: [Double]

        func predict(_ ratings: [RecommendationApplication.Rating]) -> [Double] {
            ItemAutoRec.predict(model, columns, ratings)
        }
    }

    static func predict(_ model: ItemAutoRec, _ columns: Tensor, _ ratings: [RecommendationApplication.Rating]) -> [Double] {
        let users = columns.shape[1], values = noGrad { model(columns) }.scalars
        return ratings.map { Double(min(max(values[$0.item * users + $0.user], 1), 5)) }
    }

    static func train(_ ratings: [RecommendationApplication.Rating], validation: [RecommendationApplication.Rating], users: Int, items: Int,
                      quick: Bool, seed: UInt64) throws -> Trained {
        var matrix = [Float](repeating: 0, count: items * users)
        for r in ratings { matrix[r.item * users + r.user] = r.stars }
        let model = ItemAutoRec(users: users, hidden: 500, seed: seed), columns = Tensor(matrix, shape: [items, users])
        let optimizer = Adam(model.parameters(), learningRate: 1e-3, weightDecay: 1e-3)
        let truth = validation.map { Double($0.stars) }
        var best = (rmse: Double.infinity, weights: model.stateDict().mapValues { $0.copied() }), curve: [Double] = []
        let loader = DataLoader(TensorDataset(inputs: columns, targets: columns), batchSize: 128, shuffle: true, seed: seed)
        for _ in 0..<(quick ? 3 : 150) {
            for batch in loader.namedBatches {
                let observed = batch.target.ne(0).to(.float32)
                let loss = ((model(batch.input) - batch.target).square() * observed).sum() / observed.sum().clamped(min: 1)
                optimizer.zeroGrad()
                loss.backward()
                optimizer.step()
            }
            let error = try rootMeanSquaredError(yTrue: truth, yPred: predict(model, columns, validation))
            curve.append(error)
            if error < best.rmse { best = (error, model.stateDict().mapValues { $0.copied() }) }
        }
        try model.loadStateDict(best.weights)
        return Trained(model: model, columns: columns, curve: curve)
    }
}
