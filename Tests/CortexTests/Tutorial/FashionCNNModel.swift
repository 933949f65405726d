import Cortex

/// Two convolutions, each followed by ReLU and 2×2 max pooling, then two linear layers: 28×28 images in,
/// ten class scores out.
func fashionCNN() -> Sequential {
    Sequential {
        Conv2d(1, 32, kernelSize: 3); ReLU(); MaxPool2d(2)     // 32 × 13 × 13
        Conv2d(32, 64, kernelSize: 3); ReLU(); MaxPool2d(2)    // 64 × 5 × 5
        Flatten(); Linear(1600, 128); ReLU(); Linear(128, 10)
    }
}
