// Tables as a newcomer hands them over: identifier columns, nan/inf cells, targets whose task must be
// guessed, and later tables read with the schema a model was trained on.
import Foundation
import Testing
import Cortex

private func table(_ text: String, _ options: CSVOptions = CSVOptions(), schema: CSVSchema? = nil) throws -> CSVTable {
    try CSVTable.parse(Data(text.utf8), path: "t.csv", schema: schema, options: options)
}

@Suite("CSV schema and hostile tables")
struct CSVSchemaTests {
    @Test func highCardinalityColumnsAreDroppedNotOneHotEncoded() throws {
        // 80,000 distinct strings in about 1 MB: one-hot would be 80,000 × 80,000 floats (25.6 GB).
        var text = "id,x,label\n"
        for i in 0..<80_000 { text += "user\(i),\(i % 7),\(i % 2)\n" }
        let t = try table(text, CSVOptions(target: .classification("label")))
        #expect(t.features.shape == [80_000, 1] && t.featureNames == ["x"])
        guard case .dropped(let reason) = t.columnKinds[0] else { Issue.record("id was kept: \(t.columnKinds[0])"); return }
        #expect(reason.contains("80000 distinct values"))
        #expect(t.notes.contains { $0.contains("'id' left out") })
        // A column with few categories is still one-hot encoded, and maxCategories is the user's to raise.
        let small = try table("c,y\na,1\nb,2\na,3\n", CSVOptions(target: .regression("y")))
        #expect(small.featureNames == ["c=a", "c=b"])
        let manyRows = (0..<400).map { "k\($0 % 150),\($0)" }.joined(separator: "\n")
        #expect(try table("k,y\n" + manyRows, CSVOptions(target: .regression("y"))).featureNames.isEmpty)
        #expect(try table("k,y\n" + manyRows, CSVOptions(target: .regression("y"), maxCategories: 200)).featureNames.count == 150)
    }

    @Test func nanAndInfAreMissingValuesNotCategories() throws {
        let text = "a,b,y\n1,2,0\nnan,3,1\n4,inf,0\n5,-Inf,1\n6,NAN,0\n7,8,1\n"
        let error = #expect(throws: DataError.self) { _ = try table(text, CSVOptions(target: .classification("y"))) }
        #expect(error?.description.contains("4 missing value(s)") == true && error?.description.contains("nan and inf") == true,
                "\(String(describing: error))")
        let dropped = try table(text, CSVOptions(missing: .dropRows, target: .classification("y")))
        #expect(dropped.columnKinds[0] == .numeric && dropped.columnKinds[1] == .numeric)
        #expect(dropped.featureNames == ["a", "b"] && dropped.rowCount == 2 && dropped.droppedRowCount == 4)
        let filled = try table(text, CSVOptions(missing: .fillMean, target: .classification("y")))
        #expect(filled.features.shape == [6, 2])
        #expect(filled.features.scalars[2] == Float(1 + 4 + 5 + 6 + 7) / 5)   // row 2's a: the mean of the five numbers
    }

    @Test func inferredTargetsChooseTheTaskAPersonWould() throws {
        let labels = try table("x,y\n1,cat\n2,dog\n3,cat\n", CSVOptions(target: .inferred("y")))
        #expect(labels.target?.dtype == .int64 && labels.classNames == ["cat", "dog"])
        let fewIntegers = try table("x,y\n1,0\n2,1\n3,2\n4,1\n", CSVOptions(target: .inferred("y")))
        #expect(fewIntegers.target?.dtype == .int64 && fewIntegers.notes.contains { $0.contains("classification") })
        let scores = (0..<200).map { "\($0),\(($0 * 37) % 101)" }.joined(separator: "\n")
        let manyIntegers = try table("x,score\n" + scores, CSVOptions(target: .inferred("score")))
        #expect(manyIntegers.target?.dtype == .float32)
        #expect(manyIntegers.notes.contains { $0.contains("regression") && $0.contains("101 distinct whole numbers") })
        let fractions = try table("x,y\n1,0.5\n2,1.5\n", CSVOptions(target: .inferred("y")))
        #expect(fractions.target?.dtype == .float32)
    }

    @Test func aSchemaReadsLaterTablesTheSameWay() throws {
        let train = try table("size,colour,label\n1,red,up\n2,blue,down\n3,green,up\n", CSVOptions(target: .classification("label")))
        let schema = train.schema
        #expect(schema.featureNames == ["size", "colour=blue", "colour=green", "colour=red"] && schema.classNames == ["down", "up"])
        // Columns in another order, an extra column, a subset and an unseen category, the target present.
        let later = try table("extra,label,colour,size\nz,down,red,5\nz,up,purple,6\n", schema: schema)
        #expect(later.featureNames == schema.featureNames)
        #expect(later.features.scalars == [5, 0, 0, 1, 6, 0, 0, 0])
        #expect(later.target?.integers == [0, 1])
        #expect(later.notes.contains { $0.contains("'extra'") } && later.notes.contains { $0.contains("not seen in training") })
        // Prediction passes over a target column, even with a label the model never saw, and says nothing of it.
        let passedOver = try CSVTable.parse(Data("label,colour,size\nzebra,red,5\n".utf8), schema: schema, readingTarget: false)
        #expect(passedOver.target == nil && passedOver.features.scalars == [5, 0, 0, 1] && passedOver.notes.isEmpty)
        // Without the target column (prediction), the target is simply absent.
        let inputs = try table("size,colour\n7,blue\n", schema: schema)
        #expect(inputs.target == nil && inputs.features.scalars == [7, 1, 0, 0])
        // A schema survives JSON, as it does inside a run's config.json.
        let decoded = try JSONDecoder().decode(CSVSchema.self, from: JSONEncoder().encode(schema))
        #expect(decoded == schema)
    }

    @Test func unknownLabelsAreAnErrorNeverAClass() throws {
        let schema = try table("x,label\n1,cat\n2,dog\n", CSVOptions(target: .classification("label"))).schema
        let error = #expect(throws: DataError.self) { _ = try table("x,label\n1,dog\n2,zebra\n3,cat\n4,emu\n", schema: schema) }
        #expect(error?.description.contains("2 label(s) are not among the 2 classes") == true, "\(String(describing: error))")
        #expect(error?.description.contains("'zebra' at row 2 (line 3)") == true)
        let numeric = try table("x,label\n1,0\n2,1\n", CSVOptions(target: .classification("label"))).schema
        #expect(try table("x,label\n1,1.0\n2,0\n", schema: numeric).target?.integers == [1, 0])
        #expect(throws: DataError.self) { _ = try table("x,label\n1,7\n", schema: numeric) }
    }

    @Test func aSchemaColumnMissingOrHoldingTextIsAnError() throws {
        let schema = try table("a,b,y\n1,2,3\n", CSVOptions(target: .regression("y"))).schema
        let missing = #expect(throws: DataError.self) { _ = try table("a,y\n1,2\n", schema: schema) }
        #expect(missing?.description.contains("lacks column(s) the model was trained on: 'b'") == true)
        let text = #expect(throws: DataError.self) { _ = try table("a,b\n1,two\n", schema: schema) }
        #expect(text?.description.contains("'two'") == true)
    }

    @Test func aSchemaFromAFileIsCheckedBeforeUse() throws {
        let good = try table("c,y\na,1\nb,2\n", CSVOptions(target: .classification("y"))).schema
        var outOfRange = good
        outOfRange.features[0].fill = 7        // would index past the one-hot block
        var duplicated = good
        duplicated.classNames = ["1", "1"]
        var notFinite = good
        notFinite.features[0].fill = .nan
        for (schema, fragment) in [(outOfRange, "not one of its 2 categories"), (duplicated, "class '1' twice"), (notFinite, "is nan")] {
            let error = #expect(throws: DataError.self) { _ = try table("c,y\na,1\n", schema: schema) }
            #expect(error?.description.contains(fragment) == true, "\(String(describing: error))")
        }
    }
}
