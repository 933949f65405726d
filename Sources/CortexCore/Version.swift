// The library's version, shown by `cortex --version`. (A top-level constant rather than a type
// named `Cortex`: a type with the module's name would shadow module-qualified names like Cortex.Tensor.)

public let cortexVersion = "0.1.0"
