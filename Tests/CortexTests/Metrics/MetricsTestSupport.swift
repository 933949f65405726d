// Closeness checks for the metrics tests. Expected values are scikit-learn's, pasted with Python's
// repr (17 significant digits), so the default tolerance is a few units in the last place.
import Testing
import Cortex

/// |actual − expected| ≤ tolerance · max(1, |expected|); NaN matches NaN and ±∞ match themselves.
func isClose(_ actual: Double, _ expected: Double, tolerance: Double = 1e-13) -> Bool {
    if expected.isNaN { return actual.isNaN }
    if expected.isInfinite { return actual == expected }
    return abs(actual - expected) <= tolerance * max(1, abs(expected))
}

func expectClose(_ actual: Double, _ expected: Double, tolerance: Double = 1e-13,
                 sourceLocation: SourceLocation = #_sourceLocation) {
    #expect(isClose(actual, expected, tolerance: tolerance), "\(actual) is not \(expected)", sourceLocation: sourceLocation)
}

func expectClose(_ actual: [Double], _ expected: [Double], tolerance: Double = 1e-13,
                 sourceLocation: SourceLocation = #_sourceLocation) {
    let same = actual.count == expected.count && zip(actual, expected).allSatisfy { isClose($0, $1, tolerance: tolerance) }
    #expect(same, "\(actual) is not \(expected)", sourceLocation: sourceLocation)
}

/// Runs `body`, expecting a MetricsError of `kind` whose message mentions every one of `fragments`.
func expectMetricsError(_ kind: MetricsError.Kind, mentions fragments: [String] = [],
                        sourceLocation: SourceLocation = #_sourceLocation, _ body: () throws -> Void) {
    let error = #expect(throws: MetricsError.self, sourceLocation: sourceLocation) { try body() }
    guard let error else { return }
    #expect(error.kind == kind, "\(error) is not of kind \(kind)", sourceLocation: sourceLocation)
    for fragment in fragments {
        #expect(error.message.contains(fragment), "\(error) lacks '\(fragment)'", sourceLocation: sourceLocation)
    }
}
