// The restricted Boltzmann machine against references: contrastive-divergence updates against NumPy's
// (Resources/rbm/generate.py, every random number shared), the free energy against a brute-force sum over
// every hidden state, and Gibbs sampling against the exact distribution of a machine small enough to enumerate.
import Foundation
import Testing
import Cortex
@testable import CortexModels

@Suite("Restricted Boltzmann machine")
struct RBMTests {
    struct Case: Decodable {
        let name: String, visible_units: String, k: Int
        let weight: ReferenceArray, visible_bias: ReferenceArray, hidden_bias: ReferenceArray, data: ReferenceArray, chain: ReferenceArray?
        let uniforms: [ReferenceArray], noises: [ReferenceArray]
        let weight_grad: ReferenceArray, visible_bias_grad: ReferenceArray, hidden_bias_grad: ReferenceArray, next_chain: ReferenceArray?
        let reconstruction_error: Double, free_energy_gap: Double
    }

    static func machine(_ c: Case) -> RBM {
        let rbm = RBM(visible: c.weight.shape[1], hidden: c.weight.shape[0], visibleUnits: VisibleUnits(rawValue: c.visible_units)!)
        noGrad {
            rbm.weight.assign(c.weight.tensor)
            rbm.visibleBias.assign(c.visible_bias.tensor)
            rbm.hiddenBias.assign(c.hidden_bias.tensor)
        }
        return rbm
    }

    static func close(_ a: Tensor?, _ b: ReferenceArray?, _ what: String, tolerance: Float = 2e-5) {
        guard let a, let b else {
            #expect(a == nil && b == nil, "\(what): one side is missing")
            return
        }
        #expect(a.shape == b.shape, "\(what): shape \(a.shape) against \(b.shape)")
        let worst = zip(a.scalars, b.values).map { abs($0 - Float($1)) }.max() ?? 0
        #expect(worst <= tolerance, "\(what): off by \(worst)")
    }

    @Test func contrastiveDivergenceMatchesNumPy() throws {
        let url = Fixtures.resources.appendingPathComponent("rbm/cd_reference.json")
        struct Reference: Decodable { let cases: [Case] }
        let cases = try JSONDecoder().decode(Reference.self, from: Data(contentsOf: url)).cases
        #expect(cases.count == 5)
        for c in cases {
            let rbm = Self.machine(c)
            var uniforms = c.uniforms.makeIterator(), noises = c.noises.makeIterator()
            // The reference's random numbers, in the order the update asks for them, shape checked on the way.
            func next(_ iterator: inout IndexingIterator<[ReferenceArray]>, _ shape: [Int], _ kind: String) -> Tensor {
                guard let values = iterator.next() else { Issue.record("\(c.name): more \(kind) draws than the reference made"); return Tensor.zeros(shape) }
                #expect(values.shape == shape, "\(c.name): a \(kind) draw of \(shape), the reference drew \(values.shape)")
                return values.tensor
            }
            let (result, chain) = rbm.contrastiveDivergence(c.data.tensor, k: c.k, chain: c.chain?.tensor,
                                                            uniform: { next(&uniforms, $0, "uniform") }, noise: { next(&noises, $0, "normal") })
            #expect(uniforms.next() == nil && noises.next() == nil, "\(c.name): fewer draws than the reference made")
            Self.close(rbm.weight.grad, c.weight_grad, "\(c.name) weight gradient")
            Self.close(rbm.visibleBias.grad, c.visible_bias_grad, "\(c.name) visible bias gradient")
            Self.close(rbm.hiddenBias.grad, c.hidden_bias_grad, "\(c.name) hidden bias gradient")
            Self.close(chain, c.next_chain, "\(c.name) next chain state")
            #expect(abs(result.reconstructionError - c.reconstruction_error) <= 1e-4 * max(1, abs(c.reconstruction_error)), "\(c.name)")
            #expect(abs(result.freeEnergyGap - c.free_energy_gap) <= 1e-4 * max(1, abs(c.free_energy_gap)), "\(c.name)")
        }
    }

    /// Every binary vector of `count` units, one per row.
    static func allStates(_ count: Int) -> Tensor {
        Tensor((0..<(1 << count)).flatMap { s in (0..<count).map { Float((s >> $0) & 1) } }, shape: [1 << count, count])
    }

    /// A small machine with weights large enough for a distribution far from uniform.
    static func smallMachine(_ kind: VisibleUnits = .bernoulli) -> RBM {
        let rbm = RBM(visible: 4, hidden: 3, visibleUnits: kind)
        let g = RandomGenerator(seed: 3)
        noGrad {
            rbm.weight.assign(Tensor.randn([3, 4], std: 1.2, generator: g))
            rbm.visibleBias.assign(Tensor.randn([4], std: 0.5, generator: g))
            rbm.hiddenBias.assign(Tensor.randn([3], std: 0.5, generator: g))
        }
        return rbm
    }

    @Test(arguments: [VisibleUnits.bernoulli, .gaussian])
    func freeEnergyIsMinusTheLogOfTheSumOverHiddenStates(kind: VisibleUnits) {
        let rbm = Self.smallMachine(kind)
        let v = kind == .bernoulli ? Self.allStates(4) : Tensor.randn([5, 4], generator: RandomGenerator(seed: 8))
        let w = rbm.weight.scalars, b = rbm.visibleBias.scalars, c = rbm.hiddenBias.scalars
        let free = rbm.freeEnergy(v).scalars
        for (row, values) in v.scalars.chunked(4).enumerated() {
            // E(v, h) = −hᵀWv − cᵀh + (binary: −bᵀv; Gaussian: ½‖v − b‖²), summed over the 8 hidden states.
            let visibleEnergy = kind == .bernoulli ? -zip(values, b).map { Double($0 * $1) }.reduce(0, +)
                                                   : zip(values, b).map { Double(($0 - $1) * ($0 - $1)) / 2 }.reduce(0, +)
            var total = 0.0
            for hs in 0..<8 {
                var energy = visibleEnergy
                for j in 0..<3 where (hs >> j) & 1 == 1 {
                    energy -= Double(c[j]) + (0..<4).map { Double(w[j * 4 + $0] * values[$0]) }.reduce(0, +)
                }
                total += exp(-energy)
            }
            #expect(abs(Double(free[row]) + log(total)) < 1e-4, "row \(row)")
        }
    }

    @Test func gibbsSamplingReachesTheExactDistribution() {
        // p(v) ∝ e^{−F(v)} over the 16 visible states; a long run of chains should visit them in those shares.
        let rbm = Self.smallMachine()
        let states = Self.allStates(4)
        let weights = rbm.freeEnergy(states).scalars.map { exp(-Double($0)) }
        let exact = weights.map { $0 / weights.reduce(0, +) }
        var counts = [Double](repeating: 0, count: 16)
        let g = RandomGenerator(seed: 5)
        var v = Tensor.bernoulli([512, 4], probability: 0.5, generator: g)
        v = rbm.gibbs(from: v, steps: 20, generator: g)   // burn-in
        for _ in 0..<40 {
            v = rbm.gibbs(from: v, steps: 2, generator: g)
            for row in v.scalars.chunked(4) { counts[row.enumerated().reduce(0) { $0 + (Int($1.element) << $1.offset) }] += 1 }
        }
        let total = counts.reduce(0, +)
        let distance = zip(counts, exact).map { abs($0 / total - $1) }.reduce(0, +) / 2
        // 20,480 draws (correlated within a chain): total-variation distance well under 0.03 when sampling is right;
        // a uniform sampler would be at the distance of `exact` from uniform.
        let uniformDistance = exact.map { abs($0 - 1.0 / 16) }.reduce(0, +) / 2
        #expect(uniformDistance > 0.2)
        #expect(distance < 0.03, "total variation \(distance)")
    }

    @Test func trainingWithCDLearnsThePatterns() {
        // Two 8-pixel patterns and their noisy copies: CD-1 with SGD should cut the reconstruction error and raise
        // the pseudo-likelihood, and the persistent chain's samples should look like the patterns.
        let g = RandomGenerator(seed: 2)
        let patterns: [[Float]] = [[1, 1, 1, 1, 0, 0, 0, 0], [0, 0, 0, 0, 1, 1, 1, 1]]
        var random = RandomGenerator(seed: 7)
        let rows = (0..<64).map { i -> [Float] in patterns[i % 2].map { Float.random(in: 0..<1, using: &random) < 0.05 ? 1 - $0 : $0 } }
        let data = Tensor(rows.flatMap { $0 }, shape: [64, 8])
        let rbm = RBM(visible: 8, hidden: 6, seed: 1)
        let optimizer = SGD(rbm.parameters(), learningRate: 0.1, momentum: 0.5)
        let before = (rbm.reconstructionError(data), rbm.pseudoLikelihood(data, generator: RandomGenerator(seed: 9)))
        var chain: Tensor? = Tensor.bernoulli([16, 8], probability: 0.5, generator: g)
        for _ in 0..<300 {
            chain = rbm.contrastiveDivergence(data, k: 1, chain: chain, generator: g).chain
            optimizer.step()
        }
        let after = (rbm.reconstructionError(data), rbm.pseudoLikelihood(data, generator: RandomGenerator(seed: 9)))
        #expect(after.0 < before.0 * 0.5, "reconstruction error \(before.0) → \(after.0)")
        #expect(after.1 > before.1 + 1, "pseudo-likelihood \(before.1) → \(after.1)")
        let samples = rbm.gibbs(from: chain!, steps: 50, generator: g).scalars.chunked(8)
        let nearPattern = samples.filter { s in patterns.contains { p in zip(s, p).filter { $0 != $1 }.count <= 1 } }.count
        #expect(nearPattern >= 12, "\(nearPattern) of 16 samples within one pixel of a pattern")
    }
}

extension Array {
    func chunked(_ size: Int) -> [[Element]] { stride(from: 0, to: count, by: size).map { Array(self[$0..<Swift.min($0 + size, count)]) } }
}
