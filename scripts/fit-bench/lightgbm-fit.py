"""LightGBM's side of fit-bench: the same rows (the first 80% of labelled rows in file order),
the same settings, and only `fit` timed.

    scripts/.venv/bin/python scripts/fit-bench/lightgbm-fit.py DATA.csv TARGET [DROP,COLS] [REPEATS]

Categorical columns become pandas categoricals (as scripts/benchmark.py's PEER code does);
prints one JSON line per fit: fit seconds and holdout ROC AUC / log loss.
"""
import json, sys, time
import pandas as pd
import lightgbm as lgb
from sklearn.metrics import roc_auc_score, log_loss

path, target = sys.argv[1], sys.argv[2]
drop = [c for c in (sys.argv[3].split(",") if len(sys.argv) > 3 else []) if c]
repeats = int(sys.argv[4]) if len(sys.argv) > 4 else 1
MISSING = ["", "NA", "N/A", "null", "none", "Select", "-"]
df = pd.read_csv(path, na_values=MISSING, keep_default_na=False)
df = df[df[target].notna()]
y = df[target].astype(int).values
X = df.drop(columns=[c for c in drop + [target] if c in df.columns])
X = X.loc[:, [c for c in X.columns if not c.startswith("Unnamed")]]
n_train = int(round(len(X) * 0.8))
cats = []
for c in X.columns:
    if not pd.api.types.is_numeric_dtype(X[c]):
        if set(X[c].dropna().unique()) <= {"Yes", "No"}: X[c] = X[c].map({"Yes": 1.0, "No": 0.0})
        else: cats.append(c)
for c in cats:
    X[c] = pd.Categorical(X[c], categories=sorted(X[c].iloc[:n_train].dropna().unique()))
Xt, yt, Xh, yh = X.iloc[:n_train], y[:n_train], X.iloc[n_train:], y[n_train:]
for _ in range(repeats):
    t0 = time.perf_counter()
    model = lgb.LGBMClassifier(n_estimators=300, learning_rate=0.1, num_leaves=31, n_jobs=2, verbose=-1).fit(Xt, yt)
    seconds = time.perf_counter() - t0
    p = model.predict_proba(Xh)[:, 1]
    print(json.dumps({"tool": "lightgbm", "rows": n_train, "fit_seconds": round(seconds, 3),
                      "holdout_auc": round(roc_auc_score(yh, p), 6), "holdout_log_loss": round(log_loss(yh, p), 6)}), flush=True)
