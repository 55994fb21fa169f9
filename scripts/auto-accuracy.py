"""Holdout accuracy of `leadscore train` (default `--model auto`) against LightGBM, XGBoost,
HistGradientBoosting and logistic regression, all with their DEFAULT settings, on the same
split (rows whose id number is divisible by 5 are the test set, as scripts/benchmark.py splits).
leadscore trains on the train file (its own holdout is inside it) and `evaluate` measures the
test file.

    scripts/.venv/bin/python scripts/auto-accuracy.py --leadscore A=path/to/leadscore [--leadscore B=other] \
        [--telecom telecom.csv] [--work DIR]
"""
import argparse, json, os, subprocess, sys
import numpy as np, pandas as pd
from sklearn.metrics import roc_auc_score, log_loss

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
XED = os.path.join(os.path.dirname(ROOT), "shared/datasets/xeducation-leads.csv")
if not os.path.exists(XED): XED = "/work/shared/datasets/xeducation-leads.csv"
XED_LEAKS = ["Tags", "Lead Quality", "Lead Profile", "Asymmetrique Activity Index", "Asymmetrique Profile Index",
             "Asymmetrique Activity Score", "Asymmetrique Profile Score", "Last Notable Activity"]
MISSING = ["", "NA", "N/A", "null", "none", "Select", "-"]

def split(path, id_column, name, work):
    df = pd.read_csv(path, dtype=str, keep_default_na=False)
    test = df[id_column].str.extract(r"(\d+)$")[0].astype(int) % 5 == 0
    paths = [os.path.join(work, f"{name}-{part}.csv") for part in ("train", "test")]
    df[~test].to_csv(paths[0], index=False)
    df[test].to_csv(paths[1], index=False)
    return paths

def frames(train, test, target, drop):
    def load(p):
        df = pd.read_csv(p, na_values=MISSING, keep_default_na=False)
        y = df[target].astype(str).str.lower().isin(["1", "true", "yes"]).astype(int).values
        return df.drop(columns=[c for c in drop + [target] if c in df.columns]), y
    (X, y), (T, yt) = load(train), load(test)
    X = X.loc[:, X.nunique(dropna=True) > 1]
    T = T[X.columns]
    cats = [c for c in X.columns if not pd.api.types.is_numeric_dtype(X[c])]
    return X, y, T, yt, cats

def peers(X, y, T, yt, cats):
    import lightgbm as lgb, xgboost as xgb
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.compose import ColumnTransformer
    from sklearn.impute import SimpleImputer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import OneHotEncoder, StandardScaler
    levels = {c: sorted(X[c].dropna().unique()) for c in cats}
    def categorical(D):
        D = D.copy()
        # Levels unseen in training become missing, as every peer treats them.
        for c in cats: D[c] = pd.Categorical(D[c].where(D[c].isin(levels[c])), categories=levels[c])
        return D
    Xc, Tc = categorical(X), categorical(T)
    out = {}
    out["LightGBM (defaults)"] = lgb.LGBMClassifier(verbose=-1).fit(Xc, y).predict_proba(Tc)[:, 1]
    out["XGBoost (defaults)"] = xgb.XGBClassifier(enable_categorical=True).fit(Xc, y).predict_proba(Tc)[:, 1]
    out["HistGradientBoosting (defaults)"] = HistGradientBoostingClassifier(categorical_features="from_dtype").fit(Xc, y).predict_proba(Tc)[:, 1]
    num = [c for c in X.columns if c not in cats]
    def text(D):
        D = D.copy()
        for c in cats: D[c] = D[c].fillna("(missing)").astype(str)
        return D
    lr = make_pipeline(ColumnTransformer([
        ("num", make_pipeline(SimpleImputer(strategy="median", add_indicator=True), StandardScaler()), num),
        ("cat", OneHotEncoder(handle_unknown="ignore"), cats)]), LogisticRegression(max_iter=5000))
    out["LogisticRegression (defaults, scaled + one-hot)"] = lr.fit(text(X), y).predict_proba(text(T))[:, 1]
    return {k: (roc_auc_score(yt, p), log_loss(yt, p)) for k, p in out.items()}

def leadscore(binary, train, test, target, drop, work, label):
    model = os.path.join(work, f"{label}-{os.path.basename(train)}.json")
    cmd = [binary, "train", "--data", train, "--target", target, "--out", model]
    if drop: cmd += ["--drop", ",".join(drop)]
    p = subprocess.run(cmd, capture_output=True, text=True)
    if p.returncode != 0: sys.exit(f"{' '.join(cmd)}: {p.stderr[-2000:]}")
    chose = [l.strip() for l in p.stdout.splitlines() if "--model auto" in l]
    e = subprocess.run([binary, "evaluate", "--model", model, "--data", test, "--json"], capture_output=True, text=True)
    if e.returncode != 0: sys.exit(e.stderr[-2000:])
    r = json.loads(e.stdout)
    r = r.get("report", r)
    return (r["auc"], r["logLoss"]), chose

def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--leadscore", action="append", required=True, help="LABEL=binary")
    ap.add_argument("--telecom")
    ap.add_argument("--work", default="/tmp/auto-accuracy")
    ap.add_argument("--only", help="one data set: sample, xeducation or telecom")
    a = ap.parse_args()
    os.makedirs(a.work, exist_ok=True)
    sets = [("sample", os.path.join(ROOT, "datasets/sample-leads.csv"), "lead_id", "converted", ["created_date", "last_activity_date"]),
            ("xeducation", XED, "Lead Number", "Converted", XED_LEAKS + ["Prospect ID"])]
    if a.telecom: sets.append(("telecom", a.telecom, "customer_id", "churn", []))
    if a.only: sets = [s for s in sets if s[0] == a.only]
    rows = []
    for name, path, idc, target, drop in sets:
        train, test = split(path, idc, name, a.work)
        for spec in a.leadscore:
            label, binary = spec.split("=", 1)
            (auc, ll), chose = leadscore(binary, train, test, target, drop + [idc], a.work, label)
            rows.append((name, f"leadscore {label}", auc, ll))
            for c in chose: print(f"  [{name} / {label}] {c}", file=sys.stderr)
        for k, (auc, ll) in peers(*frames(train, test, target, drop + [idc])).items():
            rows.append((name, k, auc, ll))
    print("| data | model | test ROC AUC | test log loss |\n|---|---|---|---|")
    for r in rows: print(f"| {r[0]} | {r[1]} | {r[2]:.4f} | {r[3]:.4f} |")

main()
