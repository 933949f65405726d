// The library's version, shown by `cortex --version`.

public enum Cortex {
    public static let version = "0.1.0"
}
