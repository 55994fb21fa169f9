"""leadscore vs scikit-learn: same files, same split, one run, one table.

Each measured program runs as its own child process, so wall time and peak RSS (GNU time)
are comparable: leadscore's `train` (read CSV, infer schema, leak check, fit on 80% for the
holdout report and tiers, refit on all) against scikit-learn's read + fit of a matching pipeline
(median impute + missing indicator + standardise, one-hot with rare levels pooled, C=1).
Accuracy is measured by each on the same test file.

Split: rows whose id number is divisible by 5 are the test set.
Writes benchmarks/benchmark-DATE.json and benchmarks/latest.json.
"""
import json, os, platform, subprocess, sys, tempfile, time, datetime
import pandas as pd

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
LS = os.path.join(ROOT, ".build/release/leadscore")
PY = sys.executable
QUICK = "--quick" in sys.argv
WORK = tempfile.mkdtemp(prefix="leadscore-bench-")
XED = os.path.join(os.path.dirname(ROOT), "shared/datasets/xeducation-leads.csv")
XED_LEAKS = ["Tags", "Lead Quality", "Lead Profile", "Asymmetrique Activity Index", "Asymmetrique Profile Index",
             "Asymmetrique Activity Score", "Asymmetrique Profile Score", "Last Notable Activity"]

SKLEARN_CHILD = r'''
import sys, json, time
import numpy as np, pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score, log_loss
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler
train_path, test_path, target, drop = sys.argv[1], sys.argv[2], sys.argv[3], json.loads(sys.argv[4])
MISSING = ["", "NA", "N/A", "null", "none", "Select", "-"]
t0 = time.perf_counter()
df = pd.read_csv(train_path, na_values=MISSING, keep_default_na=False, dtype=str)
def prepare(df, columns=None):
    y = df[target].astype(int).values
    X = df.drop(columns=[c for c in drop + [target] if c in df.columns])
    X = X.loc[:, [c for c in X.columns if not c.startswith("Unnamed")]]
    return X, y
X, y = prepare(df)
X = X.loc[:, X.nunique(dropna=True) > 1]
numeric, categorical, booleans = [], [], []
for c in X.columns:
    vals = set(X[c].dropna().str.lower())
    if vals <= {"yes", "no"}: booleans.append(c)
    elif pd.to_numeric(X[c], errors="coerce").notna().sum() >= 0.99 * X[c].notna().sum(): numeric.append(c)
    else: categorical.append(c)
def encode(X):
    X = X.copy()
    for c in booleans: X[c] = X[c].str.lower().map({"yes": 1.0, "no": 0.0})
    for c in numeric: X[c] = pd.to_numeric(X[c], errors="coerce")
    for c in categorical: X[c] = X[c].fillna("(missing)")
    return X[numeric + booleans + categorical]
pre = ColumnTransformer([
    ("num", make_pipeline(SimpleImputer(strategy="median", add_indicator=True), StandardScaler()), numeric + booleans),
    ("cat", OneHotEncoder(min_frequency=10, handle_unknown="infrequent_if_exist"), categorical)])
model = make_pipeline(pre, LogisticRegression(C=1.0, max_iter=5000))
model.fit(encode(X), y)
fit_seconds = time.perf_counter() - t0
test = pd.read_csv(test_path, na_values=MISSING, keep_default_na=False, dtype=str)
Xt, yt = prepare(test)
t1 = time.perf_counter()
p = model.predict_proba(encode(Xt[X.columns]))[:, 1]
predict_seconds = time.perf_counter() - t1
print(json.dumps({"fit_seconds": fit_seconds, "predict_rows_per_s": len(yt) / predict_seconds,
                  "auc": roc_auc_score(yt, p), "log_loss": log_loss(yt, p)}))
'''


def run_rss(cmd):
    """Runs a child; returns (stdout, wall seconds, peak RSS MiB).

    Peak RSS comes from GNU time wrapped around the command: a child forked straight from this
    Python process would count the parent's pages (pandas frames) in its own maximum RSS.
    """
    start = time.perf_counter()
    proc = subprocess.run(["/usr/bin/time", "-f", "MAXRSS %M"] + cmd, capture_output=True, text=True)
    wall = time.perf_counter() - start
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed ({proc.returncode}):\n{proc.stderr[-2000:]}")
    rss = [l for l in proc.stderr.splitlines() if l.startswith("MAXRSS ")][-1].split()[1]
    return proc.stdout, wall, int(rss) / 1024


def split(path, id_column, name):
    df = pd.read_csv(path, dtype=str, keep_default_na=False)
    number = df[id_column].str.extract(r"(\d+)$")[0].astype(int)
    test = number % 5 == 0
    train_path, test_path = os.path.join(WORK, f"{name}-train.csv"), os.path.join(WORK, f"{name}-test.csv")
    df[~test].to_csv(train_path, index=False)
    df[test].to_csv(test_path, index=False)
    return train_path, test_path, int((~test).sum()), int(test.sum())


def bench(name, path, id_column, target, drop):
    train_path, test_path, n_train, n_test = split(path, id_column, name)
    model = os.path.join(WORK, f"{name}.json")
    args = [LS, "train", "--data", train_path, "--target", target, "--out", model]
    if drop: args += ["--drop", ",".join(drop)]
    _, fit_s, fit_rss = run_rss(args)
    ev, _, _ = run_rss([LS, "evaluate", "--model", model, "--data", test_path, "--json"])
    ev = json.loads(ev)
    _, pred_s, pred_rss = run_rss([LS, "predict", "--model", model, "--data", test_path, "--out", os.path.join(WORK, "s.csv")])
    _, pred0_s, _ = run_rss([LS, "predict", "--model", model, "--data", test_path, "--out", os.path.join(WORK, "s.csv"), "--reasons", "0"])
    sk_out, sk_wall, sk_rss = run_rss([PY, "-c", SKLEARN_CHILD, train_path, test_path, target, json.dumps(drop + [id_column])])
    sk = json.loads(sk_out)
    return {
        "dataset": name, "train_rows": n_train, "test_rows": n_test,
        "leadscore": {"train_seconds": fit_s, "train_peak_rss_mib": fit_rss, "predict_rows_per_s": n_test / pred_s,
                      "predict_rows_per_s_no_reasons": n_test / pred0_s, "predict_peak_rss_mib": pred_rss,
                      "auc": ev["auc"], "log_loss": ev["logLoss"]},
        "sklearn": {"train_seconds": sk["fit_seconds"], "process_seconds": sk_wall, "peak_rss_mib": sk_rss,
                    "predict_rows_per_s": sk["predict_rows_per_s"], "auc": sk["auc"], "log_loss": sk["log_loss"]},
    }


def main():
    results = []
    sample = os.path.join(ROOT, "datasets/sample-leads.csv")
    dates = ["created_date", "last_activity_date"]  # leadscore leaves dates out; so must the peer
    results.append(bench("sample (5k)", sample, "lead_id", "converted", dates))
    if os.path.exists(XED):
        results.append(bench("xeducation (no leaks)", XED, "Lead Number", "Converted", XED_LEAKS + ["Prospect ID"]))
    else:
        print(f"skipping X Education: {XED} absent")
    big = {}
    if not QUICK:
        synth = os.path.join(WORK, "synthetic-1m.csv")
        _, gen_s, gen_rss = run_rss([LS, "generate", "--leads", "1000000", "--seed", "11", "--out", synth])
        big["generate_1m"] = {"seconds": gen_s, "peak_rss_mib": gen_rss}
        results.append(bench("synthetic (1M)", synth, "lead_id", "converted", dates))
        # Streaming: score a ~1 GB file and record peak memory.
        gb = os.path.join(WORK, "synthetic-8m.csv")
        run_rss([LS, "generate", "--leads", "8000000", "--seed", "12", "--out", gb])
        model = os.path.join(WORK, "synthetic (1M).json")
        _, s, rss = run_rss([LS, "predict", "--model", model, "--data", gb, "--out", os.path.join(WORK, "s8.csv"), "--reasons", "0"])
        big["predict_1gb"] = {"file_mib": os.path.getsize(gb) / 2**20, "seconds": s, "rows_per_s": 8e6 / s, "peak_rss_mib": rss}
        for f in (gb, os.path.join(WORK, "s8.csv")): os.remove(f)

    print("train s: leadscore = whole `train` command (read, infer, leak check, holdout fit, refit); sklearn = process (imports, read, fit).")
    print("pred rows/s: leadscore = `predict` CSV to CSV with reasons (whole process); sklearn = predict_proba in memory.")
    head = f"{'dataset':24} {'tool':10} {'train s':>8} {'ratio':>6} {'pred rows/s':>12} {'peak MiB':>9} {'AUC':>7} {'log loss':>9}"
    print(head); print("-" * len(head))
    for r in results:
        ls, sk = r["leadscore"], r["sklearn"]
        print(f"{r['dataset']:24} {'leadscore':10} {ls['train_seconds']:8.2f} {ls['train_seconds'] / sk['process_seconds']:6.2f} "
              f"{ls['predict_rows_per_s']:12,.0f} {ls['train_peak_rss_mib']:9.0f} {ls['auc']:7.4f} {ls['log_loss']:9.4f}")
        print(f"{'':24} {'sklearn':10} {sk['process_seconds']:8.2f} {'1.00':>6} {sk['predict_rows_per_s']:12,.0f} {sk['peak_rss_mib']:9.0f} {sk['auc']:7.4f} {sk['log_loss']:9.4f}")
    for k, v in big.items(): print(k, json.dumps(v))
    machine = {"cpu": platform.processor() or platform.machine(), "cores": os.cpu_count(),
               "python": platform.python_version(), "platform": platform.platform()}
    try:
        machine["cpu"] = next(l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name"))
    except Exception:
        pass
    import sklearn
    doc = {"date": datetime.date.today().isoformat(), "machine": machine, "sklearn": sklearn.__version__,
           "notes": "train seconds: leadscore = whole `train` command (read, infer, leak check, holdout fit, refit); "
                    "sklearn = python process wall (imports, read, fit, predict). ratio = leadscore / sklearn.",
           "results": results, "large": big}
    os.makedirs(os.path.join(ROOT, "benchmarks"), exist_ok=True)
    for name in (f"benchmark-{doc['date']}.json", "latest.json"):
        with open(os.path.join(ROOT, "benchmarks", name), "w") as f: json.dump(doc, f, indent=2)
    print(f"saved benchmarks/latest.json")


main()
