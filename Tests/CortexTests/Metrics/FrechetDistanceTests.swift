// The Fréchet distance against the FID reference code's way of computing it (numpy.cov and
// scipy.linalg.sqrtm, Resources/frechet/generate.py and, at 2048 dimensions, generate_large.py), and its edge cases.
import Foundation
import Testing
import Cortex

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

    struct LargeSet: Decodable { let rows: Int, seed: UInt64, scale: Double, shift: Double }
    struct LargeReference: Decodable { let a: LargeSet, b: LargeSet, dimensions: Int, fid: Double, first: [Double] }

    /// Rows of `set.rows` × `d` values from SplitMix64 (as Resources/frechet/generate_large.py draws them).
    static func draw(_ set: LargeSet, _ d: Int) -> [[Double]] {
        (0..<set.rows).map { i in
            (0..<d).map { j -> Double in
                let golden: UInt64 = 0x9E37_79B9_7F4A_7C15, first: UInt64 = 0xBF58_476D_1CE4_E5B9, second: UInt64 = 0x94D0_49BB_1331_11EB
                var z: UInt64 = set.seed &+ UInt64(i * d + j + 1) &* golden
                z = (z ^ (z >> 30)) &* first
                z = (z ^ (z >> 27)) &* second
                z ^= z >> 31
                let unit = Double(z >> 11) * 0x1p-53
                return unit * set.scale + set.shift
            }
        }
    }

    @Test func matchesSciPyAtInceptionsDimensions() throws {
        // 2048 dimensions, 2500 and 2300 vectors. The traces of the two covariances add up to about 1,800 and the
        // distance is 524; SciPy's sqrtm (a Schur form) and the eigensolver here are each backward stable, off by
        // a few hundred ε of the traces they work on (d·ε·1800 ≈ 8e-10), so 1e-9 of the traces is the bound.
        let url = Fixtures.resources.appendingPathComponent("frechet/reference-large.json")
        let reference = try JSONDecoder().decode(LargeReference.self, from: Data(contentsOf: url))
        let d = reference.dimensions
        let a = Self.draw(reference.a, d), b = Self.draw(reference.b, d)
        #expect([a[0][0], a[0][1], b[0][0]] == reference.first, "the draws differ from generate_large.py's")
        /// The sum of a set's per-dimension variances: its covariance's trace.
        func trace(_ rows: [[Double]]) -> Double {
            var total = 0.0
            for j in 0..<d {
                let column = rows.map { $0[j] }
                let mean: Double = column.reduce(0, +) / Double(column.count)
                let squares: Double = column.map { ($0 - mean) * ($0 - mean) }.reduce(0, +)
                total += squares / Double(column.count - 1)
            }
            return total
        }
        let traceSum = trace(a) + trace(b)
        let value = try frechetDistance(a, b)
        print("Fréchet distance at 2048 dimensions: \(value) against SciPy's \(reference.fid); traces \(traceSum)")
        #expect(abs(value - reference.fid) <= 1e-9 * traceSum, "\(value) against SciPy's \(reference.fid)")
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
