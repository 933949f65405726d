// The character language models: GPT's key/value cache gives the full forward pass's logits, sampling
// follows temperature and top-k, and both models learn real text (Debian's fortunes) through Trainer.
import Foundation
import Testing
import Cortex
@testable import CortexModels

@Suite("Language models")
struct LanguageModelTests {
    @Test func gptWithItsCacheComputesWhatTheWholeSequenceDoes() {
        let gpt = GPT(vocabularySize: 11, contextLength: 12, dModel: 16, heads: 2, layers: 2, feedForward: 32, seed: 3)
        let ids = [3, 1, 4, 1, 5, 9, 2, 6, 5, 3]
        let full = noGrad { gpt(Tensor(ids, shape: [1, ids.count])) }
        var caches = [GPTAttention.Cache?](repeating: GPTAttention.Cache(), count: 2)
        var pieces = [noGrad { gpt.forward(Tensor(Array(ids[0..<4]), shape: [1, 4]), start: 0, caches: &caches) }]
        for position in 4..<ids.count {
            pieces.append(noGrad { gpt.forward(Tensor([ids[position]], shape: [1, 1]), start: position, caches: &caches) })
        }
        let incremental = Tensor.cat(pieces, dim: 1)
        #expect(incremental.allClose(full, rtol: 1e-4, atol: 1e-5))
    }

    @Test func samplingFollowsTemperatureAndTopK() {
        let logits = Tensor([0.1, 2.0, 1.9, -1] as [Float])
        #expect(TokenSampler(temperature: 0).sample(logits) == 1)
        let topOne = TokenSampler(temperature: 1, topK: 1, generator: RandomGenerator(seed: 4))
        #expect((0..<20).allSatisfy { _ in topOne.sample(logits) == 1 })
        let topTwo = TokenSampler(temperature: 1, topK: 2, generator: RandomGenerator(seed: 4))
        let drawn = Set((0..<200).map { _ in topTwo.sample(logits) })
        #expect(drawn == [1, 2])
    }

    @Test(.enabled(if: FileManager.default.fileExists(atPath: TextCorpus.fortunesDirectory.path), "needs Debian's fortunes"),
          arguments: ["lstm", "gpt"])
    func bothModelsLearnFortunes(kind: String) throws {
        let corpus = TextCorpus(entries: Array(try TextCorpus.fortunes().entries.prefix(250)))
        let (train, validation) = corpus.split(validationFraction: 0.1, seed: 1)
        let vocabulary = CharacterVocabulary(text: train.text)
        let trainSet = TensorDataset.nextTokenWindows(vocabulary.encode(train.text), length: 32)
        let validationSet = TensorDataset.nextTokenWindows(vocabulary.encode(validation.text), length: 32)
        let model: any LanguageModel = kind == "lstm"
            ? CharLSTM(vocabularySize: vocabulary.count, embeddingSize: 32, hiddenSize: 96, seed: 1)
            : GPT(vocabularySize: vocabulary.count, contextLength: 32, dModel: 48, heads: 4, layers: 2, feedForward: 96, seed: 1)
        let optimizer = Adam(model.parameters(), learningRate: kind == "lstm" ? 5e-3 : 2e-3)
        let trainer = Trainer(model, step: LanguageModelStep(model, optimizer))
        let history = try trainer.fit(trainSet, validation: validationSet, epochs: 2, batchSize: 16, seed: 2)
        let bits = history.epochs.compactMap(\.validationMetric)
        // The bar: a character unigram model (train counts, add-one smoothing) on the same validation text.
        let unigram = unigramBitsPerCharacter(train: vocabulary.encode(train.text), validation: vocabulary.encode(validation.text),
                                  vocabularySize: vocabulary.count)
        #expect(bits.count == 2 && bits.last! < unigram - 0.6, "\(kind): \(bits) vs unigram \(unigram)")
        #expect(bits.last! < bits.first!, "\(kind): \(bits)")
        let sample = model.generate(prompt: vocabulary.encode("The "), maxTokens: 40,
                                    sampler: TokenSampler(temperature: 0.8, generator: RandomGenerator(seed: 5))) { _ in }
        #expect(sample.count == 40 && sample.allSatisfy { $0 >= 0 && $0 < vocabulary.count })
    }
}
