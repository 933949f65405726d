// Checks that stop with a message in every build mode. `precondition` drops its message in
// optimised builds, and a user whose shapes do not line up must still be told which op and which
// shapes, so Cortex stops through `fatalError`, which always prints.

/// Stops the program with `message` when `condition` is false (debug and release alike).
@inlinable @inline(__always)
public func require(_ condition: @autoclosure () -> Bool, _ message: @autoclosure () -> String,
                    file: StaticString = #fileID, line: UInt = #line) {
    if !condition() { fatalError(message(), file: file, line: line) }
}
