// The small Fashion-MNIST subset that ships with Cortex, so the demo and quick runs need no download.
import Cortex
import Foundation

/// The Fashion-MNIST subset shipped inside the build (CortexRuns' resources) (3000 training, 1000 test images).
public func bundledFashionSubset(_ split: IDXDataset.Split) throws -> IDXDataset {
    guard let directory = Bundle.module.url(forResource: "fashion-mnist-subset", withExtension: nil) else {
        throw PlainError("the bundled Fashion-MNIST subset is missing from this build")
    }
    return try IDXDataset.load(images: directory.appendingPathComponent("\(split.rawValue)-images-idx3-ubyte.gz"),
                               labels: directory.appendingPathComponent("\(split.rawValue)-labels-idx1-ubyte.gz"))
}

