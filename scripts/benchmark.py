"""leadscore against scikit-learn, LightGBM and XGBoost: same files, same split, one run.

Every measured program runs as its own process under GNU time (wall seconds, peak RSS).
Fit seconds: leadscore's `finalFit` phase from `train --json` (encode + bin + fit on the whole
training file, as a peer's fit), the peers' `fit()` timed in-process. Also reported: leadscore's
whole `train` command (read, infer, leak check, holdout fit, refit), the user's real wait.
Predict rows/s, in memory: leadscore's LeadScorer on leads already read and encoded (binning,
the trees, probabilities and tiers; scripts/predict-bench, best of 5; also reported: the score
phase `predict` prints), the peers' predict_proba on a frame already read. CSV to CSV: leadscore's `predict --reasons 0` as a whole
process and from reading to writing (its phase times: model already loaded), against LightGBM's
read_csv + predict + to_csv timed in-process (its model already in memory).

Split: rows whose id number is divisible by 5 are the test set.
Usage: python scripts/benchmark.py [--quick]  (--quick: sample and X Education only)
Writes benchmarks/benchmark-DATE.json and benchmarks/latest.json.
"""
import statistics
import datetime, json, os, platform, re, subprocess, sys, tempfile, time
import numpy as np
import pandas as pd

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
LS = os.path.join(ROOT, ".build/release/leadscore")
PREDICT_BENCH = os.path.join(ROOT, "scripts/predict-bench/.build/release/predict-bench")
PY = sys.executable
QUICK = "--quick" in sys.argv
WORK = tempfile.mkdtemp(prefix="leadscore-bench-")
# The work folder holds GB-sized generated files and a split copy of the X Education export:
# removed when the run ends, unless LEADSCORE_BENCH_KEEP is set (to look at them).
if not os.environ.get("LEADSCORE_BENCH_KEEP") and __name__ == "__main__":
    import atexit, shutil
    atexit.register(shutil.rmtree, WORK, True)
XED = os.path.join(os.path.dirname(ROOT), "shared/datasets/xeducation-leads.csv")
XED_LEAKS = ["Tags", "Lead Quality", "Lead Profile", "Asymmetrique Activity Index", "Asymmetrique Profile Index",
             "Asymmetrique Activity Score", "Asymmetrique Profile Score", "Last Notable Activity"]
MISSING = ["", "NA", "N/A", "null", "none", "Select", "-"]

PEER = r'''
import json, sys, time
import numpy as np, pandas as pd
from sklearn.metrics import roc_auc_score, log_loss
tool, train_path, test_path, target, drop, trees, lr, leaves = sys.argv[1:9]
# "lightgbm-defaults" etc.: the library's own default settings (the accuracy comparison).
defaults = tool.endswith("-defaults")
tool = tool.removesuffix("-defaults")
drop, trees, lr, leaves = json.loads(drop), int(trees), float(lr), int(leaves)
MISSING = ["", "NA", "N/A", "null", "none", "Select", "-"]
def load(path):
    df = pd.read_csv(path, na_values=MISSING, keep_default_na=False)
    y = df[target].astype(int).values
    X = df.drop(columns=[c for c in drop + [target] if c in df.columns])
    return X.loc[:, [c for c in X.columns if not c.startswith("Unnamed")]], y
X, y = load(train_path)
X = X.loc[:, X.nunique(dropna=True) > 1]
cats = []
for c in X.columns:
    if not pd.api.types.is_numeric_dtype(X[c]):
        if set(X[c].dropna().unique()) <= {"Yes", "No"}: X[c] = X[c].map({"Yes": 1.0, "No": 0.0})
        else: cats.append(c)
categories = {c: sorted(X[c].dropna().unique()) for c in cats}
def prepare(X):
    X = X.copy()
    for c in X.columns:
        if c in cats: X[c] = pd.Categorical(X[c], categories=categories[c])
        elif not pd.api.types.is_numeric_dtype(X[c]): X[c] = X[c].map({"Yes": 1.0, "No": 0.0})
    return X
Xp = prepare(X)
t0 = time.perf_counter()
if tool == "sklearn-logistic":
    from sklearn.compose import ColumnTransformer
    from sklearn.impute import SimpleImputer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import OneHotEncoder, StandardScaler
    num = [c for c in X.columns if c not in cats]
    Xp = X.copy()
    for c in cats: Xp[c] = Xp[c].fillna("(missing)").astype(str)
    model = make_pipeline(ColumnTransformer([
        ("num", make_pipeline(SimpleImputer(strategy="median", add_indicator=True), StandardScaler()), num),
        ("cat", OneHotEncoder(min_frequency=10, handle_unknown="infrequent_if_exist"), cats)]),
        LogisticRegression(C=1.0, max_iter=5000))
    model.fit(Xp, y)
    def predict(T):
        T = T.copy()
        for c in T.columns:
            if c in cats: T[c] = T[c].fillna("(missing)").astype(str)
            elif not pd.api.types.is_numeric_dtype(T[c]): T[c] = T[c].map({"Yes": 1.0, "No": 0.0})
        return model.predict_proba(T)[:, 1]
elif tool == "lightgbm":
    import lightgbm as lgb
    settings = {} if defaults else dict(n_estimators=trees, learning_rate=lr, num_leaves=leaves)
    model = lgb.LGBMClassifier(n_jobs=2, verbose=-1, **settings).fit(Xp, y)
    predict = lambda T: model.predict_proba(prepare(T))[:, 1]
elif tool == "xgboost":
    import xgboost as xgb
    settings = {} if defaults else dict(n_estimators=trees, learning_rate=lr, max_leaves=leaves, max_depth=0, grow_policy="lossguide")
    model = xgb.XGBClassifier(tree_method="hist", enable_categorical=True, n_jobs=2, **settings).fit(Xp, y)
    predict = lambda T: model.predict_proba(prepare(T))[:, 1]
elif tool == "sklearn-hgb":
    from sklearn.ensemble import HistGradientBoostingClassifier
    settings = {} if defaults else dict(max_iter=trees, learning_rate=lr, max_leaf_nodes=leaves, early_stopping=False)
    model = HistGradientBoostingClassifier(categorical_features="from_dtype", **settings).fit(Xp, y)
    predict = lambda T: model.predict_proba(prepare(T))[:, 1]
fit_seconds = time.perf_counter() - t0
T, yt = load(test_path)
T = T[X.columns]
t1 = time.perf_counter()
p = predict(T)
predict_seconds = time.perf_counter() - t1
result = {"fit_seconds": fit_seconds, "predict_rows_per_s": len(yt) / predict_seconds,
          "auc": roc_auc_score(yt, p), "log_loss": log_loss(yt, p)}
if tool == "lightgbm" and not defaults:
    # CSV to CSV, as `leadscore predict` does: read, score, write.
    t2 = time.perf_counter()
    frame = pd.read_csv(test_path, na_values=MISSING, keep_default_na=False)
    frame["probability"] = predict(frame[X.columns])
    frame[[frame.columns[0], "probability"]].to_csv(test_path + ".scored.csv", index=False)
    result["csv_to_csv_rows_per_s"] = len(frame) / (time.perf_counter() - t2)
    t3 = time.perf_counter()
    pd.read_csv(train_path, na_values=MISSING, keep_default_na=False)
    result["read_csv_seconds"] = time.perf_counter() - t3
print(json.dumps(result))
'''


LAST_STDERR = [""]


def run(cmd):
    """(stdout, wall seconds, peak RSS MiB) of a child run under GNU time; its stderr is kept in
    LAST_STDERR[0]."""
    start = time.perf_counter()
    proc = subprocess.run(["/usr/bin/time", "-f", "MAXRSS %M"] + cmd, capture_output=True, text=True)
    wall = time.perf_counter() - start
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed ({proc.returncode}):\n{proc.stderr[-3000:]}")
    LAST_STDERR[0] = proc.stderr
    rss = [l for l in proc.stderr.splitlines() if l.startswith("MAXRSS ")][-1].split()[1]
    return proc.stdout, wall, int(rss) / 1024


def split(path, id_column, name):
    df = pd.read_csv(path, dtype=str, keep_default_na=False)
    test = df[id_column].str.extract(r"(\d+)$")[0].astype(int) % 5 == 0
    paths = [os.path.join(WORK, f"{name}-{part}.csv") for part in ("train", "test")]
    df[~test].to_csv(paths[0], index=False)
    df[test].to_csv(paths[1], index=False)
    return paths[0], paths[1], int((~test).sum()), int(test.sum())


def wide_table(path, n=1_000_000, seed=7):
    """1,000,000 rows × 32 features: 24 numeric (3% missing), 8 categorical with 3 to 60 levels."""
    rng = np.random.default_rng(seed)
    num = rng.normal(size=(n, 24))
    levels = [3, 5, 8, 12, 20, 30, 45, 60]
    cats = np.stack([rng.integers(0, k, size=n) for k in levels], axis=1)
    logit = (0.8 * num[:, 0] - 0.6 * num[:, 1] + 0.5 * num[:, 2] * num[:, 3] + 0.7 * np.tanh(2 * num[:, 4])
             + 0.4 * (num[:, 5] > 0.5) + 0.3 * np.sin(2 * num[:, 6]) + 0.8 * (cats[:, 0] == 1)
             + 0.5 * (cats[:, 3] % 3 == 0) + 0.6 * (cats[:, 7] % 7 == 0) - 1.0)
    y = (rng.uniform(size=n) < 1 / (1 + np.exp(-logit))).astype(int)
    df = pd.DataFrame(num, columns=[f"n{i}" for i in range(24)]).round(4)
    for i in range(24):
        df.loc[rng.uniform(size=n) < 0.03, f"n{i}"] = np.nan
    for i, k in enumerate(levels):
        df[f"c{i}"] = np.array([f"L{j}" for j in range(k)])[cats[:, i]]
    df.insert(0, "row_id", np.arange(1, n + 1))
    df["target"] = y
    df.to_csv(path, index=False)


def bench(name, path, id_column, target, drop, trees, lr, leaves, peers):
    train, test, n_train, n_test = split(path, id_column, name)
    rows = []
    drop_arg = ["--drop", ",".join(drop)] if drop else []
    for model in ("logistic", "gbdt", "auto"):
        out = os.path.join(WORK, f"{name}-{model}.json")
        args = [LS, "train", "--data", train, "--target", target, "--model", model, "--out", out, "--json"] + drop_arg
        if model == "gbdt":
            args += ["--trees", str(trees), "--learning-rate", str(lr), "--leaves", str(leaves), "--early-stopping", "0", "--threads", "2"]
        summary, wall, rss = run(args)
        timings = json.loads(summary)["timings"]
        ev = json.loads(run([LS, "evaluate", "--model", out, "--data", test, "--json"])[0])
        if model == "auto":
            # --model auto with its defaults: the accuracy comparison only.
            rows.append({"tool": "leadscore", "model": "auto", "train_command_seconds": wall, "peak_rss_mib": rss,
                         "timings": timings, "auc": ev["auc"], "log_loss": ev["logLoss"],
                         "chosen": json.loads(summary)["training"]["hyperparameters"]})
            continue
        fit_seconds, fit_rss = timings.get("finalFit"), rss
        if fit_seconds is None:
            # The holdout model was kept (large table): fit on the whole training file once
            # more, as the peers do, for the fit comparison.
            refit_summary, _, fit_rss = run(args[:args.index("--out") + 1] + [out + ".refit.json", "--json", "--refit", "always"] + args[args.index("--json") + 1:])
            fit_seconds = json.loads(refit_summary)["timings"]["finalFit"]
        _, pred_wall, pred_rss = run([LS, "predict", "--model", out, "--data", test, "--out", test + ".ls.csv", "--reasons", "0"])
        # predict's phase line: "read 0.18 s, encode 0.13 s, score 0.23 s (864,559 leads/s), write 0.08 s".
        phases = dict(re.findall(r"(read|encode|score|write) ([0-9.]+) s", LAST_STDERR[0]))
        phases = {k: float(v) for k, v in phases.items()}
        # Reasons (TreeSHAP for trees) on at most 20,000 leads: enough for a steady rate.
        head = test + ".head.csv"
        with open(test) as src, open(head, "w") as dst:
            for k, line in enumerate(src):
                if k > 20000: break
                dst.write(line)
        reasons_rows = min(n_test, 20000)
        _, reasons_wall, _ = run([LS, "predict", "--model", out, "--data", head, "--out", test + ".ls.csv"])
        # In memory: leads already read and encoded, scored in one call (best of 5), by the
        # scripts/predict-bench harness; on the small files predict's score phase is too short to time.
        in_memory = None
        if n_test >= 100_000 and os.path.exists(PREDICT_BENCH):
            in_memory = json.loads(run([PREDICT_BENCH, out, test])[0])["rows_per_s"]
        rows.append({"tool": "leadscore", "model": model, "fit_seconds": fit_seconds, "fit_peak_rss_mib": fit_rss,
                     "timings": timings, "train_command_seconds": wall,
                     "predict_in_memory_rows_per_s": in_memory,
                     "peak_rss_mib": rss, "predict_rows_per_s": in_memory or n_test / max(phases["score"], 1e-9),
                     "predict_score_phase_rows_per_s": n_test / max(phases["score"], 1e-9),
                     "predict_phases_seconds": phases, "csv_to_csv_process_rows_per_s": n_test / pred_wall,
                     "csv_to_csv_rows_per_s": n_test / max(sum(phases.values()), 1e-9),
                     "predict_rows_per_s_with_reasons": reasons_rows / reasons_wall, "predict_peak_rss_mib": pred_rss,
                     "auc": ev["auc"], "log_loss": ev["logLoss"]})
    for tool in peers + [p + "-defaults" for p in peers if p != "sklearn-logistic"]:
        out, wall, rss = run([PY, "-c", PEER, tool, train, test, target, json.dumps(drop + [id_column]), str(trees), str(lr), str(leaves)])
        r = json.loads(out)
        rows.append({"tool": tool, "model": "logistic" if tool == "sklearn-logistic" else "gbdt", "peak_rss_mib": rss,
                     "process_seconds": wall, **r})
    return {"dataset": name, "train_rows": n_train, "test_rows": n_test,
            "settings": {"trees": trees, "learning_rate": lr, "leaves": leaves}, "runs": rows}


def csv_table(results):
    """CSV to CSV scoring: leadscore's predict (without reasons) against pandas + LightGBM."""
    lines = ["| dataset | leadscore predict, whole process | leadscore read → write (model loaded) | "
             "pandas.read_csv + LightGBM + to_csv | leadscore ÷ LightGBM (read → write) |", "|---|---|---|---|---|"]
    for r in results:
        ours = next((x for x in r["runs"] if x["tool"] == "leadscore" and x["model"] == "gbdt"), None)
        peer = next((x for x in r["runs"] if x["tool"] == "lightgbm"), None)
        if not ours or not peer or "csv_to_csv_rows_per_s" not in peer or sum(ours["predict_phases_seconds"].values()) < 0.1:
            continue  # the small files: start-up and model loading are all there is to time
        lines.append(f"| {r['dataset']} | {ours['csv_to_csv_process_rows_per_s']:,.0f} rows/s | {ours['csv_to_csv_rows_per_s']:,.0f} rows/s | "
                     f"{peer['csv_to_csv_rows_per_s']:,.0f} rows/s | {ours['csv_to_csv_rows_per_s'] / peer['csv_to_csv_rows_per_s']:.2f}× |")
    return "\n".join(lines)


def accuracy_table(results):
    """`--model auto` with its defaults against each peer with its defaults, holdout ROC AUC."""
    peers = ["sklearn-logistic", "sklearn-hgb-defaults", "lightgbm-defaults", "xgboost-defaults"]
    lines = ["| dataset | leadscore auto (chose) | scikit-learn logistic | HistGradientBoosting | LightGBM | XGBoost | auto − best peer |",
             "|---|---|---|---|---|---|---|"]
    for r in results:
        auto = next((x for x in r["runs"] if x["tool"] == "leadscore" and x["model"] == "auto"), None)
        found = {x["tool"]: x for x in r["runs"]}
        if not auto or not all(p in found for p in peers):
            continue
        best = max(found[p]["auc"] for p in peers)
        h = auto.get("chosen", {})
        chose = "trees" if h.get("boosting") else "logistic"
        if h.get("blend"): chose = "blend"
        lines.append(f"| {r['dataset']} | {auto['auc']:.4f} ({chose}) | " + " | ".join(f"{found[p]['auc']:.4f}" for p in peers)
                     + f" | {auto['auc'] - best:+.4f} |")
    return "\n".join(lines)


def wait_table(results, extra):
    """The user's wait: leadscore's whole command against pandas (+ LightGBM / scikit-learn)."""
    lines = ["| what | leadscore | peer | ratio |", "|---|---|---|---|"]
    for r in results:
        ours = {x["model"]: x for x in r["runs"] if x["tool"] == "leadscore"}
        peer = {x["tool"]: x for x in r["runs"]}
        if r["train_rows"] < 100_000 or "lightgbm" not in peer:
            continue
        lgb, sk = peer["lightgbm"], peer.get("sklearn-logistic")
        wait = lgb["read_csv_seconds"] + lgb["fit_seconds"]
        lines.append(f"| {r['dataset']}: `train --model gbdt` end to end vs read_csv + LightGBM fit | {ours['gbdt']['train_command_seconds']:.1f} s | {wait:.1f} s | {ours['gbdt']['train_command_seconds'] / wait:.2f}× |")
        lines.append(f"| {r['dataset']}: trees, fit alone (all training rows) vs LightGBM fit | {ours['gbdt']['fit_seconds']:.1f} s | {lgb['fit_seconds']:.1f} s | {ours['gbdt']['fit_seconds'] / lgb['fit_seconds']:.2f}× |")
        if sk:
            lines.append(f"| {r['dataset']}: logistic fit vs scikit-learn fit | {ours['logistic']['fit_seconds']:.1f} s | {sk['fit_seconds']:.1f} s | {ours['logistic']['fit_seconds'] / sk['fit_seconds']:.2f}× |")
            lines.append(f"| {r['dataset']}: logistic, peak RSS of the fitting process | {ours['logistic']['fit_peak_rss_mib']:.0f} MiB | {sk['peak_rss_mib']:.0f} MiB | {ours['logistic']['fit_peak_rss_mib'] / sk['peak_rss_mib']:.2f}× |")
    if "read_1m" in extra:
        x = extra["read_1m"]
        runs = f", median of {x['runs']} interleaved runs" if "runs" in x else ""
        lines.append(f"| read + infer the 1M-row CSV (`leadscore schema`, whole process) vs `pandas.read_csv`{runs} | {x['leadscore_seconds']:.2f} s | {x['pandas_seconds']:.2f} s | {x['leadscore_seconds'] / x['pandas_seconds']:.2f}× |")
        lines.append(f"| the same, peak RSS (whole process) | {x['leadscore_peak_rss_mib']:.0f} MiB | {x['pandas_peak_rss_mib']:.0f} MiB | {x['leadscore_peak_rss_mib'] / x['pandas_peak_rss_mib']:.2f}× |")
    return "\n".join(lines)


def table(results):
    lines = []
    head = f"| dataset | tool | model | fit s | leadscore ÷ peer | predict rows/s | peak RSS MiB | ROC AUC | log loss |"
    lines += [head, "|" + "---|" * 9]
    for r in results:
        ours = {x["model"]: x for x in r["runs"] if x["tool"] == "leadscore"}
        for x in r["runs"]:
            if x["model"] == "auto" or x["tool"].endswith("-defaults"):
                continue  # the accuracy table's
            ratio = "" if x["tool"] == "leadscore" else f"{ours[x['model']]['fit_seconds'] / x['fit_seconds']:.2f}"
            rate = f"{x['predict_rows_per_s']:,.0f}"
            if x["tool"] == "leadscore" and x["predict_phases_seconds"].get("score", 0) < 0.02:
                rate = "— (too few rows to time)"
            lines.append(f"| {r['dataset']} | {x['tool']} | {x['model']} | {x['fit_seconds']:.2f} | {ratio} | "
                         f"{rate} | {x['peak_rss_mib']:.0f} | {x['auc']:.4f} | {x['log_loss']:.4f} |")
    return "\n".join(lines)


def main():
    peers = ["sklearn-logistic", "sklearn-hgb", "lightgbm", "xgboost"]
    results, extra = [], {}
    dates = ["created_date", "last_activity_date"]  # leadscore leaves dates out; so must the peers
    results.append(bench("sample (5k)", os.path.join(ROOT, "datasets/sample-leads.csv"), "lead_id", "converted", dates, 300, 0.05, 31, peers))
    if os.path.exists(XED):
        results.append(bench("X Education (no leaks)", XED, "Lead Number", "Converted", XED_LEAKS + ["Prospect ID"], 300, 0.05, 31, peers))
    else:
        print(f"skipping X Education: {XED} is absent")
    if not QUICK:
        wide = os.path.join(WORK, "wide-1m.csv")
        wide_table(wide)
        results.append(bench("synthetic 1M × 32", wide, "row_id", "target", [], 300, 0.1, 31, peers))
        # A second or so each, on a shared machine: five runs of each, interleaved, and the
        # median of each side (every run is kept in the results).
        ours, theirs = [], []
        for _ in range(5):
            _, s, rss = run([LS, "schema", wide, "--target", "target", "--json"])
            ours.append((s, rss))
            pandas_out, _, pandas_rss = run([PY, "-c", "import sys, time, pandas as pd; t = time.perf_counter(); "
                                             f"pd.read_csv(sys.argv[1], na_values={MISSING!r}, keep_default_na=False); print(time.perf_counter() - t)", wide])
            theirs.append((float(pandas_out), pandas_rss))
        extra["read_1m"] = {"leadscore_seconds": statistics.median(s for s, _ in ours), "leadscore_peak_rss_mib": max(r for _, r in ours),
                            "pandas_seconds": statistics.median(s for s, _ in theirs), "pandas_peak_rss_mib": max(r for _, r in theirs),
                            "runs": 5, "leadscore_runs_seconds": [s for s, _ in ours], "pandas_runs_seconds": [s for s, _ in theirs]}
        crm = os.path.join(WORK, "crm-1m.csv")
        _, s, rss = run([LS, "generate", "--leads", "1000000", "--seed", "11", "--out", crm])
        extra["generate_1m_leads"] = {"seconds": s, "peak_rss_mib": rss}
        gb = os.path.join(WORK, "crm-8m.csv")
        run([LS, "generate", "--leads", "8000000", "--seed", "12", "--out", gb])
        model = os.path.join(WORK, "synthetic 1M × 32-logistic.json")
        crm_model = os.path.join(WORK, "crm.json")
        run([LS, "train", "--data", crm, "--target", "converted", "--out", crm_model])
        _, s, rss = run([LS, "predict", "--model", crm_model, "--data", gb, "--out", gb + ".scored.csv", "--reasons", "0"])
        extra["predict_1gb_stream"] = {"file_mib": os.path.getsize(gb) / 2**20, "seconds": s, "rows_per_s": 8e6 / s, "peak_rss_mib": rss}
        for f in (gb, gb + ".scored.csv"):
            os.remove(f)
    text = (table(results) + "\n\n" + accuracy_table(results) + "\n\n" + wait_table(results, extra) + "\n\n"
            + csv_table(results))
    print(text)
    for k, v in extra.items():
        print(k, json.dumps(v))
    machine = {"cpu": platform.machine(), "cores": os.cpu_count(), "python": platform.python_version()}
    try:
        machine["cpu"] = next(l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name"))
        machine["memory_gib"] = round(int(next(l.split()[1] for l in open("/proc/meminfo") if l.startswith("MemTotal"))) / 2**20)
    except Exception:
        pass
    import importlib.metadata as md
    versions = {p: md.version(p) for p in ("scikit-learn", "lightgbm", "xgboost", "pandas")}
    doc = {"date": datetime.date.today().isoformat(), "machine": machine, "versions": versions, "quick": QUICK,
           "results": results, "extra": extra, "table_markdown": text}
    os.makedirs(os.path.join(ROOT, "benchmarks"), exist_ok=True)
    for name in (f"benchmark-{doc['date']}{'-quick' if QUICK else ''}.json", "latest.json"):
        with open(os.path.join(ROOT, "benchmarks", name), "w") as f:
            json.dump(doc, f, indent=2)
    print("saved benchmarks/latest.json")


if __name__ == "__main__":
    main()
