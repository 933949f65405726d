// Attention maps: each layer's per-head weights from a Transformer encoder and from BERT (MiniLM's architecture),
// the weights the forward pass uses — rows that sum to one, nothing drawn from padding.
import Testing
import Cortex
@testable import CortexModels

@Suite("Attention maps")
struct AttentionMapTests {
    @Test func transformerEncoderMapsAreTheWeightsEachLayerUses() {
        let g = RandomGenerator(seed: 1)
        let encoder = TransformerEncoder(numLayers: 2) { _ in
            TransformerEncoderLayer(dModel: 8, nhead: 2, dimFeedforward: 16, dropout: 0, batchFirst: true, generator: g)
        }
        encoder.eval()
        let x = Tensor.randn([2, 5, 8], generator: g)
        let padding = Tensor([false, false, false, false, false, false, false, false, true, true], shape: [2, 5])
        let maps = encoder.attentionMaps(x, keyPaddingMask: padding)
        #expect(maps.count == 2 && maps.allSatisfy { $0.shape == [2, 2, 5, 5] })
        // Layer 2's map is what its attention computes on layer 1's output.
        let first = encoder.layers[0](x, keyPaddingMask: padding)
        let direct = encoder.layers[1].selfAttn(query: first, key: first, value: first, keyPaddingMask: padding, needWeights: true,
                                                averageWeights: false).weights!
        #expect(zip(maps[1].scalars, direct.scalars).allSatisfy { abs($0 - $1) < 1e-6 })
        for map in maps {
            let values = map.scalars
            for row in 0..<(2 * 2 * 5) {
                let r = Array(values[row * 5..<(row + 1) * 5])
                #expect(abs(r.reduce(0, +) - 1) < 1e-5)
                if row >= 10 { #expect(r[3] == 0 && r[4] == 0, "the second sequence's padded keys get no weight") }
            }
        }
    }

    @Test func bertMapsSumToOneAndIgnorePadding() {
        let config = BertConfig(vocabSize: 50, hiddenSize: 16, numHiddenLayers: 3, numAttentionHeads: 4, intermediateSize: 32,
                                maxPositionEmbeddings: 16)
        let bert = BertModel(config)
        bert.eval()
        let ids = Tensor([2, 7, 9, 11, 3, 2, 8, 3, 0, 0], shape: [2, 5])
        let keep = Tensor([1, 1, 1, 1, 1, 1, 1, 1, 0, 0] as [Float], shape: [2, 5])
        let maps = bert.attentionMaps(ids, attentionMask: keep)
        #expect(maps.count == 3 && maps.allSatisfy { $0.shape == [2, 4, 5, 5] })
        let values = maps[2].scalars
        for row in 0..<(2 * 4 * 5) {
            let r = Array(values[row * 5..<(row + 1) * 5])
            #expect(abs(r.reduce(0, +) - 1) < 1e-5)
            if row >= 20 { #expect(r[3] == 0 && r[4] == 0) }
        }
        // The maps come from the same pass as the forward output: running them leaves the output unchanged.
        let before = bert(ids, attentionMask: keep).scalars
        _ = bert.attentionMaps(ids, attentionMask: keep)
        #expect(bert(ids, attentionMask: keep).scalars == before)
    }
}
