// Programmer errors stop the process with a message that names the op and the shapes involved.
import Foundation
import Testing
import Cortex

@Suite("Error messages")
struct ErrorMessageTests {
    /// Runs `body` in a child process and returns what it wrote to standard error.
    static func stderrOf(_ result: ExitTest.Result?) -> String {
        String(decoding: result?.standardErrorContent ?? [], as: UTF8.self)
    }

    @Test func matmulWithMismatchedShapes() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = Tensor.zeros([2, 3]).matmul(Tensor.zeros([4, 5]))
        }
        let text = Self.stderrOf(result)
        #expect(text.contains("matmul") && text.contains("[2, 3]") && text.contains("[4, 5]"), "\(text)")
    }

    @Test func broadcastingIncompatibleShapes() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = Tensor.zeros([2, 3]) + Tensor.zeros([4])
        }
        let text = Self.stderrOf(result)
        #expect(text.contains("add") && text.contains("[2, 3]") && text.contains("[4]"), "\(text)")
    }

    @Test func convolutionWithWrongChannels() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = conv2d(Tensor.zeros([1, 3, 8, 8]), weight: Tensor.zeros([4, 2, 3, 3]))
        }
        let text = Self.stderrOf(result)
        #expect(text.contains("conv2d") && text.contains("[4, 2, 3, 3]") && text.contains("[1, 3, 8, 8]"), "\(text)")
    }

    @Test func reshapeToTheWrongCount() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = Tensor.zeros([2, 3]).reshaped([4, 2])
        }
        let text = Self.stderrOf(result)
        #expect(text.contains("reshape") && text.contains("[4, 2]") && text.contains("[2, 3]"), "\(text)")
    }

    @Test func crossEntropyWithAnOutOfRangeClass() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = crossEntropy(Tensor.zeros([2, 3]), Tensor([0, 7]))
        }
        let text = Self.stderrOf(result)
        #expect(text.contains("cross_entropy") && text.contains("7") && text.contains("3 classes"), "\(text)")
    }

    @Test func gatherIndexOutOfRange() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = Tensor.zeros([2, 3]).gather(1, Tensor([0, 3], shape: [2, 1]))
        }
        let text = Self.stderrOf(result)
        #expect(text.contains("gather") && text.contains("index 3"), "\(text)")
    }
}
