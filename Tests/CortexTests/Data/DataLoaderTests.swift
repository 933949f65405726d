// DataLoader batching and shuffling, transforms, and the splits.
import Foundation
import Testing
import Cortex
@testable import CortexCore
import CortexEngine

@Suite("DataLoader")
struct DataLoaderTests {
    let data = TensorDataset(inputs: Tensor.arange(0, 10).reshaped([10, 1]), targets: Tensor(Array(0..<10)))

    @Test func batchesCoverEveryExampleOnce() {
        let loader = DataLoader(data, batchSize: 4, shuffle: true, seed: 1)
        let batches = Array(loader)
        #expect(batches.map { $0.input.shape[0] } == [4, 4, 2] && loader.count == 3)
        #expect(batches.flatMap { $0.target.integers }.sorted() == Array(0..<10))
        // Inputs and targets stay paired.
        #expect(batches.allSatisfy { $0.input.scalars.map(Int.init) == $0.target.integers })
        #expect(DataLoader(data, batchSize: 4, dropLast: true).map { $0.input.shape[0] } == [4, 4])
    }

    @Test func shardsSplitEachGlobalBatchInRankOrder() {
        // 10 examples, 3 replicas at batch 2: global batches of 6 and 4; the 4 is cut 1 / 1 / 2.
        let whole = DataLoader(data, batchSize: 6, shuffle: true, seed: 5).map { $0.target.integers }
        let shards = (0..<3).map { rank in DataLoader(data, batchSize: 2, shuffle: true, seed: 5, shard: (rank, 3)).map { $0.target.integers } }
        #expect(shards.allSatisfy { $0.count == 2 } && DataLoader(data, batchSize: 2, shard: (0, 3)).count == 2)
        #expect(shards.map { $0.map(\.count) } == [[2, 1], [2, 1], [2, 2]])
        for (k, global) in whole.enumerated() { #expect(shards.flatMap { $0[k] } == global, "global batch \(k)") }
        // A last global batch smaller than the replicas is left out everywhere, so no replica steps on nothing.
        let tiny = (0..<4).map { rank in DataLoader(data, batchSize: 2, shard: (rank, 4)) }
        #expect(tiny.map { $0.map { $0.target.integers } } == [[[0, 1]], [[2, 3]], [[4, 5]], [[6, 7]]])
        #expect(tiny.allSatisfy { $0.count == 1 })
    }

    @Test(arguments: [false, true])
    func shardsTransformTheirRowsAsOneProcessTransformsTheGlobalBatch(prefetch: Bool) {
        // 12 random 1×6×6 images, 3 replicas at batch 2 (global batches of 6), two passes: crops, flips and noise
        // drawn for each replica's rows are the ones one process draws for those rows of the global batch.
        let images = TensorDataset(inputs: Tensor.rand([12, 1, 6, 6], generator: RandomGenerator(seed: 2)), targets: Tensor(Array(0..<12)))
        func augment() -> @Sendable (Tensor) -> Tensor {
            let steps = Compose(RandomCrop(size: 6, padding: 2, seed: 3), RandomHorizontalFlip(seed: 4), GaussianNoise(std: 0.1, seed: 5),
                                MaskingNoise(probability: 0.3, seed: 6))
            return { steps($0) }
        }
        let whole = DataLoader(images, batchSize: 6, shuffle: true, seed: 1, prefetch: prefetch, transform: augment())
        let wholePasses = (0..<2).map { _ in whole.map(\.input.scalars) }
        let shards = (0..<3).map { rank in
            DataLoader(images, batchSize: 2, shuffle: true, seed: 1, prefetch: prefetch, transform: augment(), shard: (rank, 3))
        }
        let shardPasses = shards.map { loader in (0..<2).map { _ in loader.map(\.input.scalars) } }
        for pass in 0..<2 {
            for k in 0..<2 {
                #expect(shardPasses.flatMap { $0[pass][k] } == wholePasses[pass][k], "pass \(pass), global batch \(k)")
            }
        }
        // The check can fail: the second replica's rows transformed on their own get the draws of the first rows.
        let raw = Array(DataLoader(images, batchSize: 6, shuffle: true, seed: 1))[0].input.sliced(0, start: 2, end: 4).copied()
        let perImage = 36
        #expect(augment()(raw).scalars != Array(wholePasses[0][0][(2 * perImage)..<(4 * perImage)]))
        #expect(shardPasses[1][0][0] == Array(wholePasses[0][0][(2 * perImage)..<(4 * perImage)]))
    }

    @Test func shuffleIsSeededAndChangesEachEpoch() {
        let a = DataLoader(data, batchSize: 10, shuffle: true, seed: 7), b = DataLoader(data, batchSize: 10, shuffle: true, seed: 7)
        let firstA = Array(a)[0].target.integers, secondA = Array(a)[0].target.integers
        #expect(firstA == Array(b)[0].target.integers)
        #expect(firstA != secondA)
        #expect(Array(DataLoader(data, batchSize: 10))[0].target.integers == Array(0..<10))
    }

    @Test func prefetchingGivesTheSameBatches() {
        let plain = DataLoader(data, batchSize: 3, shuffle: true, seed: 2, prefetch: false).map { $0.target.integers }
        let prefetched = DataLoader(data, batchSize: 3, shuffle: true, seed: 2, prefetch: true).map { $0.target.integers }
        #expect(plain == prefetched)
    }

    @Test func aLoopLeftEarlyLeavesNoPrefetchRunningBehindIt() {
        // The transform counts its calls and draws from a generator, as augmentation does. The second batch's
        // prefetch is held before it starts while the loop throws on the first batch; released once the loop has
        // been left, it must not transform that batch any more (it would draw from the generator behind the back of
        // whatever reads it next: a checkpoint, the next fit, the next pass).
        struct Stop: Error {}
        let generator = RandomGenerator(seed: 5), calls = Locked(0)
        let loader = DataLoader(data, batchSize: 3, prefetch: true, transform: { x in
            calls.withLock { $0 += 1 }
            _ = generator.next()
            return x
        })
        let started = Locked(0), release = DispatchSemaphore(value: 0), ended = DispatchSemaphore(value: 0), loaded = Locked<[Bool]>([])
        loader.prefetchHooks = PrefetchHooks(willLoad: {
            if started.withLock({ $0 += 1; return $0 }) == 2 { release.wait() }
        }, didEnd: { didLoad in
            loaded.withLock { $0.append(didLoad) }
            ended.signal()
        })
        do {
            for _ in loader { throw Stop() }
        } catch {
            release.signal()
        }
        ended.wait()
        ended.wait()
        #expect(loaded.withLock { $0 } == [true, false])
        #expect(calls.withLock { $0 } == 1)
        let once = RandomGenerator(seed: 5)
        _ = once.next()
        #expect(generator.snapshot == once.snapshot)
    }

    @Test func transformsAndScaling() {
        let x = Tensor([1, 10, 3, 30] as [Float], shape: [2, 2])
        let scaler = Standardizer(fitting: x)
        #expect(scaler(x).scalars == [-1, -1, 1, 1])
        #expect(scaler.inverse(scaler(x)).scalars == x.scalars)
        #expect(oneHot(Tensor([2, 0]), classes: 3).scalars == [0, 0, 1, 1, 0, 0])
        let images = Tensor.arange(0, 2 * 9).reshaped([2, 1, 3, 3])
        #expect(RandomCrop(size: 3, padding: 1, seed: 1)(images).shape == [2, 1, 3, 3])
        let flipped = RandomHorizontalFlip(probability: 1)(images)
        #expect(flipped[0, 0, 0].scalars == [2, 1, 0])
        #expect(normalize(images, mean: [1], std: [2]).scalars[0] == -0.5)
        // A constant column whose float32 mean is not exactly its value (1,000 copies of 0.1) is centred, not blown
        // up into unit-variance rounding noise; a column varying by a part in 10^4 is still scaled.
        let n = 1000
        let table = Tensor((0..<n).flatMap { i in [Float(0.1), 1 + Float(i % 2) * 1e-4] }, shape: [n, 2])
        let fitted = Standardizer(fitting: table)
        #expect(fitted.std.scalars[0] == 1 && fitted.std.scalars[1] < 1e-3, "std \(fitted.std.scalars), mean \(fitted.mean.scalars)")
        let scaled = fitted(table)
        #expect(scaled.scalars.enumerated().allSatisfy { $0.offset % 2 == 1 || abs($0.element) < 1e-5 })
        #expect(scaled.scalars.enumerated().allSatisfy { $0.offset % 2 == 0 || abs(abs($0.element) - 1) < 0.01 })
    }
}

@Suite("Splits")
struct SplitTests {
    @Test func stratifiedSplitKeepsProportions() {
        let labels = Array(repeating: 0, count: 80) + Array(repeating: 1, count: 20)
        let split = trainValidationTestSplit(count: 100, validationFraction: 0.1, testFraction: 0.2, stratifyBy: labels, seed: 3)
        #expect(split.test.count == 20 && split.validation.count == 10 && split.train.count == 70)
        #expect(split.test.filter { labels[$0] == 1 }.count == 4)
        #expect(Set(split.train + split.validation + split.test).count == 100)
    }

    @Test func kFoldsPartitionTheData() {
        let folds = kFold(count: 23, k: 5, seed: 1)
        #expect(folds.map(\.test.count) == [5, 5, 5, 4, 4])
        #expect(Set(folds.flatMap(\.test)).count == 23)
        #expect(folds.allSatisfy { Set($0.train).isDisjoint(with: $0.test) && $0.train.count + $0.test.count == 23 })
    }

    @Test func stratifiedKFoldBalancesClasses() {
        let labels = (0..<50).map { $0 < 35 ? 0 : 1 }
        let folds = stratifiedKFold(labels: labels, k: 5, seed: 2)
        for fold in folds {
            #expect(fold.test.count == 10)
            #expect(fold.test.filter { labels[$0] == 1 }.count == 3)
        }
        #expect(Set(folds.flatMap(\.test)).count == 50)
    }
}

@Suite("FashionMNIST")
struct FashionMNISTTests {
    @Test func missingFilesThrowAnErrorNamingTheDirectory() {
        do {
            _ = try FashionMNIST(split: .train, directory: URL(fileURLWithPath: "/nonexistent/fashion"))
            Issue.record("expected an error for a missing directory")
        } catch let error as DataError {
            #expect(error.description.contains("/nonexistent/fashion") && error.description.contains("dataset-fashion-mnist"))
        } catch {
            Issue.record("unexpected error \(error)")
        }
    }

    @Test(.enabled(if: FileManager.default.fileExists(atPath: IDXDataset.fashionMNISTDirectory.path)))
    func loadsTheTestSplitAsADataset() throws {
        let test = try FashionMNIST(split: .test)
        #expect(test.count == 10_000 && test.images.shape == [10_000, 1, 28, 28])
        let (x, y) = test.batch(at: [0, 1, 2])
        #expect(x.shape == [3, 1, 28, 28] && y.integers == Array(test.labels.integers[0..<3]))
        #expect(FashionMNIST.classNames.count == 10)
    }
}
