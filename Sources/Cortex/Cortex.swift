// `import Cortex`: the whole library under one name. The pieces are separate targets so each can be read
// and built on its own (the core, tensors to training, fits in an afternoon's reading), and so a program that
// serves a model can depend on CortexCore alone; a user who wants everything imports this module.
// `@_exported` is how Swift re-exports a module today (swift-argument-parser and Vapor use it the same way).
@_exported import CortexCore
@_exported import CortexData
@_exported import CortexMetrics
@_exported import CortexExplain
