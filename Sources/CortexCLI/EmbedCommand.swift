// `cortex embed` and `cortex similar`: sentence embeddings from the pretrained all-MiniLM-L6-v2 encoder
// (fetched by scripts/fetch-minilm), and the lines of a file nearest to a query by cosine similarity.
import ArgumentParser
import Cortex
import CortexRuns
import CortexModels
import Foundation

/// Where the pretrained encoder is: --model, else $CORTEX_MINILM_DIR, else where scripts/fetch-minilm puts it.
struct EncoderOption: ParsableArguments {
    @Option(name: .customLong("model"), help: "The all-MiniLM-L6-v2 folder (config.json, model.safetensors, vocab.txt); default: $CORTEX_MINILM_DIR, else ~/.cache/cortex/models/all-MiniLM-L6-v2 (scripts/fetch-minilm fills it).")
    var directory: String?

    func load() throws -> SentenceEncoder { try Self.load(directory) }

    /// The encoder in `directory`, else in the default place.
    static func load(_ directory: String?) throws -> SentenceEncoder {
        try SentenceEncoder(directory: directory.map { URL(fileURLWithPath: $0) } ?? CacheDirectories.miniLM)
    }
}

/// Non-empty lines of a text file, or of standard input for "-".
func readLines(_ path: String, option: String) throws -> [String] {
    let text: String
    if path == "-" {
        text = String(decoding: FileHandle.standardInput.readDataToEndOfFile(), as: UTF8.self)
    } else {
        let url = URL(fileURLWithPath: path)
        try requireRegularFile(url, option: option)
        guard let decoded = String(data: try Data(contentsOf: url), encoding: .utf8) else {
            throw PlainError("\(option) \(path): not UTF-8 text")
        }
        text = decoded
    }
    return text.split(whereSeparator: \.isNewline).map(String.init).filter { !$0.trimmingCharacters(in: .whitespaces).isEmpty }
}

struct EmbedCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "embed",
        abstract: "Sentence embeddings (384 values, unit length) from all-MiniLM-L6-v2: text in, vectors out as CSV or NPY.")

    @OptionGroup var encoder: EncoderOption

    @Option(help: "A text file with one sentence per line, or - for standard input (used when no sentences are given as arguments).")
    var input: String?

    @Option(help: "csv (one row per sentence, to standard output or --output) or npy (a float32 (N, 384) array; needs --output).")
    var format = "csv"

    @Option(help: "Where to write the vectors.")
    var output: String?

    @Argument(help: "Sentences to embed.")
    var sentences: [String] = []

    func validate() throws {
        guard format == "csv" || format == "npy" else { throw ValidationError("--format must be csv or npy, got '\(format)'") }
        if format == "npy" && output == nil { throw ValidationError("--format npy needs --output FILE") }
        if sentences.isEmpty && input == nil { throw ValidationError("give sentences as arguments, or --input FILE (- for standard input)") }
        if !sentences.isEmpty && input != nil { throw ValidationError("give sentences either as arguments or with --input, not both") }
    }

    func run() throws {
        let texts = sentences.isEmpty ? try readLines(input!, option: "--input") : sentences
        guard !texts.isEmpty else { throw PlainError("no sentences to embed") }
        let embeddings = try encoder.load().encode(texts)
        if format == "npy" {
            try NPY.write(embeddings, to: URL(fileURLWithPath: output!))
            return
        }
        let width = embeddings.shape[1], values = embeddings.scalars
        let lines = (0..<texts.count).map { i in
            values[(i * width)..<((i + 1) * width)].map { String(format: "%.6f", $0) }.joined(separator: ",")
        }
        let text = lines.joined(separator: "\n") + "\n"
        if let output { try Data(text.utf8).write(to: URL(fileURLWithPath: output), options: .atomic) } else { print(text, terminator: "") }
    }
}

struct SimilarCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "similar", abstract: "The lines of a file nearest to a query, by the cosine similarity of their MiniLM embeddings.")

    @OptionGroup var encoder: EncoderOption

    @Option(help: "The text to search for.")
    var query: String

    @Option(help: "A text file with one candidate per line, or - for standard input.")
    var file: String

    @Option(help: "How many lines to print.")
    var top = 5

    func validate() throws {
        guard top > 0 else { throw ValidationError("--top must be positive") }
        guard !query.trimmingCharacters(in: .whitespaces).isEmpty else { throw ValidationError("--query is empty") }
    }

    func run() throws {
        let candidates = try readLines(file, option: "--file")
        guard !candidates.isEmpty else { throw PlainError("--file \(file): no lines to search") }
        let model = try encoder.load()
        // Unit vectors: the dot product is the cosine similarity.
        let scores = model.encode(candidates).matmul(model.encode([query]).reshaped([-1])).scalars
        for i in scores.indices.sorted(by: { scores[$0] > scores[$1] }).prefix(top) {
            print(String(format: "%.4f  ", scores[i]) + candidates[i])
        }
    }
}
