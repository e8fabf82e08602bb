"""The rows a model learns from: the labelled silver table at one Delta version, split into
train / test, with the label mapped to a number. Shared by the features, selection and train
jobs, so each sees the same rows, split and label."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from jobs.common.cli import JobContext
from jobs.common.config import Settings
from transforms.modeling.labels import LabelMapping, apply_label, check_labels
from transforms.modeling.split import configured_split

log = logging.getLogger(__name__)


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
    return configured_split(source, context.settings.use_case.key, config.test_fraction, config.seed, splits,
                            config.join_on, config.column)


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
