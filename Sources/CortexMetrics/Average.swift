// How per-class scores are combined into one number, shared by precision/recall/F1, ROC AUC and
// average precision (scikit-learn's `average=` argument).
import CortexCore

/// How per-class scores are combined; scikit-learn's `average` argument.
public enum Average: Sendable, Hashable {
    /// Only the class `positiveLabel`, for a problem with at most two labels (`average='binary'`,
    /// `pos_label=`). Labels other than the two present are an error, so a multiclass problem throws.
    case binary(positiveLabel: Int)
    /// Pool the counts of all classes, then compute the metric once.
    case micro
    /// The unweighted mean of the per-class scores: every class counts the same, however rare.
    case macro
    /// The mean of the per-class scores weighted by support (the number of true samples of the class).
    case weighted

    /// The `average=` spelling scikit-learn uses, for messages.
    var name: String {
        switch self {
        case .binary(let label): "binary(positiveLabel: \(label))"
        case .micro: "micro"
        case .macro: "macro"
        case .weighted: "weighted"
        }
    }
}
