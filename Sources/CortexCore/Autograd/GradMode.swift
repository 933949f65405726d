// Whether operations record the autograd graph. Scoped per task/thread with a task-local, so a
// `noGrad` block on one thread never switches recording off for another.

public enum GradMode {
    @TaskLocal static var enabled = true

    /// True when new operations record their backward pass.
    public static var isEnabled: Bool { enabled }
}

/// Runs `body` without recording gradients: evaluation, metric computation, weight updates.
@discardableResult
public func noGrad<R>(_ body: () throws -> R) rethrows -> R {
    try GradMode.$enabled.withValue(false, operation: body)
}

/// Runs `body` with gradient recording on, e.g. inside a `noGrad` scope.
@discardableResult
public func enableGrad<R>(_ body: () throws -> R) rethrows -> R {
    try GradMode.$enabled.withValue(true, operation: body)
}
