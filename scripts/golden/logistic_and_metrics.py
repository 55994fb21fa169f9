"""Golden values for the Swift tests, computed offline with scikit-learn.

Run: python scripts/golden/logistic_and_metrics.py  (needs numpy and scikit-learn)
The printed literals are committed in Tests/LeadScoringTests/GoldenTests.swift; the tests do
not need Python.
"""
import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score, average_precision_score, log_loss, brier_score_loss

# A fixed small dataset: 40 rows, 3 features, deterministic.
rng = np.random.RandomState(7)
X = np.round(rng.normal(size=(40, 3)), 3)
logit = 0.8 * X[:, 0] - 1.2 * X[:, 1] + 0.3 * X[:, 2] - 0.2
y = (np.round(rng.uniform(size=40), 3) < 1 / (1 + np.exp(-logit))).astype(int)
print("X =", X.tolist())
print("y =", y.tolist())
for C, cw in [(1.0, None), (0.25, None), (1.0, "balanced")]:
    m = LogisticRegression(C=C, class_weight=cw, solver="newton-cholesky", tol=1e-14, max_iter=1000).fit(X, y)
    print(f"C={C} class_weight={cw}: coef={m.coef_[0].tolist()} intercept={m.intercept_[0]!r}")

# Metrics with ties.
scores = [0.9, 0.8, 0.8, 0.7, 0.6, 0.6, 0.6, 0.4, 0.3, 0.3, 0.2, 0.1]
labels = [1,   1,   0,   1,   0,   1,   0,   0,   1,   0,   0,   0]
print("auc", repr(roc_auc_score(labels, scores)))
print("ap", repr(average_precision_score(labels, scores)))
print("logloss", repr(log_loss(labels, scores)))
print("brier", repr(brier_score_loss(labels, scores)))
