"""Typed, validated configuration from layered YAML files.

A run's configuration is three files merged key by key, later ones winning:
``base.yml`` < ``env/<env>.yml`` < ``use_cases/<use case>.yml``, then ``--set key=value``
overrides. Every key must be known: a typo or a missing value fails at start-up with the file
that set it, the dotted key and what was expected, never half-way through a Spark job. So do
the feature steps, selectors and candidates: they are built once, without data, at load.
"""

from __future__ import annotations

import hashlib
import json
import re
from datetime import date
from importlib import resources
from importlib.abc import Traversable
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from jobs.common import bounded_yaml
from jobs.common.config_defaults import UndecidedKeyError, fill_derived, silver_name
from jobs.common.config_pipeline import pipeline_problems
from jobs.common.config_types import (
    ColumnName,
    Folder,
    Grid,
    HeaderName,
    Identifier,
    LandingFolder,
    Params,
    RelativePath,
    Seed,
)
from transforms.ingestion.freshness import parse_duration
from transforms.modeling.defaults import OUTLIER_MAX_SCALES, OUTLIER_MAX_SHARE
from transforms.modeling.split import SPLIT_COLUMN


class ConfigError(ValueError):
    """A configuration file is missing, malformed or does not match the expected schema."""


# Upper bounds far above any real run, low enough that Spark and the JVM never see an overflow.
MAX_ROWS = 10**11
MAX_PARTITIONS = 100_000
MAX_PARALLELISM = 1024


class _Strict(BaseModel):
    # No NaN or infinity: `.inf` in YAML would pass every bound and fail in Spark or MLflow.
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


class SparkSettings(_Strict):
    app_name: str
    master: str
    conf: dict[str, str] = Field(default_factory=dict)
    # A Spark Connect server (sc://host:port) to run against instead of a local driver, as
    # Databricks Connect and serverless compute do; the server's own configuration applies.
    remote: str | None = None

    @field_validator("conf", mode="before")
    @classmethod
    def _stringify(cls, value: Any) -> Any:
        # YAML reads `8` and `false` as int and bool; Spark conf values are strings.
        if isinstance(value, dict):
            return {k: str(v).lower() if isinstance(v, bool) else str(v) for k, v in value.items()}
        return value


class LakehouseSettings(_Strict):
    root: Folder
    landing: LandingFolder
    catalog: Identifier | None = None


class MlflowSettings(_Strict):
    tracking_uri: str
    registry_uri: str | None = None
    artifact_location: Folder | None = None
    experiment: str
    # Through Spark Connect the server writes a fitted pipeline here and the client moves it
    # into the logged model, so both must see this folder as the same local path (one machine,
    # a shared mount, a Unity Catalog volume). Null: _models/staging under the lakehouse root.
    model_staging: Folder | None = None


class UseCaseSettings(_Strict):
    name: str
    # Left out: from the label's declared type where it decides (see config_defaults.py).
    task: Literal["regression", "classification"]
    schema_: Identifier = Field(alias="schema")
    key: list[ColumnName] = Field(min_length=1)
    label: ColumnName
    # Variables that may not be features: row identifiers, leaks of the target (known only
    # after the outcome) and protected attributes (reported on for fairness, never modelled).
    identifiers: list[ColumnName] = Field(default_factory=list)
    leaks: list[ColumnName] = Field(default_factory=list)
    protected: list[ColumnName] = Field(default_factory=list)
    # Classification with a text label: the value meaning 1, and the one meaning 0 (unset: any
    # other value). Rows whose label maps to neither (or is null) may be at most this fraction
    # of the labelled table; they are left out of training and test.
    positive_label: str | None = None
    negative_label: str | None = None
    max_unlabelled_fraction: float = Field(default=0.0, ge=0, le=1)

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True, allow_inf_nan=False)

    @field_validator("positive_label", "negative_label", mode="before")
    @classmethod
    def _label_value_as_text(cls, value: Any) -> Any:
        if isinstance(value, bool):
            raise ValueError('YAML reads a bare Yes / No / true / false as a boolean: quote the label, '
                             'e.g. positive_label: "Yes"')
        return str(value) if isinstance(value, int | float) else value

    @model_validator(mode="after")
    def _labels_are_for_classification(self) -> UseCaseSettings:
        if self.task != "classification" and (self.positive_label is not None or self.negative_label is not None):
            raise ValueError("positive_label / negative_label are for a classification use case")
        if self.negative_label is not None and self.positive_label is None:
            raise ValueError("negative_label needs positive_label")
        return self


class GeneratorSettings(_Strict):
    dataset: Literal["house_sales"]
    rows: int = Field(gt=0, le=MAX_ROWS)
    score_rows: int = Field(ge=0, le=MAX_ROWS)
    seed: Seed
    partitions: int = Field(gt=0, le=MAX_PARTITIONS)
    malformed_fraction: float = Field(ge=0, lt=1)


class RangeExpectation(_Strict):
    min: float | None = None
    max: float | None = None


class DateRange(_Strict):
    """The dates a date or timestamp column accepts, both ends included.

    Always bounded: a typo such as year 12345 casts, but no Python reader of silver can load it.
    """

    min: date = date(1900, 1, 1)
    max: date = date(2100, 12, 31)

    @model_validator(mode="after")
    def _ordered(self) -> DateRange:
        if self.min > self.max:
            raise ValueError(f"min {self.min} is after max {self.max}")
        return self


class ExpectationSettings(_Strict):
    """Rules every silver row must meet; a row that breaks one goes to quarantine, named by rule."""

    not_null: list[ColumnName] = Field(default_factory=list)
    ranges: dict[ColumnName, RangeExpectation] = Field(default_factory=dict)
    # Per date/timestamp column; a column not listed gets DateRange's defaults.
    date_ranges: dict[ColumnName, DateRange] = Field(default_factory=dict)
    allowed_values: dict[ColumnName, list[str]] = Field(default_factory=dict)
    patterns: dict[ColumnName, str] = Field(default_factory=dict)


class DriftSettings(_Strict):
    """What to do when a landing file's columns differ from the declared ones.

    Extra columns are never lost: they go to the rescued-data column as JSON, or, with
    `add_new_columns`, become new string columns of bronze and silver. A declared column
    missing from a file, or a value that no longer casts to its declared type, either
    quarantines the rows concerned or fails the job.
    """

    add_new_columns: bool = False
    missing_column: Literal["quarantine", "fail"] = "quarantine"
    type_change: Literal["quarantine", "fail"] = "quarantine"


class SourceContract(_Strict):
    """What is known of a source before its data is trusted: where it comes from, how often it is
    refreshed, who supports it, how complete and biased it is, what it costs. Ingest records it
    in the `sources` table; `max_staleness` (e.g. 36h, 7d) makes ingest warn and monitor fail
    when the newest landing file or ingested row is older."""

    owner: str | None = None
    support: str | None = None
    origin: str | None = None
    refresh: str | None = None
    max_staleness: str | None = None
    completeness: str | None = None
    bias: str | None = None
    cost: str | None = None

    @field_validator("max_staleness")
    @classmethod
    def _duration(cls, value: str | None) -> str | None:
        if value is not None:
            parse_duration(value)
        return value


class SourceSettings(_Strict):
    name: Identifier
    path: RelativePath
    format: Literal["csv", "json", "parquet"]
    options: dict[str, str] = Field(default_factory=dict)
    table: Identifier
    quarantine_table: Identifier | None = None
    # Ordered column name -> Spark SQL type. A null type removes a column inherited through a
    # YAML merge key (`<<: *columns`), e.g. the label in an unlabelled scoring source.
    columns: dict[ColumnName, str | None]
    # Declared column -> its name in the files where the two differ (e.g. home_dest: home.dest).
    file_names: dict[ColumnName, HeaderName] = Field(default_factory=dict)
    silver_table: Identifier | None = None
    # Silver keeps one row per key: the one with the greatest `order_by` (ties: latest batch).
    key: list[ColumnName] = Field(default_factory=list)
    order_by: ColumnName = "_ingested_at"
    # Values read as null in silver besides the reader's own `nullValue` (e.g. "NA", "?").
    null_tokens: list[str] = Field(default_factory=list)
    trim_whitespace: bool = True
    expectations: ExpectationSettings = Field(default_factory=ExpectationSettings)
    drift: DriftSettings = Field(default_factory=DriftSettings)
    # Fail the job (after writing the quarantine) when a batch quarantines more than this share.
    max_quarantined_fraction: float = Field(default=1.0, ge=0, le=1)
    max_files_per_trigger: int = Field(default=100, gt=0, le=MAX_PARTITIONS)
    audit_table: Identifier = "ingest_audit"
    contract: SourceContract | None = None

    @property
    def declared_columns(self) -> dict[str, str]:
        return {name: type_ for name, type_ in self.columns.items() if type_ is not None}

    @property
    def quarantine(self) -> str:
        return self.quarantine_table or f"{self.table}_quarantine"

    @property
    def silver(self) -> str:
        return silver_name(self.table, self.silver_table)


class SplitSettings(_Strict):
    # The hash split's share of test rows and its seed; unused when `table` assigns the split.
    test_fraction: float | None = Field(default=None, gt=0, lt=1)
    seed: Seed = 0
    # A table that assigns each row its split (e.g. a reference course's split), joined on
    # `join_on` (default: the use case's key), instead of the hash of the key; `column` holds
    # 'train' / 'test'. A join value that maps to both splits puts its rows in test, so no
    # row of the reference test split is ever trained on.
    table: Identifier | None = None
    column: ColumnName = SPLIT_COLUMN
    join_on: list[ColumnName] = Field(default_factory=list)

    @model_validator(mode="after")
    def _some_split(self) -> SplitSettings:
        if self.table is None and self.test_fraction is None:
            raise ValueError("set split.table (a table of train / test per row) or split.test_fraction")
        return self


class FeatureStep(_Strict):
    stage: str
    columns: list[ColumnName] = Field(default_factory=list)
    params: Params = Field(default_factory=dict)


class FeatureSettings(_Strict):
    input_table: Identifier
    output_table: Identifier
    # None: training chooses them from the columns' types and cardinalities (modeling/defaults.py).
    steps: list[FeatureStep] = Field(default_factory=list)


class SelectionStepSettings(_Strict):
    selector: str
    params: Params = Field(default_factory=dict)


class SelectionSettings(_Strict):
    """Feature selection: selectors fitted on the training split of the feature table."""

    input_table: Identifier
    output_table: Identifier
    report_table: Identifier
    features_col: ColumnName = "features"
    steps: list[SelectionStepSettings] = Field(min_length=1)


class CandidateSettings(_Strict):
    """One algorithm to tune: fixed `params` plus a `grid` of values to search (Spark names)."""

    algorithm: str
    name: str | None = None
    params: Params = Field(default_factory=dict)
    grid: Grid = Field(default_factory=dict)
    # Boosted trees: stop adding trees when a held-out slice of the training rows stops improving.
    early_stopping: bool = False

    @property
    def label(self) -> str:
        return self.name or self.algorithm


class ModelSettings(_Strict):
    """The registered model. `alias` is the alias scoring uses (the champion); training
    registers each new best candidate under `challenger_alias`, the gate moves `alias`."""

    # Unity Catalog registers it as <catalog>.<schema>.<name>: an identifier like the others.
    name: Identifier
    algorithm: str | None = None
    params: Params = Field(default_factory=dict)
    alias: str = "champion"
    challenger_alias: str = "challenger"
    # Fit on log(label) and predict exp(.) back: metrics and the registered model use the label's scale.
    target_transform: Literal["none", "log"] = "none"
    # Neither candidates nor algorithm: training uses the default candidates (modeling/defaults.py).
    candidates: list[CandidateSettings] = Field(default_factory=list)

    def candidate_list(self) -> list[CandidateSettings]:
        """The configured candidates; a bare `algorithm` + `params` is a single one with no grid;
        none when neither is set."""
        if self.candidates:
            return list(self.candidates)
        return [CandidateSettings(algorithm=self.algorithm, params=self.params)] if self.algorithm else []


class OutlierSettings(_Strict):
    """Regression: training rows far off a robust (Huber loss) linear fit of the label are left
    out of fitting and cross-validation (transforms/modeling/outliers.py); test rows never are."""

    # Residual beyond this many robust scales (under 3, ordinary rows of a normal label would go).
    max_scales: float = Field(default=OUTLIER_MAX_SCALES, ge=3, le=1000)
    # At most this share of the training rows, the farthest first (more is no longer a few rows).
    max_share: float = Field(default=OUTLIER_MAX_SHARE, gt=0, le=0.05)


class TrainSettings(_Strict):
    """How candidates are tuned (on the training split only) and the best one chosen."""

    tuning: Literal["cross_validation", "train_validation_split"] = "cross_validation"
    folds: int = Field(default=3, ge=2, le=100)
    train_ratio: float = Field(default=0.8, gt=0, lt=1)
    # Default: rmse for regression, roc_auc for classification.
    metric: str | None = None
    seed: Seed = 0
    # Parameter maps fitted at once; default: the session's task slots (jobs/common/task_slots.py).
    parallelism: int | None = Field(default=None, gt=0, le=MAX_PARALLELISM)
    validation_fraction: float = Field(default=0.1, gt=0, lt=1)
    early_stopping_rounds: int = Field(default=20, gt=0, le=100_000)
    # SQL condition on the feature input table's columns: training rows that match it are not
    # fitted on (e.g. known bad records); test rows are always assessed.
    exclude: str | None = None
    # Leave out training rows far off a robust linear fit (regression; default for default candidates).
    outliers: OutlierSettings | None = None


class ValueMatrixSettings(_Strict):
    """Value of each outcome of acting on a prediction (a cost is negative)."""

    true_positive: float = 0.0
    false_positive: float = 0.0
    false_negative: float = 0.0
    true_negative: float = 0.0


class AssessmentSettings(_Strict):
    """Business terms of the assessment; the HTML report goes to `report_dir` (default under the lakehouse)."""

    value_matrix: ValueMatrixSettings | None = None
    # Regression: a prediction within ±tolerance of the truth is worth `value_within_tolerance`;
    # every unit of absolute error costs `cost_per_unit_error`.
    tolerance: float = Field(default=0.1, gt=0, le=1)
    value_within_tolerance: float = 0.0
    cost_per_unit_error: float = 0.0
    report_dir: Folder | None = None


class GateSettings(_Strict):
    """Promotion of the challenger to the scoring alias."""

    # Default: the training metric.
    metric: str | None = None
    # The challenger must beat the champion by this fraction of the champion's metric.
    margin: float = Field(default=0.0, ge=0, le=1)
    # Absolute bounds on test metrics, e.g. {r2: {min: 0.8}, rmse: {max: 40000}}.
    thresholds: dict[str, RangeExpectation] = Field(default_factory=dict)


class IncrementalSettings(_Strict):
    """Which input rows a scheduled score run takes.

    `watermark`: only rows whose `watermark_column` is later than the greatest value an earlier
    batch scored (recorded in the score audit table); works on any input table, no Change Data
    Feed needed. `none`: every row, every run.
    """

    mode: Literal["watermark", "none"] = "watermark"
    watermark_column: ColumnName = "_ingested_at"


class ScoreSettings(_Strict):
    input_table: Identifier
    output_table: Identifier
    alias: str | None = None
    pass_through: list[ColumnName] = Field(default_factory=list)
    # Registry version to score with instead of the alias (pinning, rollback).
    version: str | None = Field(default=None, pattern=r"^[1-9][0-9]{0,9}$")
    incremental: IncrementalSettings = Field(default_factory=IncrementalSettings)
    # Classifiers: label = probability of the positive class >= threshold, unless the model
    # version carries a `decision_threshold` tag.
    threshold: float = Field(default=0.5, gt=0, lt=1)
    quarantine_table: Identifier | None = None
    audit_table: Identifier = "score_audit"
    latest_view: Identifier | None = None
    # A date or timestamp model input outside these years is quarantined, not scored: a typo
    # (0202, 20201) is no date a model learnt from.
    min_year: int = Field(default=1900, ge=1, le=9999)
    max_year: int = Field(default=2100, ge=1, le=9999)

    @property
    def quarantine(self) -> str:
        return self.quarantine_table or f"{self.output_table}_quarantine"

    @property
    def latest(self) -> str:
        return self.latest_view or f"{self.output_table}_latest"


class MonitoringSettings(_Strict):
    """Drift of each scoring batch against the training reference, and delayed-label metrics."""

    reference_table: Identifier
    # Rows of the reference table that trained the model, e.g. "split = 'train'".
    reference_filter: str | None = None
    numeric_features: list[ColumnName] = Field(default_factory=list)
    categorical_features: list[ColumnName] = Field(default_factory=list)
    bins: int = Field(default=10, ge=2, le=1000)
    psi_threshold: float = Field(default=0.2, gt=0)
    ks_threshold: float = Field(default=0.2, gt=0, le=1)
    output_table: Identifier = "score_monitoring"
    # Labels that arrive after scoring: a table holding the use case's key and label column.
    label_table: Identifier | None = None
    label_column: ColumnName | None = None
    # Fail when the metric crosses this bound (rmse above it; for classifiers, accuracy below).
    metric_threshold: float | None = None


class LineageSettings(_Strict):
    """Where a run's code came from, when the job cannot ask git (a Databricks job has no .git):
    the bundle passes `--set lineage.git_commit=${bundle.git.commit}`."""

    git_commit: str | None = None
    bundle_target: str | None = None


class Settings(_Strict):
    """The whole configuration of one use case in one environment."""

    runtime: Literal["local", "databricks"]
    spark: SparkSettings
    lakehouse: LakehouseSettings
    mlflow: MlflowSettings
    use_case: UseCaseSettings
    generator: GeneratorSettings | None = None
    sources: list[SourceSettings] = Field(default_factory=list)
    split: SplitSettings
    features: FeatureSettings
    selection: SelectionSettings | None = None
    model: ModelSettings
    train: TrainSettings = Field(default_factory=TrainSettings)
    assessment: AssessmentSettings = Field(default_factory=AssessmentSettings)
    gate: GateSettings = Field(default_factory=GateSettings)
    score: ScoreSettings
    monitoring: MonitoringSettings | None = None
    lineage: LineageSettings = Field(default_factory=LineageSettings)

    def source(self, name: str) -> SourceSettings:
        for source in self.sources:
            if source.name == name:
                return source
        known = ", ".join(s.name for s in self.sources) or "none"
        raise ConfigError(f"unknown source {name!r}; configured sources: {known}")

    def fingerprint(self) -> str:
        """A short hash of the effective configuration, logged as lineage with each model."""
        payload = json.dumps(self.model_dump(mode="json", by_alias=True), sort_keys=True)
        return hashlib.sha256(payload.encode()).hexdigest()[:16]


def default_conf_dir() -> Traversable:
    """The `conf` folder shipped in the wheel (or the source checkout).

    A Traversable, not a Path: when the wheel is a zip on sys.path (spark-submit --py-files)
    the folder exists only inside the archive.
    """
    return resources.files("conf")


def load_settings(
    use_case: str,
    env: str = "local",
    conf_dir: str | Path | None = None,
    overrides: list[str] | None = None,
) -> Settings:
    """Load and validate the configuration of `use_case` in environment `env`.

    `use_case` is a name under ``<conf_dir>/use_cases/`` or a path to a YAML file of your own;
    `overrides` are ``dotted.key=value`` strings whose values are parsed as YAML; a key that
    itself holds dots goes in brackets: ``spark.conf[spark.sql.shuffle.partitions]=4``.
    """
    root: Path | Traversable = Path(conf_dir) if conf_dir else default_conf_dir()
    use_case_file: Path | Traversable = Path(use_case)
    if not use_case_file.suffix:
        use_case_file = root / "use_cases" / f"{use_case}.yml"
        if not use_case_file.is_file():
            folder = root / "use_cases"
            known = sorted(f.name[:-4] for f in folder.iterdir() if f.name.endswith(".yml")) if folder.is_dir() else []
            raise ConfigError(f"unknown use case {use_case!r}; known: {', '.join(known) or 'none'} "
                              "(or pass the path of a YAML file of your own)")
    files = [root / "base.yml", root / "env" / f"{env}.yml", use_case_file]

    merged: dict[str, Any] = {}
    origin: dict[tuple[str, ...], str] = {}
    for path in files:
        _merge(merged, _read_yaml(path), origin, str(path), ())
    for override in overrides or []:
        key, sep, raw = override.partition("=")
        keys = _split_key(key)
        if not sep or not keys:
            raise ConfigError(f"--set {override!r}: expected dotted.key=value")
        _merge(merged, _nest(keys, _parse_yaml(raw, f"--set {key}")), origin, f"--set {key}", ())
    try:
        fill_derived(merged)
    except UndecidedKeyError as error:
        raise ConfigError(f"{_origin_of(error.key, origin, files)}: key '{'.'.join(error.key)}': {error}") from None

    try:
        settings = Settings.model_validate(merged)
    except ValidationError as error:
        raise ConfigError(_explain(error, origin, files)) from None
    if problems := pipeline_problems(settings):
        raise ConfigError("\n".join(["invalid configuration:", *(
            f"  {_origin_of(p.key, origin, files)}: key '{'.'.join(p.key)}': {p.message}" for p in problems)]))
    return _resolve_local_paths(settings)


def _read_yaml(path: Path | Traversable) -> dict[str, Any]:
    if not path.is_file():
        raise ConfigError(f"{path}: configuration file not found")
    # One byte past the limit is enough to refuse the file, without reading all of it.
    with path.open("rb") as stream:
        content = _parse_yaml(stream.read(bounded_yaml.MAX_BYTES + 1), str(path))
    if content is None:
        return {}
    if not isinstance(content, dict):
        raise ConfigError(f"{path}: expected a mapping at the top level, got {type(content).__name__}")
    return content


def _parse_yaml(text: str | bytes, where: str) -> Any:
    try:
        return bounded_yaml.load(text)
    except bounded_yaml.YamlLimitError as error:
        raise ConfigError(f"{where}: refused: the YAML {error}") from None
    except yaml.YAMLError as error:
        raise ConfigError(f"{where}: not valid YAML: {error}") from None


_KEY_PART = re.compile(r"\[([^\]]+)\]|([^.\[\]]+)")


def _split_key(key: str) -> list[str]:
    """``a.b[c.d].e`` -> ``["a", "b", "c.d", "e"]``."""
    return [bracketed or plain for bracketed, plain in _KEY_PART.findall(key)]


def _nest(keys: list[str], value: Any) -> dict[str, Any]:
    nested: Any = value
    for key in reversed(keys):
        nested = {key: nested}
    return nested


def _merge(
    target: dict[str, Any],
    update: dict[str, Any],
    origin: dict[tuple[str, ...], str],
    source: str,
    prefix: tuple[str, ...],
) -> None:
    for key, value in update.items():
        path = (*prefix, str(key))
        if isinstance(value, dict) and isinstance(target.get(key), dict):
            _merge(target[key], value, origin, source, path)
        else:
            target[key] = value
        origin[path] = source


def _origin_of(loc: tuple[str, ...], origin: dict[tuple[str, ...], str], files: list[Path]) -> str:
    """The file (or --set) that set the key `loc` or the nearest mapping holding it."""
    return next(
        (origin[loc[:i]] for i in range(len(loc), 0, -1) if loc[:i] in origin),
        " + ".join(str(f) for f in files),
    )


def _explain(error: ValidationError, origin: dict[tuple[str, ...], str], files: list[Path]) -> str:
    lines = ["invalid configuration:"]
    for problem in error.errors():
        loc = tuple(str(part) for part in problem["loc"])
        dotted = ".".join(loc)
        where = _origin_of(loc, origin, files)
        if problem["type"] == "extra_forbidden":
            lines.append(f"  {where}: unknown key '{dotted}'")
        elif problem["type"] == "missing":
            lines.append(f"  missing key '{dotted}' (set it in one of: {', '.join(map(str, files))})")
        else:
            lines.append(
                f"  {where}: key '{dotted}': {problem['msg']} (got {problem.get('input')!r})"
            )
    return "\n".join(lines)


def _is_local_path(path: str) -> bool:
    return "://" not in path and not path.startswith(("/Volumes/", "dbfs:"))


def _resolve_local_paths(settings: Settings) -> Settings:
    """Make relative local paths absolute, so executors in other JVMs find the same files."""
    lakehouse = settings.lakehouse
    updates = {
        field: str(Path(value).resolve())
        for field in ("root", "landing")
        if _is_local_path(value := getattr(lakehouse, field))
    }
    mlflow_updates: dict[str, str] = {}
    tracking = settings.mlflow.tracking_uri
    if tracking.startswith("sqlite:///") and not tracking.startswith("sqlite:////"):
        mlflow_updates["tracking_uri"] = f"sqlite:///{Path(tracking[10:]).resolve()}"
    artifacts = settings.mlflow.artifact_location
    if artifacts and _is_local_path(artifacts):
        mlflow_updates["artifact_location"] = Path(artifacts).resolve().as_uri()
    staging = settings.mlflow.model_staging
    if staging and _is_local_path(staging):
        mlflow_updates["model_staging"] = str(Path(staging).resolve())
    return settings.model_copy(
        update={
            "lakehouse": lakehouse.model_copy(update=updates),
            "mlflow": settings.mlflow.model_copy(update=mlflow_updates),
        }
    )
