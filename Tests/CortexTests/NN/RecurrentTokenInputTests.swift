// A recurrent layer fed token ids and their embedding (the first projection folded into the table when the
// batch has more tokens than the table has rows) computes what it computes on the embedded vectors: the
// same outputs, states and gradients of every parameter and of the table.
import Testing
import Cortex

@Suite("Recurrent layers on token ids")
struct RecurrentTokenInputTests {
    /// Outputs and gradients of `run` on fresh copies of the same layer and embedding (same seeds).
    static func outputsAndGradients(_ make: () -> (RecurrentLayer, Embedding), tokens: Tensor,
                                    _ run: (RecurrentLayer, Embedding) -> Tensor) -> [Tensor] {
        let (layer, embedding) = make()
        let output = run(layer, embedding)
        // A loss that weighs every output differently, so any misplaced row shows.
        let weights = Tensor.randn(output.shape, generator: RandomGenerator(seed: 9))
        (output * weights).sum().backward()
        // A missing gradient becomes NaNs, so the comparison fails instead of the run stopping.
        return ([output.detach()] + (layer.parameters() + [embedding.weight]).map { $0.grad ?? Tensor.full($0.shape, Float.nan) })
    }

    @Test(arguments: [("lstm", false, 1, false), ("lstm", true, 2, true), ("gru", true, 1, false), ("rnn", false, 2, true)])
    func tokensGiveWhatEmbeddedVectorsGive(kind: String, batchFirst: Bool, layers: Int, bidirectional: Bool) {
        let vocabulary = 7, (steps, batch) = (5, 4)
        func make() -> (RecurrentLayer, Embedding) {
            let g = RandomGenerator(seed: 1)
            let embedding = Embedding(vocabulary, 6, generator: g)
            let layer: RecurrentLayer = switch kind {
            case "lstm": LSTM(6, 8, numLayers: layers, batchFirst: batchFirst, bidirectional: bidirectional, generator: g)
            case "gru": GRU(6, 8, numLayers: layers, batchFirst: batchFirst, bidirectional: bidirectional, generator: g)
            default: RNN(6, 8, numLayers: layers, batchFirst: batchFirst, bidirectional: bidirectional, generator: g)
            }
            return (layer, embedding)
        }
        // 20 tokens over a 7-row table: the folded path.
        let tokens = Tensor.randint(0, vocabulary, batchFirst ? [batch, steps] : [steps, batch], generator: RandomGenerator(seed: 2))
        let folded = Self.outputsAndGradients(make, tokens: tokens) { $0(tokens: tokens, embedding: $1) }
        let plain = Self.outputsAndGradients(make, tokens: tokens) { $0($1(tokens)) }
        #expect(folded.count == plain.count)
        for (a, b) in zip(folded, plain) {
            #expect(a.shape == b.shape)
            #expect(a.allClose(b, rtol: 1e-4, atol: 1e-5), "\(kind): \(a.shape) differs by \((a.detach() - b.detach()).abs().amax().item())")
        }
    }

    @Test func fewTokensAndPaddingRowsTakeThePlainPathWithTheSameResult() {
        // 3 tokens over 7 rows (folding would not pay), and a table with a padding row (its gradient stays zero).
        for (tokens, padding) in [(Tensor([1, 5, 2], shape: [3]), nil as Int?), (Tensor([0, 3, 0, 6, 2, 0, 1, 4], shape: [4, 2]), 0)] {
            func make() -> (RecurrentLayer, Embedding) {
                let g = RandomGenerator(seed: 3)
                return (LSTM(4, 5, generator: g), Embedding(7, 4, paddingIndex: padding, generator: g))
            }
            let viaTokens = Self.outputsAndGradients(make, tokens: tokens) { $0(tokens: tokens, embedding: $1) }
            let plain = Self.outputsAndGradients(make, tokens: tokens) { $0($1(tokens)) }
            for (a, b) in zip(viaTokens, plain) { #expect(a.allClose(b, rtol: 1e-5, atol: 1e-6)) }
            if let padding { #expect(viaTokens.last!.selected(0, padding).abs().amax().item() == 0) }
        }
    }

    @Test func aTokenOutsideTheTableStops() async {
        await #expect(processExitsWith: .failure) {
            let g = RandomGenerator(seed: 1)
            _ = LSTM(4, 8, generator: g)(tokens: Tensor([1, 2, 3, 7, 0, 1], shape: [3, 2]), embedding: Embedding(5, 4, generator: g))
        }
    }

    @Test func tokenInputMustBeIntegerIdsOfTheEmbeddingsWidth() async {
        await #expect(processExitsWith: .failure) {
            let g = RandomGenerator(seed: 1)
            _ = LSTM(6, 8, generator: g)(tokens: Tensor([1, 2], shape: [2]), embedding: Embedding(7, 5, generator: g))
        }
    }
}
