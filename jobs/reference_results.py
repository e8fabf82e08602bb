"""Reproduce the README's "Results on the reference data" table.

For each reference use case (house prices, titanic): ingest ../shared/data, build the course's
features on the course's train/test split, tune every configured candidate by cross-validation
on the training split, assess the best on the course's test split, register it and run the
gate; then print one markdown table against the course's results and our targets. Everything
goes to a fresh lakehouse and MLflow store under --root.
"""

from __future__ import annotations

import argparse
import tempfile
from dataclasses import dataclass
from typing import Any

from jobs import features, ingest, promote, train
from jobs.common.cli import configure_logging, foreseeable_errors, job_parser, open_context


@dataclass(frozen=True)
class Target:
    use_case: str
    metric: str
    reference: str
    goal: str
    higher_is_better: bool
    bound: float


TARGETS = (
    Target("house_prices", "rmse", "course Lasso 32 569 (R² 0.8456)", "≤ 29 000 and R² ≥ 0.87", False, 29_000),
    Target("house_prices", "r2", "course Lasso 0.8456", "≥ 0.87", True, 0.87),
    Target("titanic", "roc_auc", "course logistic regression 0.8355", "≥ 0.85", True, 0.85),
)


def met(target: Target, value: float) -> bool:
    return value >= target.bound if target.higher_is_better else value <= target.bound


def markdown_table(results: dict[str, dict[str, Any]]) -> str:
    """One row per target: what the course reached, what we aim at, what this run measured."""
    lines = ["| case | test metric | reference | our target | measured | best candidate | met |",
             "| --- | --- | --- | --- | --- | --- | --- |"]
    for target in (t for t in TARGETS if t.use_case in results):
        trained = results[target.use_case]
        value = trained["metrics"][target.metric]
        shown = f"{value:,.0f}".replace(",", " ") if abs(value) >= 100 else f"{value:.4f}"
        lines.append(f"| {target.use_case} | {target.metric} | {target.reference} | {target.goal} | {shown} "
                     f"| {trained['candidate']} | {'yes' if met(target, value) else 'no'} |")
    return "\n".join(lines)


def run_reference(root: str, use_cases: list[str], extra: list[str] = ()) -> dict[str, dict[str, Any]]:
    """Ingest, features, train and gate for each use case in its own lakehouse under `root`; each
    stage prints the progress line it prints as a job."""
    results = {}
    for use_case in use_cases:
        overrides = [f"lakehouse.root={root}/{use_case}/lakehouse",
                     f"mlflow.tracking_uri=sqlite:///{root}/{use_case}/mlflow.db",
                     f"mlflow.artifact_location={root}/{use_case}/mlartifacts", *extra]
        args = job_parser(__doc__).parse_args(["--use-case", use_case, *[a for o in overrides for a in ("--set", o)]])
        context = open_context(args)
        ingest.STAGE.run(ingest.ingest, context)
        features.STAGE.run(features.build_features, context)
        trained = train.STAGE.run(train.train, context)
        trained["gate"] = promote.STAGE.run(promote.promote, context)
        results[use_case] = trained
    return results


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--root", default=None, help="folder for the lakehouses and MLflow stores (default: a temp dir)")
    parser.add_argument("--use-case", action="append", dest="use_cases", help="default: house_prices and titanic")
    parser.add_argument("-v", "--verbose", action="store_true",
                        help="more log output (DEBUG for the project, INFO for Spark) and tracebacks")
    parser.add_argument("--debug", action="store_true", help="print the traceback of an error too")
    args = parser.parse_args(argv)
    # The same logging, and the same one-line errors, as every job.
    configure_logging(args.verbose)
    root = args.root or tempfile.mkdtemp(prefix="reference-")
    with foreseeable_errors(args):
        results = run_reference(root, args.use_cases or ["house_prices", "titanic"])
    print(markdown_table(results))
    for use_case, trained in results.items():
        print(f"{use_case}: report {trained['report']}; gate: {'; '.join(trained['gate']['reasons'])}")


if __name__ == "__main__":
    main()
