// Tests for the CSV table reader: RFC 4180 quoting, column typing and one-hot encoding, targets, missing
// values under each policy, malformed files, and scikit-learn's breast-cancer table when it is installed.
import Foundation
import Testing
import Cortex
@testable import CortexData

private func table(_ text: String, _ options: CSVOptions = CSVOptions()) throws -> CSVTable {
    try CSVTable.parse(Data(text.utf8), path: "test.csv", options: options)
}

private let breastCancerInstalled = FileManager.default.fileExists(atPath: BreastCancer.defaultURL.path)

@Suite("CSV reader")
struct CSVReaderTests {
    @Test func typesColumnsAndOneHotEncodesCategories() throws {
        let t = try table("""
            size,color,weight,label
            1.5,red,10,cat
            -2,blue,1e1,dog
            .25,red,3,cat

            """, CSVOptions(target: .classification("label")))
        #expect(t.columnNames == ["size", "color", "weight", "label"])
        #expect(t.columnKinds == [.numeric, .categorical(["blue", "red"]), .numeric, .categorical(["cat", "dog"])])
        #expect(t.featureNames == ["size", "color=blue", "color=red", "weight"])
        #expect(t.features.shape == [3, 4] && t.features.dtype == .float32)
        #expect(t.features.scalars == [1.5, 0, 1, 10, -2, 1, 0, 10, 0.25, 0, 1, 3])
        #expect(t.targetName == "label" && t.classNames == ["cat", "dog"])
        #expect(t.target?.dtype == .int64 && t.target?.integers == [0, 1, 0])
        #expect(t.rowCount == 3 && t.droppedRowCount == 0)
    }

    @Test func readsQuotedFieldsPerRFC4180() throws {
        let t = try table("id,text,n\r\n1,\"a, b\",2\r\n2,\"say \"\"hi\"\"\",3\r\n3,\"two\nlines\",4\r\n4,  plain  ,5")
        #expect(t.columnKinds[1] == .categorical(["a, b", "plain", "say \"hi\"", "two\nlines"]))
        #expect(t.features.shape == [4, 6])
        #expect(t.features.scalars.enumerated().filter { $0.offset % 6 == 5 }.map(\.element) == [2, 3, 4, 5])
        // A quoted number is still a number.
        #expect(try table("a,b\n\"1.5\",2\n").columnKinds == [.numeric, .numeric])
    }

    @Test func honoursDelimiterByteOrderMarkAndBlankLines() throws {
        let semicolon = try table("x;y\n1,5;2\n3;4\n", CSVOptions(delimiter: ";"))
        #expect(semicolon.columnKinds == [.categorical(["1,5", "3"]), .numeric])
        let tab = try table("\u{FEFF}x\ty\n\n1\t2\n\n3\t4\n\n", CSVOptions(delimiter: "\t", target: .regression("y")))
        #expect(tab.columnNames == ["x", "y"] && tab.features.scalars == [1, 3] && tab.target?.scalars == [2, 4])
    }

    @Test func classificationOrdersClassesSorted() throws {
        let numeric = try table("f,y\n0,10\n1,2\n2,2\n3,0\n", CSVOptions(target: .classification("y")))
        #expect(numeric.classNames == ["0", "2", "10"])      // numerically, not "10" < "2"
        #expect(numeric.target?.integers == [2, 1, 1, 0])
        let text = try table("f,y\n0,zebra\n1,Ant\n2,bee\n", CSVOptions(target: .classification("y")))
        #expect(text.classNames == ["Ant", "bee", "zebra"] && text.target?.integers == [2, 0, 1])
        #expect(text.featureNames == ["f"])
    }

    @Test func regressionTargetIsFloat() throws {
        let t = try table("a,price,b\n1,10.5,x\n2,-3,y\n", CSVOptions(target: .regression("price")))
        #expect(t.target?.dtype == .float32 && t.target?.scalars == [10.5, -3])
        #expect(t.featureNames == ["a", "b=x", "b=y"])
    }

    @Test func decimalsAreStrictAndCorrectlyRounded() {
        func parse(_ text: String) -> Float? {
            (Array(text.utf8) + [0]).withUnsafeBufferPointer { parseDecimal($0.baseAddress!, count: $0.count - 1) }
        }
        let accepted: [(String, Float)] = [("0", 0), ("+1.5", 1.5), (".5", 0.5), ("1.", 1), ("1e3", 1000), ("1E-3", 0.001),
                                           ("-2.5e+2", -250), ("0.006399", 0.006399), ("16777217", 16_777_216), ("1e-50", 0)]
        for (text, value) in accepted { #expect(parse(text) == value, "\(text)") }
        #expect(parse("-0")?.sign == .minus && parse("1e50") == .infinity)
        for text in ["", "-", ".", "e5", "1e", "1e+", "inf", "nan", "NaN", "0x1p3", " 1", "1 ", "1.2.3", "1,5", "--1", "1e5.5"] {
            #expect(parse(text) == nil, "'\(text)' parsed")
        }
        // Against the C library's correctly rounded strtof, through Float(String), on random decimals.
        let rng = RandomGenerator(seed: 7)
        for _ in 0..<20_000 {
            let digits = String((0..<(1 + Int(rng.next() % 12))).map { _ in Character(String(rng.next() % 10)) })
            let point = Int(rng.next() % UInt64(digits.count + 1))
            var text = String(digits.prefix(point)) + "." + String(digits.dropFirst(point))
            if rng.next() % 2 == 0 { text += "e\(Int(rng.next() % 90) - 45)" }
            if rng.next() % 3 == 0 { text = "-" + text }
            if text.hasPrefix(".e") || text.hasPrefix("-.e") { continue }
            #expect(parse(text)?.bitPattern == Float(text)?.bitPattern, "\(text)")
        }
    }

    // MARK: - Missing values

    @Test func missingValuesAreReportedWithRowAndColumn() {
        expectDataError(["test.csv: 3 missing value(s)", "row 2 (line 3), column 2 'b'", "row 3 (line 4), column 3 'c'",
                         "row 4 (line 6), column 1 'a'", "use missing: .dropRows or .fillMean"]) {
            _ = try table("a,b,c\n1,2,3\n4,NA,6\n\"x\ny\",8,\n?,1,2\n")
        }
        expectDataError(["7 missing value(s)", "; and 2 more"]) { _ = try table("a\n1\n" + String(repeating: "?\n", count: 7)) }
    }

    @Test func dropRowsLeavesOutIncompleteRows() throws {
        let t = try table("a,b,y\n1,2,u\n?,3,v\n4,5,\n6,,w\n7,8,v\n", CSVOptions(missing: .dropRows, target: .classification("y")))
        #expect(t.droppedRowCount == 3 && t.rowCount == 2)
        #expect(t.features.scalars == [1, 2, 7, 8])
        #expect(t.classNames == ["u", "v", "w"] && t.target?.integers == [0, 1])
    }

    @Test func fillMeanImputesMeansAndMostFrequentCategories() throws {
        let t = try table("a,color,y\n1,red,0\nNaN,blue,1\n5,,0\n3,blue,1\n", CSVOptions(missing: .fillMean, target: .regression("y")))
        #expect(t.featureNames == ["a", "color=blue", "color=red"])
        #expect(t.features.scalars == [1, 0, 1, 3, 1, 0, 5, 1, 0, 3, 1, 0])
        expectDataError(["target is missing at row 2 (line 3), column 2 'y'", "not imputed"]) {
            _ = try table("a,y\n1,0\n2,\n", CSVOptions(missing: .fillMean, target: .classification("y")))
        }
        expectDataError(["column 1 'a' has no values to take the mean of"]) {
            _ = try table("a,b\n,1\nNA,2\n", CSVOptions(missing: .fillMean))
        }
    }

    @Test func missingMarkersAreConfigurable() throws {
        let t = try table("a,b\n-999,NA\n2,3\n", CSVOptions(missingMarkers: ["-999"], missing: .dropRows))
        #expect(t.columnKinds == [.numeric, .categorical(["3", "NA"])] && t.rowCount == 1)
    }

    // MARK: - Malformed files

    @Test func raggedRowsNameRowLineAndColumn() {
        expectDataError(["test.csv: row 2 (line 3) has 2 field(s) but the header has 3 columns: column 3 'c' is missing"]) {
            _ = try table("a,b,c\n1,2,3\n4,5\n")
        }
        expectDataError(["row 1 (line 2) has 1 field(s)", "columns 2 'b' to 3 'c' are missing"]) { _ = try table("a,b,c\n1\n") }
        expectDataError(["row 1 (line 4) has 4 field(s)", "column 4 holds an extra field 'extra'"]) {
            _ = try table("a,b,c\n\n\n1,2,3,extra\n")
        }
        // Line numbers count the line breaks inside quoted fields.
        expectDataError(["row 2 (line 4) has 1 field(s)"]) { _ = try table("a,b\n\"x\ny\",1\n7\n") }
    }

    @Test func emptyFileAndHeaderOnlyThrow() {
        expectDataError(["test.csv: the file is empty"]) { _ = try table("") }
        expectDataError(["the file is empty"]) { _ = try table("\n\r\n") }
        expectDataError(["the header names 3 column(s) but no data rows follow"]) { _ = try table("a,b,c\n") }
    }

    @Test func quotingErrorsThrow() {
        expectDataError(["test.csv: quoted field opened on line 3 (column 2) is never closed"]) {
            _ = try table("a,b\n1,2\n3,\"unterminated\n4,5\n")
        }
        expectDataError(["unexpected 'x' after the closing quote of column 1 on line 2"]) { _ = try table("a,b\n\"q\"x,1\n") }
    }

    @Test func targetsThatDoNotFitTheirTaskThrow() {
        expectDataError(["regression target at row 2 (line 3), column 2 'price' is 'cheap', not a number"]) {
            _ = try table("a,price\n1,2.5\n2,cheap\n3,4\n", CSVOptions(target: .regression("price")))
        }
        expectDataError(["classification target at row 1 (line 2), column 2 'y' is 0.5, not an integer class"]) {
            _ = try table("a,y\n1,0.5\n", CSVOptions(target: .classification("y")))
        }
        expectDataError(["target column 'z' not found; the columns are: a, y"]) {
            _ = try table("a,y\n1,0\n", CSVOptions(target: .classification("z")))
        }
        expectDataError(["target column 'y' is ambiguous: columns 1, 2"]) {
            _ = try table("y,y\n1,0\n", CSVOptions(target: .classification("y")))
        }
    }

    // MARK: - scikit-learn's tables

    @Test func readsScikitLearnBundledFormat() throws {
        try withScratchDirectory { dir in
            let url = try writeFile(Array("3,2,no,yes\n1.5,2,1\n3,4,0\n-1,0.5,1\n".utf8), "tiny.csv", in: dir)
            let t = try ScikitLearnCSV.read(contentsOf: url, featureNames: ["p", "q"])
            #expect(t.features.shape == [3, 2] && t.features.scalars == [1.5, 2, 3, 4, -1, 0.5])
            #expect(t.target?.integers == [1, 0, 1] && t.classNames == ["no", "yes"] && t.columnNames == ["p", "q", "target"])

            let badCount = try writeFile(Array("4,2,no,yes\n1,2,1\n".utf8), "count.csv", in: dir)
            expectDataError([badCount.path, "line 1 declares 4 samples but 1 data rows follow"]) {
                _ = try ScikitLearnCSV.read(contentsOf: badCount)
            }
            let badClass = try writeFile(Array("1,2,no,yes\n1,2,2\n".utf8), "class.csv", in: dir)
            expectDataError(["line 2: class index 2.0 is not one of 0..<2"]) { _ = try ScikitLearnCSV.read(contentsOf: badClass) }
            let ragged = try writeFile(Array("1,2,no,yes\n1,2\n".utf8), "ragged.csv", in: dir)
            expectDataError(["line 2 has 2 fields, expected 2 features and a class index"]) { _ = try ScikitLearnCSV.read(contentsOf: ragged) }
        }
    }

    @Test(.enabled(if: breastCancerInstalled, "python3-sklearn's breast_cancer.csv is not installed"))
    func readsTheRealBreastCancerTable() throws {
        let t = try BreastCancer.load()
        #expect(t.features.shape == [569, 30] && t.featureNames.count == 30)
        #expect(t.featureNames.first == "mean radius" && t.featureNames[10] == "radius error"
                && t.featureNames.last == "worst fractal dimension")
        #expect(t.classNames == ["malignant", "benign"])
        let labels = t.target!.integers
        #expect(labels.filter { $0 == 0 }.count == 212 && labels.filter { $0 == 1 }.count == 357)
        #expect(Array(t.features.scalars.prefix(4)) == [17.99, 10.38, 122.8, 1001])
    }
}
