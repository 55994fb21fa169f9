"""Score leads with Spark, using a model exported by leadscore: what a team with a cluster runs.

    leadscore export --model model.json --format sql --dialect spark --out score.sql
    leadscore export --model model.json --format sql --dialect spark --ddl --out score.ddl
    python scripts/spark-score.py --sql score.sql --ddl score.ddl --input leads/ --out scored/

--input is a Parquet file or folder, or CSV (with a header) when it ends in .csv or with
--format csv. The table's columns are cast to the types the DDL names (numbers to DOUBLE with
try_cast, so "NA" or "" become NULL; the rest stays text), registered as the table the SQL reads
(--table, the name given to export, default leads), and the SELECT's result (the id columns,
probability, score, tier) is written to --out as Parquet (or CSV with --out-format csv).
--master local[2] by default; pass your cluster's master, or run it with spark-submit.
Prints the rows scored and the rows per second of the scoring step."""
import argparse
import os
import sys
import time


def ddl_columns(ddl):
    """(name, is_double) for each column of `leadscore export --ddl`'s CREATE TABLE (Spark dialect)."""
    out = []
    for line in ddl.splitlines()[1:]:
        line = line.strip().rstrip(",")
        if not line.startswith("`"):
            continue
        name, i = "", 1
        while True:
            if line[i] == "`" and line[i + 1:i + 2] == "`":
                name, i = name + "`", i + 2
            elif line[i] == "`":
                break
            else:
                name, i = name + line[i], i + 1
        out.append((name, line[i + 1:].strip().upper() == "DOUBLE"))
    return out


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sql", required=True, help="the SELECT from leadscore export --dialect spark")
    parser.add_argument("--ddl", required=True, help="the CREATE TABLE from leadscore export --dialect spark --ddl")
    parser.add_argument("--input", required=True, help="Parquet file or folder, or CSV with a header")
    parser.add_argument("--format", choices=["parquet", "csv"], help="the input's format (default: from its name)")
    parser.add_argument("--out", required=True, help="where the scored leads go (a folder)")
    parser.add_argument("--out-format", choices=["parquet", "csv"], default="parquet")
    parser.add_argument("--table", default="leads", help="the table name the SQL reads (export's --table)")
    parser.add_argument("--master", default="local[2]")
    parser.add_argument("--driver-memory", default="4g", help="the driver's heap (planning a large forest needs more than Spark's 1g)")
    parser.add_argument("--codegen", action="store_true",
                        help="let Spark compile the plan to Java (it cannot for large forests, and falls back after trying)")
    args = parser.parse_args()

    from pyspark.sql import SparkSession
    sql = open(args.sql, encoding="utf-8").read().rstrip().rstrip(";")
    columns = ddl_columns(open(args.ddl, encoding="utf-8").read())
    if not columns:
        sys.exit(f"{args.ddl}: no columns found; give the output of leadscore export --dialect spark --ddl")
    builder = (SparkSession.builder.master(args.master).appName("leadscore-score")
               .config("spark.ui.enabled", "false").config("spark.driver.memory", args.driver_memory))
    if not args.codegen:
        # A forest's expression is far beyond what Spark's code generator compiles (64 KB per
        # method): trying costs minutes and memory before it falls back to interpreting.
        builder = builder.config("spark.sql.codegen.wholeStage", "false").config("spark.sql.codegen.factoryMode", "NO_CODEGEN")
    spark = builder.getOrCreate()
    spark.sparkContext.setLogLevel("ERROR")
    start = time.time()
    kind = args.format or ("csv" if args.input.lower().endswith(".csv") else "parquet")
    # RFC 4180 as leadscore reads it: quoted fields may hold newlines and doubled quotes.
    reader = (spark.read.option("header", "true").option("inferSchema", "false").option("multiLine", "true")
              .option("quote", '"').option("escape", '"')) if kind == "csv" else spark.read
    raw = reader.format(kind).load(args.input)
    missing = [n for n, _ in columns if n not in raw.columns]
    if missing:
        sys.exit(f"{args.input}: the model needs columns it lacks: {', '.join(missing)}")
    quoted = lambda n: "`" + n.replace("`", "``") + "`"
    table = raw.selectExpr(*[f"try_cast({quoted(n)} AS DOUBLE) AS {quoted(n)}" if d else f"CAST({quoted(n)} AS STRING) AS {quoted(n)}"
                             for n, d in columns])
    table = table.cache()
    rows = table.count()
    table.createOrReplaceTempView(args.table)
    loaded = time.time()
    scored = spark.sql(sql)
    (scored.write.mode("overwrite").option("header", "true").format(args.out_format).save(args.out))
    done = time.time()
    print(f"scored {rows:,} leads into {args.out}: read and typed in {loaded - start:.1f} s, "
          f"scored and written in {done - loaded:.1f} s ({rows / max(done - loaded, 1e-9):,.0f} rows/s)")
    spark.stop()


if __name__ == "__main__":
    main()
