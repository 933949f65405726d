// The autograd machinery itself: accumulation, no-grad scopes, detach, freeing the graph.
import Foundation
import Testing
import Cortex

@Suite("Autograd")
struct AutogradTests {
    @Test func gradientsAccumulateOnLeavesAcrossBackwardCalls() {
        let x = Tensor([1, 2, 3] as [Float]).requiringGrad()
        (x * x).sum().backward()
        #expect(x.grad?.scalars == [2, 4, 6])
        (x * 3).sum().backward()
        #expect(x.grad?.scalars == [5, 7, 9])
    }

    @Test func aTensorUsedTwiceGetsBothContributions() {
        let x = Tensor([2] as [Float]).requiringGrad()
        let y = x * x + x.exp() * x      // dy/dx = 2x + e^x(1 + x)
        y.backward(Tensor([1] as [Float]))
        let expected = 4 + Float(Foundation.exp(2.0)) * 3
        #expect(abs(x.grad!.item() - expected) < 1e-4)
    }

    @Test func noGradRecordsNothingAndDetachCutsTheGraph() {
        let x = Tensor([1, 2] as [Float]).requiringGrad()
        let y = noGrad { x * 2 }
        #expect(!y.requiresGrad && y.isLeaf)
        let z = x.detach() * 2
        #expect(!z.requiresGrad)
        let w = (x * x.detach()).sum()
        w.backward()
        #expect(x.grad?.scalars == [1, 2])
        #expect(GradMode.isEnabled)
    }

    @Test func nonLeafGradientsAreKeptOnlyWhenAsked() {
        let x = Tensor([1, 2] as [Float]).requiringGrad()
        let h = x * 3
        h.retainGrad()
        let other = x * 5
        (h.sum() + other.sum()).backward()
        #expect(h.grad?.scalars == [1, 1])
        #expect(other.grad == nil)
        #expect(x.grad?.scalars == [8, 8])
    }

    @Test func retainGraphAllowsASecondBackward() {
        let x = Tensor([3] as [Float]).requiringGrad()
        let y = (x * x).sum()
        y.backward(retainGraph: true)
        y.backward()
        #expect(x.grad?.scalars == [12])
    }

    @Test func theGraphIsFreedAfterBackward() async {
        await #expect(processExitsWith: .failure) {
            let x = Tensor([3] as [Float]).requiringGrad()
            let y = (x * x).sum()
            y.backward()
            y.backward()
        }
    }

    @Test func deepChainsDoNotOverflowTheStack() {
        let x = Tensor([1] as [Float]).requiringGrad()
        var y = x
        for _ in 0..<20_000 { y = y * 1.0001 }
        y.sum().backward()
        #expect(abs(x.grad!.item() - Float(pow(1.0001, 20_000.0))) < 1e-2)
    }

    @Test func gradientsFlowThroughViews() {
        let x = Tensor.arange(0, 6).reshaped([2, 3]).requiringGrad()
        let y = (x.T[1] * Tensor([10, 20] as [Float])).sum() + x.sliced(1, start: 0, end: 3, step: 2).sum()
        y.backward()
        #expect(x.grad?.scalars == [1, 10, 1, 1, 20, 1])
    }
}
