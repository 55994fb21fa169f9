"""Checks leadscore's exported models in the engines that run them, against `leadscore predict`.

  python export_check.py run JOBS.json
      JOBS.json: a list of cases, each {"engine", "csv", "predictions", ...}:
        duckdb | sqlite | postgres | spark: also "ddl" (export --ddl) and "sql" (export --format sql).
            The DDL is run, the CSV's rows inserted (numbers as doubles: empty is NULL, "NaN" is
            NaN; everything else as text, empty as NULL), the SELECT run; every lead's
            probability must be within 1e-9 of predict's, and its score and tier the same.
        snowflake | bigquery: also "sql": parsed with sqlglot in that dialect, and at most 1 MB.
        lightgbm: also "model" (export --format lightgbm) and "categories" (its .categories.json):
            the booster's raw scores must be within 1e-9 of predict's margins, and the
            probability and tier computed from the mapping the same as predict's.
      Engines run once for all their cases (PostgreSQL: a throwaway cluster on a local socket;
      Spark: local mode). Prints one line per case; exit 1 if any fails, 3 if an engine's
      Python package or server is not there (the line says which).
  python export_check.py edge-cases MODEL.json SAMPLE.csv OUT.csv
      Writes leads that hit every split threshold of MODEL's trees exactly, with missing
      values, NaN, missing tokens, unseen categories, padded values and non-ASCII text."""
import csv
import json
import math
import os
import shutil
import subprocess
import sys
import tempfile

TOLERANCE = 1e-9


def read_csv(path):
    with open(path, newline="", encoding="utf-8") as f:
        rows = list(csv.reader(f))
    return rows[0], rows[1:]


def read_predictions(path):
    return [json.loads(line) for line in open(path, encoding="utf-8") if line.strip()]


def parse_ddl(ddl):
    """Column names and whether each is a double, from `export --ddl` output."""
    columns = []
    for line in ddl.splitlines()[1:]:
        line = line.strip().rstrip(",")
        if not line or line.startswith(")"):
            continue
        quote = line[0]
        end = 1
        name = ""
        while True:
            c = line[end]
            if c == quote and end + 1 < len(line) and line[end + 1] == quote:
                name += quote
                end += 2
            elif c == "\\" and quote == "`":
                name += line[end + 1]
                end += 2
            elif c == quote:
                break
            else:
                name += c
                end += 1
        kind = line[end + 1:].strip().upper()
        columns.append((name, kind in ("DOUBLE", "REAL", "DOUBLE PRECISION", "FLOAT64")))
    return columns


def typed_rows(csv_path, columns, text_numbers=False):
    header, rows = read_csv(csv_path)
    index = {name: i for i, name in enumerate(header)}
    out = []
    for row in rows:
        values = []
        for name, is_double in columns:
            raw = row[index[name]] if name in index and index[name] < len(row) else ""
            if raw == "":
                values.append(None)
            elif is_double:
                try:
                    values.append(float(raw))
                except ValueError:
                    # A missing token in a numeric column: NULL, or (SQLite's .import) the text.
                    values.append(raw if text_numbers else None)
            else:
                values.append(raw)
        out.append(values)
    return out


def sigmoid(z):
    """σ(z) as leadscore computes it, without overflow."""
    return 1 / (1 + math.exp(-z)) if z >= 0 else math.exp(z) / (1 + math.exp(z))


def compare(case, result_rows, id_name):
    """result_rows: (id, probability, score, tier). Returns a list of problems."""
    expected = {str(p[id_name]): p for p in read_predictions(case["predictions"])}
    problems = []
    if len(result_rows) != len(expected):
        problems.append(f"{len(result_rows)} rows, predict scored {len(expected)}")
    worst = 0.0
    for lead, probability, score, tier in result_rows:
        e = expected.get(str(lead))
        if e is None:
            problems.append(f"lead {lead!r} is not among predict's")
            continue
        if probability is None or not math.isfinite(float(probability)):
            problems.append(f"lead {lead}: probability {probability!r}")
            continue
        d = abs(float(probability) - e["probability"])
        worst = max(worst, d)
        if d > TOLERANCE:
            problems.append(f"lead {lead}: probability {probability!r}, predict {e['probability']!r} (off by {d:.3g})")
        if int(score) != e["score"] or tier != e["tier"]:
            problems.append(f"lead {lead}: score {score} tier {tier}, predict {e['score']} {e['tier']}")
    return problems, worst


def report(case, problems, worst, extra=""):
    name = f"{case['engine']} {os.path.basename(case.get('sql', case.get('model', '')))} on {os.path.basename(case['csv'])}"
    if problems:
        print(f"FAIL {name}: {len(problems)} problems; " + "; ".join(problems[:5]))
        return False
    print(f"ok   {name}: largest difference {worst:.3g}{extra}")
    return True


def id_column(columns, case):
    return case.get("id", columns[0][0])


# Engines ------------------------------------------------------------------------------------

class Missing(Exception):
    pass


def run_dbapi(cases, connect, placeholder, name, text_numbers=False):
    ok = True
    for case in cases:
        ddl = open(case["ddl"], encoding="utf-8").read()
        sql = open(case["sql"], encoding="utf-8").read()
        columns = parse_ddl(ddl)
        db = connect()
        cur = db.cursor()
        cur.execute('DROP TABLE IF EXISTS "leads"')
        cur.execute(ddl)
        marks = ", ".join([placeholder] * len(columns))
        cur.executemany(f'INSERT INTO "leads" VALUES ({marks})', typed_rows(case["csv"], columns, text_numbers))
        cur.execute(sql.rstrip().rstrip(";"))
        rows = cur.fetchall()
        db.close()
        problems, worst = compare(case, [(r[0], r[-3], r[-2], r[-1]) for r in rows], id_column(columns, case))
        ok = report(case, problems, worst) and ok
    return ok


def run_duckdb(cases):
    try:
        import duckdb
    except ImportError as e:
        raise Missing("duckdb is not installed") from e
    return run_dbapi(cases, lambda: duckdb.connect(":memory:"), "?", "duckdb")


def run_sqlite(cases):
    import sqlite3
    return run_dbapi(cases, lambda: sqlite3.connect(":memory:"), "?", "sqlite", text_numbers=True)


def run_postgres(cases):
    try:
        import psycopg
    except ImportError as e:
        raise Missing("psycopg is not installed") from e
    bins = sorted(d for d in os.listdir("/usr/lib/postgresql") if os.path.isdir(f"/usr/lib/postgresql/{d}/bin")) if os.path.isdir("/usr/lib/postgresql") else []
    if not bins:
        raise Missing("PostgreSQL's server is not installed (apt-get install postgresql)")
    bin_dir = f"/usr/lib/postgresql/{bins[-1]}/bin"
    work = tempfile.mkdtemp(prefix="leadscore-pg-")
    os.chmod(work, 0o777)
    # The server refuses to run as root: as root, it runs as Debian's postgres user.
    as_user = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
    data = os.path.join(work, "data")
    try:
        subprocess.run(as_user + [f"{bin_dir}/initdb", "-D", data, "-A", "trust", "-U", "postgres", "--no-sync"], check=True, capture_output=True)
        subprocess.run(as_user + [f"{bin_dir}/pg_ctl", "-D", data, "-w", "-l", os.path.join(work, "log"),
                                  "-o", f"-k {work} -c listen_addresses='' -p 5433 -c fsync=off", "start"], check=True, capture_output=True)
    except (subprocess.CalledProcessError, OSError) as e:
        shutil.rmtree(work, ignore_errors=True)
        raise Missing(f"a PostgreSQL server could not be started: {getattr(e, 'stderr', b'') or e}") from e
    try:
        connect = lambda: psycopg.connect(host=work, port=5433, user="postgres", dbname="postgres", autocommit=True)
        return run_dbapi(cases, connect, "%s", "postgres")
    finally:
        subprocess.run(as_user + [f"{bin_dir}/pg_ctl", "-D", data, "-m", "immediate", "stop"], capture_output=True)
        shutil.rmtree(work, ignore_errors=True)


def run_spark(cases):
    try:
        from pyspark.sql import SparkSession
        from pyspark.sql.types import DoubleType, StringType, StructField, StructType
    except ImportError as e:
        raise Missing("pyspark is not installed") from e
    if shutil.which("java") is None and not os.environ.get("JAVA_HOME"):
        raise Missing("Java is not installed")
    warehouse = tempfile.mkdtemp(prefix="leadscore-spark-")
    spark = (SparkSession.builder.master("local[2]").appName("leadscore-export-check")
             .config("spark.sql.warehouse.dir", warehouse).config("spark.ui.enabled", "false")
             .config("spark.sql.shuffle.partitions", "2").getOrCreate())
    # Spark logs (at ERROR) the generated code it could not compile for a large forest before
    # falling back to interpreting it; the results are the same.
    spark.sparkContext.setLogLevel("OFF")
    ok = True
    try:
        for case in cases:
            ddl = open(case["ddl"], encoding="utf-8").read()
            sql = open(case["sql"], encoding="utf-8").read()
            columns = parse_ddl(ddl)
            spark.sql("DROP TABLE IF EXISTS leads")
            spark.sql(ddl.rstrip().rstrip(";") + " USING parquet")
            schema = StructType([StructField(n, DoubleType() if d else StringType()) for n, d in columns])
            spark.createDataFrame(typed_rows(case["csv"], columns), schema).write.insertInto("leads")
            rows = spark.sql(sql.rstrip().rstrip(";")).collect()
            problems, worst = compare(case, [(r[0], r[-3], r[-2], r[-1]) for r in rows], id_column(columns, case))
            ok = report(case, problems, worst) and ok
    finally:
        spark.stop()
        shutil.rmtree(warehouse, ignore_errors=True)
    return ok


def run_sqlglot(cases):
    try:
        import sqlglot
    except ImportError as e:
        raise Missing("sqlglot is not installed") from e
    ok = True
    for case in cases:
        sql = open(case["sql"], encoding="utf-8").read()
        problems = []
        try:
            parsed = sqlglot.parse(sql, read=case["engine"])
            if len([p for p in parsed if p is not None]) != 1:
                problems.append(f"{len(parsed)} statements")
        except Exception as error:  # noqa: BLE001 - the parser's message is the report
            problems.append(f"sqlglot cannot parse it: {str(error)[:300]}")
        size = len(sql.encode("utf-8"))
        if size > 1_048_576:
            problems.append(f"{size} bytes, over 1 MB")
        ok = report(case, problems, 0.0, f"; parsed, {size:,} bytes") and ok
    return ok


def run_lightgbm(cases):
    try:
        import lightgbm
        import numpy as np
    except ImportError as e:
        raise Missing("lightgbm is not installed") from e
    ok = True
    for case in cases:
        mapping = json.load(open(case["categories"], encoding="utf-8"))
        booster = lightgbm.Booster(model_file=case["model"])
        header, rows = read_csv(case["csv"])
        index = {name: i for i, name in enumerate(header)}
        missing = {t.strip(" \t").lower() for t in mapping["missingTokens"]} | {""}
        x = np.full((len(rows), len(mapping["features"])), np.nan)
        for r, row in enumerate(rows):
            for f in mapping["features"]:
                raw = row[index[f["name"]]]
                key = raw.strip(" \t")
                if f["kind"] == "categorical":
                    if key in f["codes"]:
                        x[r, f["index"]] = f["codes"][key]
                    elif key.lower() in missing:
                        x[r, f["index"]] = f["missingCode"]
                    else:
                        x[r, f["index"]] = f["otherCode"]
                elif f["kind"] == "boolean":
                    k = key.lower()
                    x[r, f["index"]] = 1.0 if k in f["true"] else 0.0 if k in f["false"] else np.nan
                else:
                    try:
                        v = float(key)
                        if math.isfinite(v):  # the mapping: NaN when missing or infinite
                            x[r, f["index"]] = v
                    except ValueError:
                        pass
        raw = booster.predict(x, raw_score=True)
        predictions = read_predictions(case["predictions"])
        id_name = mapping["idColumns"][0]
        expected = {str(p[id_name]): p for p in predictions}
        ids = [row[index[id_name]] for row in rows]
        problems, worst, results = [], 0.0, []
        calibration = mapping["calibration"]
        for lead, margin in zip(ids, raw):
            e = expected[lead]
            d = abs(margin - e["margin"])
            worst = max(worst, d)
            if d > TOLERANCE:
                problems.append(f"lead {lead}: raw score {margin!r}, leadscore's margin {e['margin']!r}")
            p = sigmoid(margin)
            if calibration and calibration["method"] == "platt":
                q = min(max(p, 1e-12), 1 - 1e-12)
                p = sigmoid(calibration["a"] * math.log(q / (1 - q)) + calibration["b"])
            elif calibration and calibration["method"] == "isotonic":
                xs, ys = calibration["x"], calibration["y"]
                if p <= xs[0]:
                    p = ys[0]
                elif p >= xs[-1]:
                    p = ys[-1]
                else:
                    k = next(k for k in range(1, len(xs)) if p < xs[k])
                    p = ys[k - 1] + ((p - xs[k - 1]) / (xs[k] - xs[k - 1])) * (ys[k] - ys[k - 1]) if xs[k] > xs[k - 1] else ys[k - 1]
            tier = "SQL" if p >= mapping["tiers"]["sql"] else "MQL" if p >= mapping["tiers"]["mql"] else "Cold"
            score = math.floor(p * 100 + 0.5)
            results.append((lead, p, score, tier))
        more, _ = compare(case, results, id_name)
        ok = report(case, problems + more, worst, "; probability and tier from the mapping agree") and ok
    return ok


ENGINES = {"duckdb": run_duckdb, "sqlite": run_sqlite, "postgres": run_postgres, "spark": run_spark,
           "snowflake": run_sqlglot, "bigquery": run_sqlglot, "lightgbm": run_lightgbm}


def run(jobs_path):
    cases = json.load(open(jobs_path, encoding="utf-8"))
    ok, missing = True, []
    for engine in dict.fromkeys(c["engine"] for c in cases):
        try:
            ok = ENGINES[engine]([c for c in cases if c["engine"] == engine]) and ok
        except Missing as why:
            print(f"SKIP {engine}: {why}")
            missing.append(engine)
    sys.exit(1 if not ok else 3 if missing else 0)


# Edge cases ---------------------------------------------------------------------------------

def edge_cases(model_path, sample_path, out_path):
    model = json.load(open(model_path, encoding="utf-8"))
    header, rows = read_csv(sample_path)
    columns = model["encoder"]["columns"]
    id_name = next(c["name"] for c in model["schema"]["columns"] if c["kind"] == "identifier")
    out = []

    def lead(base, label, changes):
        row = list(base)
        for name, value in changes.items():
            row[header.index(name)] = value
        row[header.index(id_name)] = f"E{len(out):05d}-{label}"
        out.append(row)

    base = rows[:40]
    # Every split threshold of every tree, hit exactly (and the values either side).
    if model["kind"] == "gbdt":
        bins = model["model"]["mapper"]["features"]
        seen = set()
        for tree in model["model"]["trees"]:
            for f, b in zip(tree["feature"], tree["thresholdBin"]):
                if f < 0 or bins[f]["categorical"] or "numeric" not in json.dumps(columns[f]["encoding"]):
                    continue
                t = bins[f]["upperBounds"][b]
                if not isinstance(t, (int, float)) or (f, t) in seen or not math.isfinite(t):
                    continue
                seen.add((f, t))
                for value in (t, math.nextafter(t, -math.inf), math.nextafter(t, math.inf)):
                    lead(base[len(out) % len(base)], "split", {columns[f]["name"]: repr(value)})
    for i, row in enumerate(base):
        for c in columns:
            name = c["name"]
            encoding = c["encoding"]
            kind = next(iter(encoding))
            raw_kind = encoding["raw"]["_0"]["kind"] if kind == "raw" else kind
            if raw_kind == "numeric":
                for v in ("", "NaN", "NA", "0", "-1e300", "1e300", " 12 ", "inf", "-inf", "1e400"):
                    lead(row, "num", {name: v})
            elif raw_kind == "boolean":
                for v in ("", "yes", " No ", "TRUE", "maybe", "null"):
                    lead(row, "bool", {name: v})
            else:
                for v in ("", "N/A", " Select ", "never seen before", "  " + row[header.index(name)] + "\t", "מכירות ישירות", "O'Brien \\ co"):
                    lead(row, "cat", {name: v})
        if i >= 3:
            break
    # All inputs missing at once.
    lead(base[0], "allmissing", {c["name"]: "" for c in columns})
    with open(out_path, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(header)
        w.writerows(out)
    print(f"{len(out)} edge-case leads in {out_path}")


if __name__ == "__main__":
    if sys.argv[1] == "run":
        run(sys.argv[2])
    elif sys.argv[1] == "edge-cases":
        edge_cases(sys.argv[2], sys.argv[3], sys.argv[4])
    else:
        sys.exit(__doc__)
