"""Run the whole lifecycle in order: generate -> ingest -> features -> train -> promote -> score.

Ends by querying the predictions table with SQL and printing the model run's metrics.
"""

from __future__ import annotations

import argparse
from typing import Any

from jobs.common.cli import JobContext, run_job
from jobs.features import build_features
from jobs.generate import generate
from jobs.ingest import ingest
from jobs.promote import promote
from jobs.score import score
from jobs.train import train


def run_all(context: JobContext, args: argparse.Namespace) -> dict[str, Any]:
    results: dict[str, Any] = {}
    if not args.skip_generate:
        results["generate"] = generate(context)
    results["ingest"] = ingest(context)
    results["features"] = build_features(context)
    results["train"] = train(context)
    results["promote"] = promote(context)
    results["score"] = score(context)
    _report(context, results)
    return results


def _report(context: JobContext, results: dict[str, Any]) -> None:
    predictions = context.tables.qualified(context.settings.score.output_table)
    key = ", ".join(context.settings.use_case.key)
    query = (
        f"SELECT {key}, round(prediction, 2) AS prediction, model_name, model_version, scored_at "
        f"FROM {predictions} ORDER BY {key} LIMIT 5"
    )
    print("\n== Ingest, this run (rows read / silver / quarantined / duplicates merged) ==")
    for source, counts in results["ingest"].items():
        print(f"  {source}: {counts['rows_read']} / {counts['rows_silver']} / "
              f"{counts['rows_quarantined']} / {counts['duplicates_merged']}")
    trained = results["train"]
    print(f"\n== Model {trained['model_name']} v{trained['version']} @{trained['alias']} (run {trained['run_id']}) ==")
    for metric, value in trained["metrics"].items():
        baseline = trained["baseline"].get(metric, float("nan"))
        print(f"  test {metric:<9} {value:>14.4f}   baseline {baseline:>14.4f}")
    gate = results["promote"]
    print(f"  gate: {'promoted' if gate['promoted'] else 'not promoted'}: {'; '.join(gate['reasons'])}")
    print(f"\n== {results['score']['rows_scored']} predictions; SQL: {query} ==")
    context.spark.sql(query).show(truncate=False)
    print(f"Query it yourself:  python -m jobs.sql \"SELECT count(*) FROM {predictions}\"")


def _arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--skip-generate", action="store_true", help="use the landing files already there")


def main(argv: list[str] | None = None) -> None:
    run_job(__doc__, run_all, argv, _arguments)


if __name__ == "__main__":
    main()
