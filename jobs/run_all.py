"""Run the whole lifecycle in order: generate -> ingest -> profile -> features -> select ->
train -> promote -> score.

Ends by printing the candidates, the features the model kept, its business value and the
alias it holds after the gate, and by querying the predictions table with SQL.
"""

from __future__ import annotations

import argparse
from typing import Any

from jobs import features, generate, ingest, profile_table, promote, score, select_features, train
from jobs.common.cli import JobContext, run_job
from jobs.common.model_setup import configured_metric
from jobs.common.registry import version_aliases
from transforms.reporting.numbers import format_number


def run_all(context: JobContext, args: argparse.Namespace) -> dict[str, Any]:
    """Each job's body, with the progress line each job prints when run alone."""
    results: dict[str, Any] = {}
    if not args.skip_generate:
        results["generate"] = generate.STAGE.run(generate.generate, context)
    results["ingest"] = ingest.STAGE.run(ingest.ingest, context)
    results["profile"] = profile_table.STAGE.run(profile_table.profile, context, _profile_defaults())
    results["features"] = features.STAGE.run(features.build_features, context)
    if context.settings.selection is not None:
        results["select"] = select_features.STAGE.run(select_features.select_features, context)
    results["train"] = train.STAGE.run(train.train, context)
    results["promote"] = promote.STAGE.run(promote.promote, context)
    results["score"] = score.STAGE.run(score.score, context)
    _report(context, results)
    return results


def _profile_defaults() -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    profile_table.add_arguments(parser)
    return parser.parse_args([])


def _number(value: float | None) -> str:
    return format_number(value, missing="-")


def candidate_lines(trained: dict[str, Any], metric: str) -> list[str]:
    """The summary's candidates section: each candidate's figures (the chosen one starred), the
    defaults training chose where the use case left steps or candidates out, the selection."""
    lines = ["== Candidates (CV on the training split, then the test split) ==",
             f"  {'candidate':<22} {'CV ' + metric + ' mean ± std':>26} {'test ' + metric:>14}   chosen parameters"]
    for row in trained["candidates"]:
        star = "*" if row["candidate"] == trained["candidate"] else " "
        cv = f"{_number(row['cv_mean'])} ± {_number(row['cv_std'])}"
        lines.append(f" {star}{row['candidate']:<22} {cv:>26} {_number(row['test'].get(metric)):>14}   {row['params']}")
    lines += [f"  {line}" for line in trained["defaults"]]
    selection = trained["selection"]
    if selection:
        lines.append(f"  selection inside the model kept {selection['features_kept']} of {selection['features_in']} "
                     f"features; dropped: {', '.join(selection['dropped']) or 'none'}")
    return lines


def _report(context: JobContext, results: dict[str, Any]) -> None:
    settings = context.settings
    predictions = context.tables.qualified(settings.score.output_table)
    key = ", ".join(settings.use_case.key)
    query = (
        f"SELECT {key}, round(prediction, 2) AS prediction, model_name, model_version, scored_at "
        f"FROM {predictions} ORDER BY {key} LIMIT 5"
    )
    print("\n== Ingest, this run (rows read / silver / quarantined / duplicates merged) ==")
    for source, counts in results["ingest"].items():
        print(f"  {source}: {_number(counts['rows_read'])} / {_number(counts['rows_silver'])} / "
              f"{_number(counts['rows_quarantined'])} / {_number(counts['duplicates_merged'])}")
    trained, gate = results["train"], results["promote"]
    print("\n".join(["", *candidate_lines(trained, configured_metric(settings))]))
    aliases = version_aliases(trained["model_name"], trained["version"])
    print(f"\n== Model {trained['model_name']} v{trained['version']} @{', @'.join(sorted(aliases))} "
          f"(run {trained['run_id']}) ==")
    for name, value in trained["metrics"].items():
        baseline = trained["baseline"].get(name, float("nan"))
        print(f"  test {name:<9} {_number(value):>16}   baseline {_number(baseline):>16}")
    for name, value in trained["business"].items():
        print(f"  business {name:<18} {_number(value):>16}")
    print(f"  gate: {'promoted' if gate['promoted'] else 'not promoted'}: {'; '.join(gate['reasons'])}")
    print(f"\n== {_number(results['score']['rows_scored'])} predictions; SQL: {query} ==")
    context.spark.sql(query).show(truncate=False)
    print(f"Query it yourself:  python -m jobs.sql \"SELECT count(*) FROM {predictions}\"")


def _arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--skip-generate", action="store_true", help="use the landing files already there")


def main(argv: list[str] | None = None) -> None:
    run_job(__doc__, run_all, argv, _arguments)


if __name__ == "__main__":
    main()
