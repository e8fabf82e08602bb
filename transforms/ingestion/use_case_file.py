"""The commented use-case YAML `lakehouse-init` writes: every key with a line saying what it is.

It holds what the ingest and train jobs need and nothing they would not read: the use case
(task, key, label, identifiers, label mapping), the lakehouse landing folder, one CSV source
(reader options, null tokens, clean column names with the file's own ones, types), a hash
split, the default feature steps and candidates (transforms.modeling.defaults), the tuning
(with the default outlier rule for regression), and what to score.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from transforms.ingestion.proposal import Proposal
from transforms.ingestion.sniff import Sample
from transforms.ingestion.yaml_text import Entry, Item
from transforms.modeling.defaults import default_outlier_rule

TEST_FRACTION = 0.2
SEED = 0
STAGE_NOTES = {
    "missing_indicator": "a 0/1 column <name>_na saying the value was missing",
    "date_parts": "year, month, day of week (and hour) as numbers",
    "elapsed_time": "days from the first date column to each other one",
    "impute_mean_median": "missing numbers filled with the training median",
    "impute_categorical": "missing text becomes its own 'Missing' level",
    "rare_label": "levels rarer than tol grouped as 'Rare'",
    "one_hot": "one 0/1 column per level (few levels)",
    "ordinal_encode": "levels numbered in the order of their mean label (many levels)",
    "assemble": "the columns the model reads, as one vector",
}
DELIMITER_NAMES = {",": "comma", ";": "semicolon", "\t": "tab", "|": "pipe"}


@dataclass(frozen=True)
class Origin:
    """Where the sample came from and how the file is addressed in the use case."""

    landing: str
    path: str
    encoding: str
    sampled_rows: int
    complete: bool


def _use_case(name: str, proposal: Proposal) -> list[Entry]:
    label = proposal.label
    kind = f"the label is {label.type} with {label.distinct} values"
    key_note = "guessed: unique in the sample" if proposal.key_guessed else "given with --key"
    entries = [
        Entry("name", name, "Name of the use case (MLflow runs, reports)."),
        Entry("task", proposal.task, f"regression or classification; {kind} in the sample."),
        Entry("schema", name, "Schema (namespace) of the use case's tables."),
        Entry("key", proposal.key, f"Columns naming one row ({key_note}); silver keeps one row per key."),
        Entry("label", label.name, "The column the model predicts."),
        Entry("identifiers", proposal.identifiers,
              "Columns that name a row (key, ids, near-unique text): never model inputs."),
        Entry("leaks", proposal.leaks,
              "Guessed leaks (alone they tell the label of nearly every row): never model inputs."),
    ]
    if proposal.positive_label is not None:
        share = label.counts[proposal.positive_label] / max(1, label.rows - label.nulls)
        entries += [
            Entry("positive_label", proposal.positive_label,
                  f"Label value meaning 1: the minority class ({share:.0%} of the sample); swap if wrong."),
            Entry("negative_label", proposal.negative_label, "Label value meaning 0."),
        ]
    return entries


def _options(sample: Sample, origin: Origin) -> list[Entry]:
    dialect = sample.dialect
    options = [
        Entry("header", "true", "The first line names the columns."),
        Entry("delimiter", dialect.delimiter, f"Field separator ({DELIMITER_NAMES[dialect.delimiter]})"
              + (", followed by a space that trim_whitespace removes." if dialect.space_after_delimiter else ".")),
        Entry("encoding", origin.encoding, "Character encoding of the files."),
    ]
    if dialect.doubled_quotes:
        options.append(Entry("escape", '"', 'A quote inside a quoted value is doubled ("").'))
    if dialect.multiline:
        options.append(Entry("multiLine", "true", "Quoted values span lines."))
    return options


def _source(name: str, sample: Sample, origin: Origin, proposal: Proposal) -> Item:
    renamed = {c.name: c.raw_name for c in sample.columns if c.name != c.raw_name}
    line_endings = "CRLF (\\r\\n)" if sample.dialect.line_ending == "\r\n" else "LF (\\n)"
    entries = [
        Entry("name", name, "Name of the source."),
        Entry("path", origin.path, "File or folder under lakehouse.landing."),
        Entry("format", "csv", f"File format; lines end in {line_endings}, which the reader takes as is."),
        Entry("options", _options(sample, origin), "Spark CSV reader options (values are strings)."),
        Entry("table", f"{name}_bronze", "Bronze table: every line as read."),
        Entry("silver_table", f"{name}_silver", "Silver table: typed rows, one per key."),
        Entry("key", proposal.key, "Silver keeps the latest row of each key; a row without one is quarantined."),
        Entry("null_tokens", sample.null_tokens,
              "Values read as null, found in the sample (\"\" also covers blank and whitespace-only values)."),
        Entry("trim_whitespace", True, "Trim values before matching null_tokens and typing."),
    ]
    if renamed:
        entries.append(Entry("file_names", [Entry(clean, raw) for clean, raw in renamed.items()],
                             "Declared column -> its name in the file, where they differ."))
    columns = [Entry(c.name, c.type, note=f"{c.null_fraction:.0%} null, {c.distinct} distinct")
               for c in sample.columns]
    entries.append(Entry("columns", columns,
                         "Column -> Spark SQL type (narrowest all sampled values cast to); a value "
                         "that does not cast is quarantined."))
    return Item(entries, f"The CSV file(s), as sampled ({origin.sampled_rows} rows).")


def _steps(steps: list[dict[str, Any]]) -> list[Item]:
    return [Item([Entry("stage", s["stage"], "Stage (README, Feature stages)."),
                  Entry("columns", s.get("columns", []), "Columns it works on."),
                  Entry("params", s.get("params", {}), "Its parameters (Spark ML names).")],
                 STAGE_NOTES.get(s["stage"], s["stage"])) for s in steps]


def _candidates(candidates: list[dict[str, Any]]) -> list[Item]:
    return [Item([Entry("name", c.get("name", c["algorithm"]), "Candidate name (reports, metrics)."),
                  Entry("algorithm", c["algorithm"], "Estimator (transforms/modeling/estimators.py)."),
                  Entry("params", c.get("params", {}), "Fixed parameters."),
                  Entry("grid", c.get("grid", {}), "Values searched by cross-validation."),
                  Entry("early_stopping", bool(c.get("early_stopping", False)),
                        "Stop adding trees when held-out training rows stop improving.")],
                 f"candidate {c.get('name', c['algorithm'])}") for c in candidates]


def _train(metric: str, outliers: dict[str, float] | None) -> list[Entry]:
    entries = [Entry("tuning", "cross_validation", "How each grid is searched."),
               Entry("folds", 3, "Cross-validation folds."),
               Entry("metric", metric, "Metric candidates are compared on."),
               Entry("seed", SEED, "Seed of the folds.")]
    if outliers is not None:
        entries.append(Entry("outliers", [
            Entry("max_scales", outliers["max_scales"], "Far off: the residual exceeds this many robust scales."),
            Entry("max_share", outliers["max_share"], "At most this share of the training rows, the farthest first.")],
            "Training rows far off a robust (Huber) linear fit of the label (a partial sale, a typo) are left "
            "out of fitting and cross-validation; test rows never are. null: keep every row."))
    return entries


def use_case_entries(name: str, sample: Sample, origin: Origin, proposal: Proposal,
                     steps: list[dict[str, Any]], candidates: list[dict[str, Any]]) -> list[Entry]:
    """The whole file, as entries for yaml_text.render."""
    metric = "roc_auc" if proposal.task == "classification" else "rmse"
    model = [Entry("name", f"{name}_model", "Registered model name in MLflow."),
             Entry("alias", "champion", "Alias scoring uses.")]
    if proposal.log_target:
        model.append(Entry("target_transform", "log",
                           "The label is positive and skewed: fit log(label), predict on its scale."))
    model.append(Entry("candidates", _candidates(candidates), "Algorithms compared; the best by CV is registered."))
    return [
        Entry("use_case", _use_case(name, proposal), "What is predicted, from which rows."),
        Entry("lakehouse", [Entry("landing", origin.landing,
                                  "Folder source paths are relative to (relative: to where jobs run).")],
              "Where the files are."),
        Entry("sources", [_source(name, sample, origin, proposal)], "Files ingested into bronze and silver."),
        Entry("split", [Entry("test_fraction", TEST_FRACTION, "Share of rows held out for test."),
                        Entry("seed", SEED, "Seed of the hash of the key that picks test rows.")],
              "Train / test split (add `table:` to use a split table of your own)."),
        Entry("features", [Entry("input_table", f"{name}_silver", "Table the model learns from."),
                           Entry("output_table", f"{name}_features", "Feature table (analysis only)."),
                           Entry("steps", _steps(steps), "Default feature pipeline for these column types.")],
              "The feature pipeline, part of the registered model."),
        Entry("model", model, "The model and the candidates tried."),
        Entry("train", _train(metric, default_outlier_rule(proposal.task)), "Tuning, on the training split only."),
        Entry("score", [Entry("input_table", f"{name}_silver", "Table scored by lakehouse-score."),
                        Entry("output_table", "predictions", "Table predictions are written to.")],
              "Batch scoring."),
    ]
