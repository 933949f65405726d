// Autoencoders: an encoder squeezes each example into a short code, a decoder rebuilds the example from it,
// and training asks the rebuilt example to equal the original. The code is then a learned summary — a
// feature extractor (`encode`) — and what the decoder cannot rebuild is what the code left out. Denoising
// (noise on the input only, see `GaussianNoise` and `MaskingNoise`) and sparsity penalties
// (`AutoencoderStep`) train the same models to learn sturdier codes.
import CortexCore

/// An encoder to a flat code and a decoder back to the input's shape, as `Autoencoder`, `ConvAutoencoder` and
/// the VAE's deterministic half are.
public protocol Autoencoding: Module, Layer {
    /// One example's shape, e.g. (1, 28, 28).
    var inputShape: [Int] { get }
    var codeSize: Int { get }
    /// The codes of a batch, (batch, codeSize).
    func encode(_ input: Tensor) -> Tensor
    /// Logits of the reconstruction, (batch,) + inputShape: the decoder ends without a sigmoid so that the loss can
    /// use the stable binary cross-entropy with logits.
    func decodeLogits(_ code: Tensor) -> Tensor
}

extension Autoencoding {
    /// The reconstruction of codes as pixel intensities in (0, 1).
    public func decode(_ code: Tensor) -> Tensor { decodeLogits(code).sigmoid() }
    /// The reconstruction of `input`.
    public func callAsFunction(_ input: Tensor) -> Tensor { decode(encode(input)) }
}

/// Fully connected layers down to the code and mirrored back up, ReLU between them.
public final class Autoencoder: Module, Autoencoding {
    public let encoder: Sequential
    public let decoder: Sequential
    public let inputShape: [Int]
    public let codeSize: Int

    /// `hiddenSizes` from the input side, e.g. [512, 128] for 784 → 512 → 128 → code → 128 → 512 → 784.
    public init(inputShape: [Int], hiddenSizes: [Int] = [256], codeSize: Int = 32, seed: UInt64 = 0) {
        precondition(!inputShape.isEmpty && inputShape.allSatisfy { $0 > 0 }, "Autoencoder: invalid input shape \(inputShape)")
        precondition(codeSize > 0 && hiddenSizes.allSatisfy { $0 > 0 }, "Autoencoder: sizes must be positive")
        let generator = RandomGenerator(seed: seed)
        let widths = [inputShape.reduce(1, *)] + hiddenSizes
        var down: [any Layer] = [Flatten()]
        for (a, b) in zip(widths, widths.dropFirst()) { down += [Linear(a, b, generator: generator), ReLU()] as [any Layer] }
        down.append(Linear(widths.last!, codeSize, generator: generator))
        var up: [any Layer] = []
        var width = codeSize
        for size in widths.dropFirst().reversed() {
            up += [Linear(width, size, generator: generator), ReLU()] as [any Layer]
            width = size
        }
        up.append(Linear(width, widths[0], generator: generator))
        (encoder, decoder, self.inputShape, self.codeSize) = (Sequential(down), Sequential(up), inputShape, codeSize)
        super.init()
    }

    public func encode(_ input: Tensor) -> Tensor { encoder(input) }
    public func decodeLogits(_ code: Tensor) -> Tensor { decoder(code).reshaped([code.shape[0]] + inputShape) }
}

/// Two stride-2 convolutions down (H, W → H/4, W/4), a linear layer to the code, and the mirror image back up
/// through two stride-2 transposed convolutions. Height and width must be multiples of 4 (28 × 28 works).
public final class ConvAutoencoder: Module, Autoencoding {
    public let encoder: Sequential
    public let fromCode: Linear
    public let decoder: Sequential
    public let inputShape: [Int]
    public let codeSize: Int
    let channels: (Int, Int)

    public init(inputShape: [Int] = [1, 28, 28], channels: (Int, Int) = (32, 64), codeSize: Int = 32, seed: UInt64 = 0) {
        precondition(inputShape.count == 3 && inputShape[1] % 4 == 0 && inputShape[2] % 4 == 0 && inputShape.allSatisfy { $0 > 0 },
                     "ConvAutoencoder: input shape must be (C, H, W) with H and W multiples of 4, got \(inputShape)")
        let g = RandomGenerator(seed: seed)
        let (c, h, w) = (inputShape[0], inputShape[1], inputShape[2])
        let flat = channels.1 * (h / 4) * (w / 4)
        encoder = Sequential {
            Conv2d(c, channels.0, kernelSize: 3, stride: 2, padding: 1, generator: g); ReLU()
            Conv2d(channels.0, channels.1, kernelSize: 3, stride: 2, padding: 1, generator: g); ReLU()
            Flatten(); Linear(flat, codeSize, generator: g)
        }
        fromCode = Linear(codeSize, flat, generator: g)
        decoder = Sequential {
            ConvTranspose2d(channels.1, channels.0, kernelSize: 4, stride: 2, padding: 1, generator: g); ReLU()
            ConvTranspose2d(channels.0, c, kernelSize: 4, stride: 2, padding: 1, generator: g)
        }
        (self.inputShape, self.codeSize, self.channels) = (inputShape, codeSize, channels)
        super.init()
    }

    public func encode(_ input: Tensor) -> Tensor { encoder(input) }

    public func decodeLogits(_ code: Tensor) -> Tensor {
        let grid = relu(fromCode(code)).reshaped([code.shape[0], channels.1, inputShape[1] / 4, inputShape[2] / 4])
        return decoder(grid)
    }
}
