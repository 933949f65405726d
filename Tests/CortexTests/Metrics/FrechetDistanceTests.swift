// The Fréchet distance against the FID reference code's way of computing it (numpy.cov and
// scipy.linalg.sqrtm, Resources/frechet/generate.py), and its edge cases.
import Foundation
import Testing
@testable import Cortex

@Suite("Fréchet distance")
struct FrechetDistanceTests {
    struct Case: Decodable { let name: String, a: [[Double]], b: [[Double]], fid: Double }
    struct Reference: Decodable { let cases: [Case] }

    @Test func matchesSciPy() throws {
        let url = Fixtures.resources.appendingPathComponent("frechet/reference.json")
        let cases = try JSONDecoder().decode(Reference.self, from: Data(contentsOf: url)).cases
        #expect(cases.count == 3)
        for c in cases {
            let value = try frechetDistance(c.a, c.b)
            #expect(abs(value - c.fid) <= 1e-7 * max(1, c.fid), "\(c.name): \(value) against SciPy's \(c.fid)")
        }
    }

    @Test func isZeroForOneSetAndSymmetric() throws {
        let a = (0..<40).map { i in (0..<6).map { j in sin(Double(i * 7 + j * 3)) + Double(j) } }
        let b = (0..<50).map { i in (0..<6).map { j in cos(Double(i * 5 + j)) * 2 } }
        // The square root of a near-zero eigenvalue turns its round-off ε into √ε: agreement to 1e-6, not 1e-12.
        #expect(try frechetDistance(a, a) < 1e-6)
        let (ab, ba) = (try frechetDistance(a, b), try frechetDistance(b, a))
        #expect(abs(ab - ba) < 1e-6 * ab, "\(ab) against \(ba)")
        // Shifting one set by a vector adds its squared length and nothing else.
        let shifted = a.map { row in row.enumerated().map { $0.element + ($0.offset == 2 ? 3 : 0) } }
        #expect(abs(try frechetDistance(a, shifted) - 9) < 1e-6)
    }

    @Test func refusesBadInput() {
        #expect(throws: MetricsError.self) { try frechetDistance([[1, 2]], [[1, 2], [3, 4]]) }
        #expect(throws: MetricsError.self) { try frechetDistance([[1, 2], [3]], [[1, 2], [3, 4]]) }
        #expect(throws: MetricsError.self) { try frechetDistance([[1, .nan], [3, 4]], [[1, 2], [3, 4]]) }
    }
}
