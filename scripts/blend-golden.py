"""Golden numbers for Tests/LeadScoringTests/Models/BlendTests.swift: the stacking blend's
weights on a small synthetic out-of-fold set, fitted by scikit-learn's LogisticRegression with
its defaults (C=1, L2, intercept not penalised) on the two learners' logits.

    scripts/.venv/bin/python scripts/blend-golden.py
"""
import numpy as np
from sklearn.linear_model import LogisticRegression

rng = np.random.default_rng(7)
n = 60
y = (rng.random(n) < 0.4).astype(float)
signal = rng.normal(size=n) + 1.2 * (y - 0.4)
trees = np.round(1 / (1 + np.exp(-(1.5 * signal + 0.6 * rng.normal(size=n) - 0.4))), 4)
logistic = np.round(1 / (1 + np.exp(-(1.0 * signal + 0.9 * rng.normal(size=n) - 0.3))), 4)
logit = lambda p: np.log(p / (1 - p))
x = np.column_stack([logit(trees), logit(logistic)])
m = LogisticRegression(tol=1e-12, max_iter=10_000).fit(x, y)
print("y:", ", ".join(str(int(v)) for v in y))
print("trees:", ", ".join(f"{v:.4f}" for v in trees))
print("logistic:", ", ".join(f"{v:.4f}" for v in logistic))
print(f"intercept {m.intercept_[0]:.10f} treesWeight {m.coef_[0][0]:.10f} logisticWeight {m.coef_[0][1]:.10f}")
