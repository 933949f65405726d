// Embedding projections: PCA equal to scikit-learn's on a small table, and t-SNE separating clusters that are
// separate in the original space.
import Testing
import Cortex

@Suite("Projections")
struct ProjectionTests {
    @Test func pcaEqualsScikitLearn() {
        // sklearn.decomposition.PCA(2).fit_transform(X) and explained_variance_ratio_ (scikit-learn 1.7).
        let x = Tensor([2.5, 2.4, 0.5, 0.5, 0.7, 1.0, 2.2, 2.9, 0.1, 1.9, 2.2, 0.3, 3.1, 3.0, 0.9, 2.3, 2.7, 0.2, 2, 1.6, 0.8, 1, 1.1, 0.4] as [Float],
                       shape: [8, 3])
        let expected: [(Double, Double)] = [(0.62334, 0.133152), (-2.025169, 0.177322), (0.815811, -0.499797), (0.086551, -0.243626),
                                            (1.427067, 0.542459), (0.731089, -0.305229), (-0.325568, 0.411767), (-1.333121, -0.216047)]
        let projection = Projection.pca(x)
        for (got, want) in zip(projection.points, expected) {
            #expect(abs(got.x - want.0) < 1e-4 && abs(got.y - want.1) < 1e-4, "\(got) against \(want)")
        }
        #expect(abs(projection.explainedVarianceRatio[0] - 0.896387649663807) < 1e-5)
        #expect(abs(projection.explainedVarianceRatio[1] - 0.08966362941602789) < 1e-5)
    }

    @Test func tsneKeepsSeparateClustersSeparate() {
        // Three Gaussian clusters in 10 dimensions, centres 6 apart: in t-SNE's plane each point's nearest
        // neighbour must come from its own cluster. PCA of the same points is a weaker check, so compare.
        let g = RandomGenerator(seed: 3)
        let perCluster = 30, n = 3 * perCluster
        var values: [Float] = [], labels: [Int] = []
        for c in 0..<3 {
            for _ in 0..<perCluster {
                for d in 0..<10 { values.append(Float(d == c ? 6 : 0) + Tensor.randn([1], generator: g).item()) }
                labels.append(c)
            }
        }
        let points = Projection.tsne(Tensor(values, shape: [n, 10]), perplexity: 15, iterations: 400).points
        #expect(points.count == n && points.allSatisfy { $0.x.isFinite && $0.y.isFinite })
        let agreeing = (0..<n).filter { i in
            let nearest = (0..<n).filter { $0 != i }.min { a, b in
                let da = (points[a].x - points[i].x) * (points[a].x - points[i].x) + (points[a].y - points[i].y) * (points[a].y - points[i].y)
                let db = (points[b].x - points[i].x) * (points[b].x - points[i].x) + (points[b].y - points[i].y) * (points[b].y - points[i].y)
                return da < db
            }!
            return labels[nearest] == labels[i]
        }.count
        #expect(agreeing >= n - 1, "\(agreeing) of \(n) nearest neighbours share their cluster")
        // Deterministic: the same input gives the same picture.
        let again = Projection.tsne(Tensor(values, shape: [n, 10]), perplexity: 15, iterations: 400).points
        #expect(zip(points, again).allSatisfy { $0.x == $1.x && $0.y == $1.y })
    }
}
