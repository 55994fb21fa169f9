import Foundation

/// The kinds of model a model file can hold. Adding one = a case here, a case in `Predictor`,
/// and its fitted type conforming to `Classifier`.
public enum ModelKind: String, Codable, Sendable {
    case logistic
    case gbdt

    /// How people call it: "logistic regression", "boosted trees".
    public var description: String { self == .logistic ? "logistic regression" : "boosted trees" }
}

/// The fitted learner inside a model file.
public enum Predictor: Sendable, Equatable {
    case logistic(LogisticModel)
    case gbdt(BoostedTrees)

    public var kind: ModelKind {
        switch self {
        case .logistic: return .logistic
        case .gbdt: return .gbdt
        }
    }

    /// Newton iterations (logistic) or trees (boosting).
    public var iterations: Int {
        switch self {
        case let .logistic(m): return m.iterations
        case let .gbdt(m): return m.trees.count
        }
    }

    public var classifier: any Classifier {
        switch self {
        case let .logistic(m): return m
        case let .gbdt(m): return m
        }
    }
}
