"""Markdown tables of the pipeline benchmark's stage records."""

from __future__ import annotations

from typing import Any

from bench import pipeline_spec as spec
from bench.measure import GIB

Records = dict[str, dict[str, Any]]
MB = 1e6


def _seconds(record: dict[str, Any] | None, status: str) -> str:
    if record is None or "seconds" not in record:
        return "—" if status == "ok" else status
    return f"{record['seconds']:.1f}"


def _throughput(record: dict[str, Any] | None) -> str:
    if not record or not record.get("rows") or not record.get("seconds"):
        return "—"
    return f"{record['rows'] / record['seconds']:,.0f}"


def _memory(record: dict[str, Any] | None) -> str:
    return f"{record['peak_rss'] / GIB:.2f}" if record and "peak_rss" in record else "—"


def _quality(record: dict[str, Any] | None) -> str:
    if not record or "quality" not in record:
        return ""
    quality = record["quality"]
    return f"RMSE {quality['rmse']:,.0f}, R² {quality['r2']:.4f}"


def _ratio(ours: dict[str, Any] | None, theirs: dict[str, Any] | None) -> str:
    if not ours or not theirs or not theirs.get("seconds") or "seconds" not in ours:
        return "—"
    return f"{ours['seconds'] / theirs['seconds']:.2f}"


def end_to_end(records: Records) -> dict[str, Any] | None:
    """The user's pipeline (spec.END_TO_END) summed; None unless every stage finished."""
    stages = [records.get(s) for s in spec.END_TO_END]
    if any(s is None or "seconds" not in s for s in stages):
        return None
    return {"rows": records[spec.INGEST]["rows"], "seconds": sum(s["seconds"] for s in stages),
            "peak_rss": max(s["peak_rss"] for s in stages)}


def pipeline_table(rows: int, project: Records, project_status: str, pandas: Records,
                   pandas_status: str) -> str:
    header = ("| stage | rows | project s | project rows/s | project peak held GiB | pandas s | pandas rows/s "
              "| pandas peak held GiB | project / pandas | project quality (test) | pandas quality (test) |")
    lines = [f"### {rows:,} rows", "", header, "|" + "---|" * 11]
    stages = [(s, project.get(s), pandas.get(s)) for s in spec.STAGES]
    stages.append(("**end to end**", end_to_end(project), end_to_end(pandas)))
    for name, ours, theirs in stages:
        count = (ours or theirs or {}).get("rows", 0)
        theirs_status = "ok" if name in spec.PANDAS_SKIPS else pandas_status
        lines.append(" | ".join([
            f"| {name}", f"{count:,}" if count else "—",
            _seconds(ours, project_status), _throughput(ours), _memory(ours),
            _seconds(theirs, theirs_status), _throughput(theirs), _memory(theirs),
            _ratio(ours, theirs), _quality(ours), _quality(theirs)]) + " |")
    return "\n".join(lines)


def spark_table(project: Records) -> str:
    """Jobs, task time and bytes moved per stage, from the Spark REST API."""
    lines = ["| stage | Spark jobs | task s | input MB | shuffle read MB | shuffle write MB | output MB |",
             "|" + "---|" * 7]
    for stage in spec.STAGES:
        metrics = project.get(stage, {}).get("spark")
        if metrics:
            lines.append(
                f"| {stage} | {metrics['jobs']} | {metrics['task_seconds']:.1f} | "
                f"{metrics['input_bytes'] / MB:,.1f} | {metrics['shuffle_read_bytes'] / MB:,.1f} | "
                f"{metrics['shuffle_write_bytes'] / MB:,.1f} | {metrics['output_bytes'] / MB:,.1f} |")
    return "\n".join(lines)


def scaling_table(runs: dict[str, tuple[Records, str]], cores: dict[str, int], base: str, detail: str) -> str:
    """Seconds per stage for each configuration; parallel efficiency = T(base) / (cores * T).

    Shuffle volume and how busy the task slots were come from the `detail` configuration.
    """
    names = list(runs)
    header = "| stage | " + " | ".join(f"{n} s" for n in names) + " | " + " | ".join(
        f"efficiency {n}" for n in names if n != base) + f" | shuffle MB ({detail}) | task time / (wall * cores) ({detail}) |"
    lines = [header, "|" + "---|" * (2 * len(names) + 2)]
    for stage in spec.STAGES:
        records = {n: runs[n][0].get(stage) for n in names}
        cells = [_seconds(records[n], runs[n][1]) for n in names]
        reference = records[base]
        for n in names:
            if n == base:
                continue
            done = reference and records[n] and "seconds" in reference and "seconds" in records[n]
            cells.append(f"{reference['seconds'] / (cores[n] * records[n]['seconds']):.2f}" if done else "—")
        metrics = (records[detail] or {}).get("spark")
        if metrics:
            shuffle = (metrics["shuffle_read_bytes"] + metrics["shuffle_write_bytes"]) / MB
            busy = metrics["task_seconds"] / (cores[detail] * records[detail]["seconds"])
            cells += [f"{shuffle:,.1f}", f"{busy:.2f}"]
        else:
            cells += ["—", "—"]
        lines.append(f"| {stage} | " + " | ".join(cells) + " |")
    return "\n".join(lines)
