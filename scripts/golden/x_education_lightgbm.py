"""Golden holdout AUC of LightGBM on X Education for Tests/LeadScoreCLITests (computed offline).

Same split as x_education_logistic.py (test = Lead Number divisible by 5), leaking columns dropped,
categoricals as pandas categories (LightGBM's native categorical splits), the README's reference
settings: 300 trees, learning rate 0.05, 31 leaves.
Run: python scripts/golden/x_education_lightgbm.py ../shared/datasets/xeducation-leads.csv
"""
import sys
import lightgbm as lgb
import pandas as pd
from sklearn.metrics import roc_auc_score, log_loss

LEAKS = ["Tags", "Lead Quality", "Lead Profile", "Asymmetrique Activity Index", "Asymmetrique Profile Index",
         "Asymmetrique Activity Score", "Asymmetrique Profile Score", "Last Notable Activity"]
df = pd.read_csv(sys.argv[1], na_values=["", "NA", "N/A", "null", "none", "Select", "-"], keep_default_na=False)
test = df["Lead Number"] % 5 == 0
y = df["Converted"].values
X = df.drop(columns=LEAKS + ["Prospect ID", "Lead Number", "Converted"])
X = X.loc[:, [c for c in X.columns if not c.startswith("Unnamed")]]
for c in X.columns:
    if not pd.api.types.is_numeric_dtype(X[c]):
        if set(X[c].dropna().unique()) <= {"Yes", "No"}:
            X[c] = X[c].map({"Yes": 1, "No": 0})
        else:
            X[c] = X[c].astype("category")
m = lgb.LGBMClassifier(n_estimators=300, learning_rate=0.05, num_leaves=31, verbose=-1).fit(X[~test], y[~test])
p = m.predict_proba(X[test])[:, 1]
print(f"LightGBM {lgb.__version__} AUC {roc_auc_score(y[test], p)!r} log loss {log_loss(y[test], p)!r}")
