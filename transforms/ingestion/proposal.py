"""A use case proposed from a sniffed sample: task, label mapping, key and identifiers.

Guesses a person confirms, each stated in the generated file's comments: a text or few-valued
label is classification (the minority class is the positive one), a skewed positive label is
learnt on the log scale, and columns that name a row (a row number, an `id` column, text that
hardly repeats) are identifiers, never model inputs; the first such column unique in the sample
is the key when none is given, else the first unique pair of complete columns. A column that
alone tells the class of nearly every row is guessed to be a leak (known only with the outcome).
"""

from __future__ import annotations

import re
import statistics
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import combinations

from transforms.ingestion.sniff import Column, Sample, SniffError

NUMERIC_TYPES = ("int", "bigint", "double")
# A numeric label with at most this many values is a class, not a quantity.
MAX_CLASSES = 10
# Text in which at least this share of the values differ names rows (a name, an e-mail).
NEAR_UNIQUE = 0.95
MIN_ROWS_FOR_NEAR_UNIQUE = 20
# Sample skewness above which a positive regression label is fitted on the log scale.
SKEWED = 1.0
# A column that alone tells the class of this share of rows (each row judged by the other rows
# with its value) is known with the outcome, not before it: a leak guess (a lifeboat number).
LEAK_ACCURACY = 0.95
# Or whose presence (or absence) goes with one class in this share of at least MIN_SIDE rows:
# a value recorded only after the outcome (a body number, a cancellation date).
LEAK_PURITY = 0.99
MIN_SIDE = 0.05
# Complete columns tried in pairs for a key, the most distinct first.
KEY_PAIR_CANDIDATES = 12
_ID_NAME = re.compile(r"(^|_)(id|uuid|guid)$|^id_")


@dataclass(frozen=True)
class Proposal:
    task: str
    label: Column
    key: list[str]
    key_guessed: bool
    identifiers: list[str]
    leaks: list[str]
    positive_label: str | None
    negative_label: str | None
    log_target: bool
    # Columns left for the model: all but the label and the identifiers.
    inputs: list[Column]


def _is_identifier(column: Column, rows: int) -> bool:
    if column.increasing:
        return True
    if _ID_NAME.search(column.name) and column.type in ("int", "bigint", "string"):
        return column.distinct >= NEAR_UNIQUE * (column.rows - column.nulls)
    return (column.type == "string" and rows >= MIN_ROWS_FOR_NEAR_UNIQUE
            and column.distinct >= NEAR_UNIQUE * rows)


def _distinct_keys(sample: Sample, key: Sequence[str]) -> int:
    """How many distinct complete keys the sampled rows have."""
    position = [next(i for i, c in enumerate(sample.columns) if c.name == k) for k in key]
    values = ([r[i].strip() for i in position] for r in sample.records)
    return len({tuple(v) for v in values if not any(x in sample.null_tokens for x in v)})


def _unique_pair(sample: Sample) -> list[str] | None:
    complete = [c for c in sample.columns if c.nulls == 0 and c.type != "double"]
    ranked = sorted(complete, key=lambda c: -c.distinct)[:KEY_PAIR_CANDIDATES]
    return next(([a.name, b.name] for a, b in combinations(ranked, 2)
                 if _distinct_keys(sample, [a.name, b.name]) == sample.rows), None)


def _alone_accuracy(values: Sequence[str], labels: Sequence[str]) -> float:
    """Share of rows whose class is the most common one among the other rows with their value
    (a value no other row has: the most common class overall), so unique values earn nothing."""
    overall = Counter(labels).most_common(1)[0][0]
    by_value: dict[str, Counter[str]] = {}
    for value, label in zip(values, labels, strict=True):
        by_value.setdefault(value, Counter())[label] += 1
    right = 0
    for value, label in zip(values, labels, strict=True):
        others = by_value[value].copy()
        others[label] -= 1
        guess = others.most_common(1)[0][0] if sum(others.values()) else overall
        right += guess == label
    return right / len(labels)


def _leaks(sample: Sample, target: Column, candidates: Sequence[Column]) -> list[str]:
    """Columns that tell a class label almost alone, much better than guessing the commonest class."""
    position = {c.name: i for i, c in enumerate(sample.columns)}
    labelled = [r for r in sample.records if r[position[target.name]].strip() not in sample.null_tokens]
    if not labelled:
        return []
    labels = [r[position[target.name]].strip() for r in labelled]
    base = Counter(labels).most_common(1)[0][1] / len(labels)
    bar = max(LEAK_ACCURACY, 1 - (1 - base) / 4)
    leaks = []
    for column in candidates:
        values = [r[position[column.name]].strip() for r in labelled]
        present = [v not in sample.null_tokens for v in values]
        if _alone_accuracy(values, labels) >= bar or _one_class_side(present, labels):
            leaks.append(column.name)
    return leaks


def _one_class_side(present: Sequence[bool], labels: Sequence[str]) -> bool:
    """Whether the rows with a value, or those without, are (nearly) all of one class that is not
    nearly all rows anyway."""
    overall = Counter(labels)
    for side in (True, False):
        classes = Counter(label for has, label in zip(present, labels, strict=True) if has == side)
        size = sum(classes.values())
        if size < max(MIN_ROWS_FOR_NEAR_UNIQUE, MIN_SIDE * len(labels)):
            continue
        label, count = classes.most_common(1)[0]
        if count >= LEAK_PURITY * size and overall[label] < LEAK_PURITY * len(labels) * 0.9:
            return True
    return False


def _label_classes(label: Column) -> tuple[str | None, str | None]:
    """Positive and negative label values for a two-valued label that is not already 0 / 1."""
    if len(label.counts) != 2 or label.type == "boolean" or set(label.counts) <= {"0", "1"}:
        return None, None
    # The minority class is the one to find (the churner, the high earner); ties: the later name.
    (negative, _), (positive, _) = sorted(label.counts.items(), key=lambda item: (-item[1], item[0]))
    return positive, negative


def _skewed(values: list[float]) -> bool:
    if len(values) < 3 or min(values) <= 0:
        return False
    spread = statistics.pstdev(values)
    mean = statistics.fmean(values)
    return spread > 0 and statistics.fmean(((v - mean) / spread) ** 3 for v in values) > SKEWED


def propose(sample: Sample, label: str, key: Sequence[str] = ()) -> Proposal:
    """The use case's guesses for `sample`, with `key` (names as written or clean) when given."""
    target = sample.column(label)
    if target.nulls == target.rows:
        raise SniffError(f"label {label!r} has no value in the {sample.rows} sampled rows")
    classes = target.type not in NUMERIC_TYPES or target.distinct <= MAX_CLASSES
    task = "classification" if classes else "regression"
    positive, negative = _label_classes(target) if classes else (None, None)
    identifiers = [c.name for c in sample.columns if c is not target and _is_identifier(c, sample.rows)]
    keys = [sample.column(k).name for k in key]
    guessed = not keys
    if guessed:
        unique = next((c.name for c in sample.columns if c.name in identifiers and c.unique), None)
        keys = [unique] if unique else _unique_pair(sample) or []
    if not keys:
        raise SniffError(f"no column or pair of columns is unique in the {sample.rows} sampled rows: "
                         "give the key with --key COLUMN[,COLUMN]")
    if target.name in keys:
        raise SniffError(f"the label {target.name!r} cannot be part of the key")
    if (distinct := _distinct_keys(sample, keys)) < sample.rows:
        # Silver keeps one row per key: a key that repeats (or is missing) would lose rows.
        raise SniffError(f"key {keys} names {distinct} distinct complete keys in {sample.rows} sampled rows: "
                         "give a key unique per row with --key COLUMN[,COLUMN]")
    identifiers = list(dict.fromkeys([*keys, *identifiers]))
    rest = [c for c in sample.columns if c is not target and c.name not in identifiers]
    leaks = _leaks(sample, target, rest) if classes else []
    inputs = [c for c in rest if c.name not in leaks]
    log_target = task == "regression" and _skewed(sample.numbers.get(target.name, []))
    return Proposal(task, target, keys, guessed, identifiers, leaks, positive, negative, log_target, inputs)
