"""Rows per second of an exported model where the leads are: the SQL in DuckDB and in Spark's
local mode (scripts/spark-score.py), beside `leadscore predict` on the same 1M rows (the
benchmark's synthetic 1M × 32 table; 300 trees, 31 leaves, learning rate 0.1). Checks that the
engines' probabilities equal predict's (largest difference). Writes benchmarks/export.json and
prints a Markdown table. Run by scripts/export-benchmark.sh (release build, peers installed)."""
import datetime
import json
import os
import platform
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import benchmark  # noqa: E402
from benchmark import LS, ROOT, wide_table  # noqa: E402

WORK = tempfile.mkdtemp(prefix="leadscore-export-bench-")
import atexit, shutil  # noqa: E401,E402
atexit.register(shutil.rmtree, WORK, True)
atexit.register(shutil.rmtree, benchmark.WORK, True)


def timed(cmd, **kw):
    start = time.time()
    out = subprocess.run(cmd, check=True, capture_output=True, text=True, **kw)
    return time.time() - start, out


def main():
    import duckdb
    data = os.path.join(WORK, "wide-1m.csv")
    wide_table(data)
    rows = 1_000_000
    model = os.path.join(WORK, "trees.json")
    fit, _ = timed([LS, "train", "--data", data, "--target", "target", "--model", "gbdt", "--trees", "300", "--leaves", "31",
                    "--learning-rate", "0.1", "--early-stopping", "0", "--calibration", "none", "--out", model])
    scored = os.path.join(WORK, "predicted.csv")
    predict_s, out = timed([LS, "predict", "--model", model, "--data", data, "--reasons", "0", "--precision", "full", "--out", scored])
    result = {"date": datetime.date.today().isoformat(), "machine": f"{platform.machine()}, {os.cpu_count()} cores, {platform.system()}",
              "rows": rows, "train_seconds": fit, "leadscore_predict": {"seconds": predict_s, "rows_per_s": rows / predict_s, "phases": out.stderr.strip().splitlines()[-1]}}
    files = {}
    for dialect in ("duckdb", "spark"):
        for kind in ("sql", "ddl"):
            path = os.path.join(WORK, f"score.{dialect}.{kind}")
            subprocess.run([LS, "export", "--model", model, "--format", "sql", "--dialect", dialect, "--out", path]
                           + (["--ddl"] if kind == "ddl" else []), check=True, capture_output=True)
            files[dialect, kind] = path
    result["sql_bytes"] = os.path.getsize(files["duckdb", "sql"])

    # DuckDB: the table typed as the DDL says, loaded first; then the SELECT alone, timed.
    db = duckdb.connect(os.path.join(WORK, "bench.duckdb"))
    db.execute("SET threads = 2")
    db.execute(open(files["duckdb", "ddl"]).read())
    db.execute(f"INSERT INTO leads BY NAME SELECT * EXCLUDE (target) FROM read_csv('{data}', header = true, all_varchar = true, nullstr = '')")
    start = time.time()
    db.execute("CREATE TABLE scored AS " + open(files["duckdb", "sql"]).read().rstrip().rstrip(";"))
    duck_s = time.time() - start
    db.execute(f"CREATE TABLE predicted AS SELECT * FROM read_csv('{scored}', header = true)")
    worst = db.execute("SELECT max(abs(s.probability - p.probability)), count(*) FROM scored s JOIN predicted p ON s.row_id = p.row_id").fetchone()
    result["duckdb"] = {"seconds": duck_s, "rows_per_s": rows / duck_s, "largest_difference": worst[0], "rows_compared": worst[1]}
    db.close()

    # Spark local mode, as a user would run it (scripts/spark-score.py).
    out_dir = os.path.join(WORK, "spark-scored")
    spark_s, out = timed([sys.executable, os.path.join(ROOT, "scripts/spark-score.py"), "--sql", files["spark", "sql"], "--ddl", files["spark", "ddl"],
                          "--input", data, "--out", out_dir])
    line = out.stdout.strip().splitlines()[-1]
    scoring = float(line.split("scored and written in ")[1].split(" s")[0])
    result["spark_local"] = {"whole_run_seconds": spark_s, "scoring_seconds": scoring, "rows_per_s": rows / scoring, "line": line}
    os.makedirs(os.path.join(ROOT, "benchmarks"), exist_ok=True)
    with open(os.path.join(ROOT, "benchmarks/export.json"), "w") as f:
        json.dump(result, f, indent=2)
    p = result["leadscore_predict"]
    print(f"Exported boosted trees (300 trees, 31 leaves) on the 1M × 32 table, {result['date']}, {result['machine']}:\n")
    print("| scorer | rows/s | seconds | notes |\n|---|---|---|---|")
    print(f"| `leadscore predict` (CSV in, CSV out, whole process) | {p['rows_per_s']:,.0f} | {p['seconds']:.1f} | |")
    d = result["duckdb"]
    print(f"| exported SQL in DuckDB (2 threads; the SELECT into a table, data already loaded) | {d['rows_per_s']:,.0f} | {d['seconds']:.1f} | "
          f"{result['sql_bytes']:,} bytes of SQL; largest difference from predict {d['largest_difference']:.2g} over {d['rows_compared']:,} rows |")
    sp = result["spark_local"]
    print(f"| exported SQL in Spark local[2] (`scripts/spark-score.py`, scored and written as Parquet) | {sp['rows_per_s']:,.0f} | "
          f"{sp['scoring_seconds']:.1f} | whole run with start-up and reading {sp['whole_run_seconds']:.0f} s |")


if __name__ == "__main__":
    main()
