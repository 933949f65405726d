// Replays the inputs that once crashed a reader (Resources/fuzz-regressions/<target>/), through the same
// entry the libFuzzer targets use, in this process: each must now be refused with an error — or, for a file
// named accepted-…, read (an 80,000-category CSV is a valid table once its identifier column is dropped).
import Foundation
import Testing

private let corpus = Fixtures.resources.appendingPathComponent("fuzz-regressions")

@Suite("Fuzz regression corpus")
struct FuzzCorpusTests {
    @Test func everyTargetHasAFolderAndEveryFolderATarget() throws {
        let folders = try FileManager.default.contentsOfDirectory(atPath: corpus.path).sorted()
        #expect(folders == FuzzTarget.allCases.map(\.rawValue).sorted())
    }

    @Test(arguments: FuzzTarget.allCases)
    func crashingInputsAreNowRefused(target: FuzzTarget) throws {
        let folder = corpus.appendingPathComponent(target.rawValue)
        let files = try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { !$0.hasPrefix(".") }.sorted()
        #expect(!files.isEmpty, "no regression inputs for \(target.rawValue)")
        for file in files {
            let data = try Data(contentsOf: folder.appendingPathComponent(file))
            let expected = file.hasPrefix("accepted-")
            #expect(target.consume(data) == expected, "\(target.rawValue)/\(file) was \(expected ? "refused" : "accepted")")
        }
    }

    @Test func validInputsAreAccepted() throws {
        // A check that the harness can say yes, so that "refused" above means something.
        let idx = Data([0, 0, 0x08, 1, 0, 0, 0, 2, 7, 9])
        #expect(FuzzTarget.idx.consume(idx))
        #expect(FuzzTarget.csv.consume(Data("x,y\n1,0\n2,1\n".utf8)))
        let config = #"{"model":"mlp","hidden":[4],"inputShape":[3],"outputs":2,"isClassification":true,"classNames":[],"featureNames":[],"seed":0}"#
        #expect(FuzzTarget.runConfig.consume(Data(config.utf8)))
    }
}
