"""Golden predictions of LightGBM on a small fixed dataset, for Tests/LeadScoringTests/BoostingTests.swift.

Integer features with few distinct values, so both libraries bin every value apart
(min_data_in_bin=1) and grow the same trees. Run: python scripts/golden/lightgbm_small.py
"""
import numpy as np
import lightgbm as lgb

rng = np.random.RandomState(3)
n = 120
X = rng.randint(0, 12, size=(n, 3)).astype(float)
X[rng.uniform(size=n) < 0.1, 2] = np.nan  # missing values in feature 2
logit = 0.5 * (X[:, 0] - 6) * (X[:, 1] > 5) - 0.3 * np.nan_to_num(X[:, 2], nan=8) + 1.5
y = (rng.uniform(size=n) < 1 / (1 + np.exp(-logit))).astype(int)
params = dict(objective="binary", num_leaves=4, learning_rate=0.3, min_data_in_leaf=5, lambda_l2=1.0,
              min_sum_hessian_in_leaf=1e-3, min_data_in_bin=1, max_bin=255, feature_pre_filter=False,
              bagging_fraction=1.0, feature_fraction=1.0, verbose=-1, num_threads=1, deterministic=True)
booster = lgb.train(params, lgb.Dataset(X, y, params={"min_data_in_bin": 1, "feature_pre_filter": False}), num_boost_round=10)
print("X =", [[None if np.isnan(v) else v for v in row] for row in X.tolist()])
print("y =", y.tolist())
# Tree 10 splits a 70-row leaf leaving 4 rows on one side although min_data_in_leaf=5: LightGBM 4
# estimates leaf counts from hessian sums. leadscore counts rows exactly, so the tests compare
# the first 9 trees, where both grow identical trees.
print("raw9 =", booster.predict(X, raw_score=True, num_iteration=9).tolist())
