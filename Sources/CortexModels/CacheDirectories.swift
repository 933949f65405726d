// Where the fetch scripts put pretrained models and data sets, as the command line and the tests find them:
// the same environment variables and defaults as scripts/fetch-minilm and scripts/fetch-bbcnews.
import Foundation

public enum CacheDirectories {
    private static func environment(_ name: String) -> String? {
        ProcessInfo.processInfo.environment[name].flatMap { $0.isEmpty ? nil : $0 }
    }

    private static var cache: URL { FileManager.default.homeDirectoryForCurrentUser.appendingPathComponent(".cache/cortex") }

    /// $CORTEX_MODELS, else ~/.cache/cortex/models.
    public static var models: URL { environment("CORTEX_MODELS").map { URL(fileURLWithPath: $0) } ?? cache.appendingPathComponent("models") }

    /// $CORTEX_DATA, else ~/.cache/cortex/data.
    public static var data: URL { environment("CORTEX_DATA").map { URL(fileURLWithPath: $0) } ?? cache.appendingPathComponent("data") }

    /// The all-MiniLM-L6-v2 folder: $CORTEX_MINILM_DIR, else models/all-MiniLM-L6-v2.
    public static var miniLM: URL {
        environment("CORTEX_MINILM_DIR").map { URL(fileURLWithPath: $0) } ?? models.appendingPathComponent("all-MiniLM-L6-v2")
    }

    /// The BBC News corpus: data/bbc-news.
    public static var bbcNews: URL { data.appendingPathComponent("bbc-news") }
}
