// Splitting examples into train/validation/test sets and cross-validation folds, plainly or
// stratified by class so every part keeps the class proportions. All splits are seeded.
import CortexEngine

/// Index sets for one split of a dataset.
public struct Split: Sendable, Equatable {
    public let train: [Int]
    public let validation: [Int]
    public let test: [Int]
}

private func shuffled(_ values: [Int], _ generator: RandomGenerator) -> [Int] {
    var result = values
    for i in stride(from: result.count - 1, to: 0, by: -1) { result.swapAt(i, Int(generator.next() % UInt64(i + 1))) }
    return result
}

/// Splits `count` examples into train/validation/test parts of the given fractions (the train part
/// takes the rest). With `stratifyBy` labels, each class is split in the same proportions.
public func trainValidationTestSplit(count: Int, validationFraction: Double, testFraction: Double, stratifyBy labels: [Int]? = nil,
                                     seed: UInt64 = 0) -> Split {
    require(validationFraction >= 0 && testFraction >= 0 && validationFraction + testFraction < 1,
            "split: fractions must be non-negative and sum to less than 1, got \(validationFraction) + \(testFraction)")
    if let labels { require(labels.count == count, "split: \(labels.count) labels for \(count) examples") }
    let generator = RandomGenerator(seed: seed)
    // Without stratification, the whole dataset is one group.
    let groups: [[Int]] = labels.map { labels in
        Dictionary(grouping: 0..<count, by: { labels[$0] }).sorted { $0.key < $1.key }.map(\.value)
    } ?? [Array(0..<count)]
    var train: [Int] = [], validation: [Int] = [], test: [Int] = []
    for group in groups {
        let order = shuffled(group, generator)
        let nTest = Int((Double(order.count) * testFraction).rounded())
        let nValidation = Int((Double(order.count) * validationFraction).rounded())
        test += order[..<nTest]
        validation += order[nTest..<min(order.count, nTest + nValidation)]
        train += order[min(order.count, nTest + nValidation)...]
    }
    return Split(train: train.sorted(), validation: validation.sorted(), test: test.sorted())
}

/// One cross-validation fold: the examples to train on and the held-out ones to test on.
public struct Fold: Sendable, Equatable {
    public let train: [Int]
    public let test: [Int]
}

/// k folds of (nearly) equal size, as sklearn's KFold: fold i tests on the i-th contiguous block
/// of the (optionally shuffled) order; the first count % k folds are one larger.
public func kFold(count: Int, k: Int, shuffle: Bool = true, seed: UInt64 = 0) -> [Fold] {
    require(k >= 2 && k <= count, "k-fold: k must be between 2 and the number of examples (\(count)), got \(k)")
    let order = shuffle ? shuffled(Array(0..<count), RandomGenerator(seed: seed)) : Array(0..<count)
    var folds: [Fold] = []
    var start = 0
    for i in 0..<k {
        let size = count / k + (i < count % k ? 1 : 0)
        let test = Array(order[start..<start + size])
        let held = Set(test)
        folds.append(Fold(train: (0..<count).filter { !held.contains($0) }, test: test.sorted()))
        start += size
    }
    return folds
}

/// k folds that each keep the class proportions: every class's examples are shuffled and dealt
/// round-robin to the folds, so fold sizes and class counts differ by at most one.
public func stratifiedKFold(labels: [Int], k: Int, shuffle: Bool = true, seed: UInt64 = 0) -> [Fold] {
    require(k >= 2 && k <= labels.count, "stratified k-fold: k must be between 2 and the number of examples (\(labels.count)), got \(k)")
    let generator = RandomGenerator(seed: seed)
    var assignment = [Int](repeating: 0, count: labels.count)
    var next = 0   // continue dealing where the previous class stopped, to balance fold sizes
    for (_, members) in Dictionary(grouping: labels.indices, by: { labels[$0] }).sorted(by: { $0.key < $1.key }) {
        let order = shuffle ? shuffled(members, generator) : members
        for index in order {
            assignment[index] = next % k
            next += 1
        }
    }
    return (0..<k).map { fold in
        Fold(train: labels.indices.filter { assignment[$0] != fold }, test: labels.indices.filter { assignment[$0] == fold })
    }
}
