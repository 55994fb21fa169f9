"""Golden holdout AUC of scikit-learn's logistic regression on X Education, for the end-to-end
test in Tests/LeadScoreCLITests. Computed offline; the test needs no Python.

Split: rows whose `Lead Number` is divisible by 5 are the test set (a split any program can
reproduce without sharing random state). Leaking columns (see ../shared/datasets/README.md) are
dropped. The pipeline mirrors leadscore's encoder: numbers and booleans median-imputed with a
missing indicator and standardised; categoricals one-hot with levels seen fewer than 10 times
pooled, missing as its own level; C=1 (leadscore's default L2 = 1).

Run: python scripts/golden/x_education_logistic.py ../shared/datasets/xeducation-leads.csv
"""
import sys
import numpy as np
import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score, log_loss
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

LEAKS = ["Tags", "Lead Quality", "Lead Profile", "Asymmetrique Activity Index", "Asymmetrique Profile Index",
         "Asymmetrique Activity Score", "Asymmetrique Profile Score", "Last Notable Activity"]
MISSING = ["", "NA", "N/A", "null", "none", "Select", "-"]

df = pd.read_csv(sys.argv[1], na_values=MISSING, keep_default_na=False, dtype=str)
df = df.loc[:, [c for c in df.columns if not c.startswith("Unnamed")]]
y = df["Converted"].astype(int).values
test = df["Lead Number"].astype(int).values % 5 == 0
X = df.drop(columns=["Prospect ID", "Lead Number", "Converted"] + LEAKS)
X = X.loc[:, X.nunique(dropna=True) > 1]
numeric, categorical = [], []
for c in X.columns:
    values = set(X[c].dropna().str.lower())
    if values <= {"yes", "no"}:
        X[c] = X[c].str.lower().map({"yes": 1.0, "no": 0.0})
        numeric.append(c)
    elif pd.to_numeric(X[c], errors="coerce").notna().sum() == X[c].notna().sum():
        X[c] = pd.to_numeric(X[c])
        numeric.append(c)
    else:
        X[c] = X[c].fillna("(missing)")
        categorical.append(c)
pre = ColumnTransformer([
    ("num", make_pipeline(SimpleImputer(strategy="median", add_indicator=True), StandardScaler()), numeric),
    ("cat", OneHotEncoder(min_frequency=10, handle_unknown="infrequent_if_exist"), categorical),
])
model = make_pipeline(pre, LogisticRegression(C=1.0, max_iter=5000, tol=1e-10))
model.fit(X[~test], y[~test])
p = model.predict_proba(X[test])[:, 1]
print(f"test rows {test.sum()}, train rows {(~test).sum()}")
print(f"sklearn logistic AUC {roc_auc_score(y[test], p)!r} log loss {log_loss(y[test], p)!r}")
