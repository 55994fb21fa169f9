"""Golden TreeSHAP contributions of LightGBM, for Tests/LeadScoringTests/GoldenCalibrationAndSHAPTests.swift.

Same fixed dataset and settings as scripts/golden/lightgbm_small.py (the data of
BoostingTests.testMatchesLightGBMOnASmallFixedDataset, where leadscore grows the same first 9
trees as LightGBM). Prints LightGBM's `predict(..., pred_contrib=True)` with the first 9 trees for
a handful of rows: one column per feature, then the expected value (bias, init score included).

Run: python scripts/golden/treeshap_lightgbm.py  (needs numpy and lightgbm)
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
booster = lgb.train(params, lgb.Dataset(X, y, params={"min_data_in_bin": 1, "feature_pre_filter": False}), num_boost_round=9)
TREES = 9

# The trees agree with leadscore's only if the data are the same: check against the literal
# committed in BoostingTests (first and a row with a missing value).
raw = booster.predict(X, raw_score=True, num_iteration=TREES)
assert abs(raw[0] - 0.25219258779841) < 1e-12 and abs(raw[4] - -1.4884575551900605) < 1e-12, raw[:5]

# TreeSHAP weighs paths by the training rows reaching each node; print the counts so they can be
# compared with leadscore's `TreeNode.count` (LightGBM 4 keeps exact counts from the partition).
dump = booster.dump_model(num_iteration=TREES)
def counts(node):
    if "leaf_index" in node:
        return [node["leaf_count"]]
    return [node["internal_count"]] + counts(node["left_child"]) + counts(node["right_child"])
print("static let lightgbmTreeCounts: [[Double]] = [")
for info in dump["tree_info"]:
    print("    " + repr([float(c) for c in counts(info["tree_structure"])]) + ",")
print("]")

# Training rows 0, 2 and 13 (no missing), 4, 24 and 45 (feature 2 missing), and two new rows:
# values between the training values (4.3, 7.6, 2.2) and one with feature 2 missing.
rows = [X[0], X[2], X[4], X[13], X[24], X[45],
        np.array([4.3, 7.6, 2.2]), np.array([9.7, 3.4, np.nan])]
rows = np.array(rows)
contrib = booster.predict(rows, pred_contrib=True, num_iteration=TREES)
margin = booster.predict(rows, raw_score=True, num_iteration=TREES)
assert np.allclose(contrib.sum(axis=1), margin, atol=1e-12)

def lit(v):
    return ".nan" if np.isnan(v) else repr(float(v))

print("static let shapRows: [[Double]] = [" + ", ".join("[" + ", ".join(lit(v) for v in r) + "]" for r in rows) + "]")
print("/// Per row: contributions of features 0, 1, 2, then the expected value (bias).")
print("static let lightgbmContributions: [[Double]] = [")
for r in contrib:
    print("    [" + ", ".join(repr(float(v)) for v in r) + "],")
print("]")
print("static let lightgbmMargins: [Double] = [" + ", ".join(repr(float(v)) for v in margin) + "]")
print(f"# lightgbm {lgb.__version__}, numpy {np.__version__}")
