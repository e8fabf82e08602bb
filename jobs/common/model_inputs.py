"""The rows a model learns from: the labelled silver table at one Delta version, split into
train / test, with the label mapped to a number, and its training rows as tuning takes them.
Shared by the features, selection, train and promote jobs, so each sees the same rows, split
and label."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from pyspark.errors import AnalysisException
from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from jobs.common.cli import JobContext
from jobs.common.config import ConfigError, Settings
from jobs.common.model_setup import training_plan
from transforms.modeling.labels import LabelMapping, apply_label, check_labels
from transforms.modeling.split import SPLIT_COLUMN, TRAIN, configured_split
from transforms.modeling.training import prepared_training_rows

log = logging.getLogger(__name__)

# The column `configured_split` adds ('train' / 'test'), whatever the split table calls its own.


def model_input_columns(columns: list[str], label: str, leaks: list[str] = ()) -> list[str]:
    """The raw columns a deployed model takes: all but the label, leaks and bookkeeping."""
    return [c for c in columns if c != label and c not in leaks and not c.startswith("_")]


def label_mapping(settings: Settings) -> LabelMapping:
    use_case = settings.use_case
    return LabelMapping(use_case.label, use_case.positive_label, use_case.negative_label)


def with_split(context: JobContext, source: DataFrame, split_version: int | None = None) -> DataFrame:
    """The configured split: a split table (at `split_version`, else its current version) joined
    on its columns, else a hash of the key."""
    config, tables = context.settings.split, context.tables
    splits = None
    if config.table:
        splits = tables.read(config.table) if split_version is None else tables.read_version(config.table, split_version)
        report_absent_split_keys(tables.qualified(config.table), splits, source,
                                 config.join_on or context.settings.use_case.key, config.column)
    return configured_split(source, context.settings.use_case.key, config.test_fraction, config.seed, splits,
                            config.join_on, config.column)


def with_split_column(context: JobContext, frame: DataFrame, table: str) -> DataFrame:
    """`frame` (the table `table`) as it is, when it holds the split column; else with the
    configured split (`with_split`), whose split table is joined on columns `frame` must have."""
    if SPLIT_COLUMN in frame.columns:
        return frame
    config = context.settings.split
    join_on = (config.join_on or context.settings.use_case.key) if config.table else context.settings.use_case.key
    if missing := [c for c in join_on if c not in frame.columns]:
        how = f"the split table {config.table!r}, joined on" if config.table else "the hash split, of the key"
        raise ConfigError(f"table {table!r} has no {SPLIT_COLUMN!r} column, and {how} {', '.join(join_on)}, "
                          f"needs column(s) it lacks: {', '.join(missing)} (columns: {', '.join(frame.columns)})")
    return with_split(context, frame)


def absent_split_keys(splits: DataFrame, source: DataFrame, on: list[str], split_column: str) -> dict[str, int]:
    """Per split part, how many of the split table's keys have no row in `source`."""
    absent = splits.join(source.select(*on).distinct(), on=on, how="left_anti")
    return {str(row[0]): row[1] for row in absent.groupBy(split_column).count().collect()}


def report_absent_split_keys(table: str, splits: DataFrame, source: DataFrame, on: list[str],
                             split_column: str) -> None:
    """Warn, with the count, when the split table names rows the input table does not have
    (quarantined at ingest, or never landed): they silently shrink the train and test sets."""
    absent = absent_split_keys(splits, source, on, split_column)
    if absent:
        parts = ", ".join(f"{count:,} {part}" for part, count in sorted(absent.items()))
        log.warning("split table %s: %s keys (%s) have no row in the input table (quarantined or never "
                    "ingested); they are neither trained nor tested on", table, f"{sum(absent.values()):,}", parts)


def split_fingerprint(settings: Settings) -> str:
    """What decides which rows are test rows, as training records it and the gate checks it."""
    config = settings.split
    return f"table={config.table} join_on={config.join_on} column={config.column} " \
           f"test_fraction={config.test_fraction} seed={config.seed} key={settings.use_case.key}"


@dataclass(frozen=True)
class LabelledRows:
    """The labelled rows with `split` and a double label, the table version they were read at,
    and the raw columns a model of them takes."""

    rows: DataFrame
    table: str
    version: int
    inputs: list[str]
    split_version: int | None = None  # of the split table, when the split comes from one


def labelled_rows(context: JobContext, version: int | None = None, split_version: int | None = None) -> LabelledRows:
    """`features.input_table` at `version` (default: its current one), split (the split table at
    `split_version`, default its current one), label mapped and checked.

    Rows without a usable label are left out, after `check_labels` made sure they are no more
    than `use_case.max_unlabelled_fraction` of the table.
    """
    settings, tables = context.settings, context.tables
    table = settings.features.input_table
    version = tables.version(table) if version is None else version
    source = tables.read_version(table, version)
    if settings.split.table and split_version is None:
        split_version = tables.version(settings.split.table)
    mapping = label_mapping(settings)
    unlabelled = check_labels(source, mapping, settings.use_case.max_unlabelled_fraction)
    if unlabelled:
        log.warning("%s: %d rows without a usable label %r are left out", tables.qualified(table), unlabelled,
                    mapping.column)
    rows = apply_label(with_split(context, source, split_version), mapping).where(F.col(mapping.column).isNotNull())
    inputs = model_input_columns(source.columns, mapping.column, settings.use_case.leaks)
    return LabelledRows(rows, table, version, inputs, split_version)


def split_part(rows: DataFrame, part: str) -> DataFrame:
    """The rows of one split part (`TRAIN` or `TEST`)."""
    return rows.where(F.col(SPLIT_COLUMN) == part)


def excluded_keys(context: JobContext, source: DataFrame) -> DataFrame | None:
    """Keys of the rows `train.exclude` keeps out of training, judged on the raw input rows."""
    settings = context.settings
    if not settings.train.exclude:
        return None
    try:
        return source.where(settings.train.exclude).select(*settings.use_case.key)
    except AnalysisException as error:
        raise ValueError(f"train.exclude {settings.train.exclude!r}: {error}") from None


def training_rows(settings: Settings, rows: DataFrame, excluded: DataFrame | None = None) -> DataFrame:
    """The training split of `rows` ready for tuning (`prepared_training_rows`), without the rows
    whose key is in `excluded` (`excluded_keys`)."""
    rows = split_part(rows, TRAIN)
    if excluded is not None:
        rows = rows.join(excluded, settings.use_case.key, "left_anti")
    return prepared_training_rows(rows, training_plan(settings))
