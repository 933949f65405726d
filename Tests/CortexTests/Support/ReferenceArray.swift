// A float64 array with its shape, as the NumPy and PyTorch reference generators write them in JSON.
import Cortex

struct ReferenceArray: Decodable {
    let shape: [Int], values: [Double]
    /// The values as a float32 tensor of `shape`.
    var tensor: Tensor { Tensor(values.map(Float.init), shape: shape) }
}
