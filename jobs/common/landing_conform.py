"""Map a batch's landing rows to the declared columns by name, whatever each file's columns.

CSV binds columns by position, so each file's header is checked and a file whose header
differs is re-read by its own header; Parquet files are re-read by their own schema; JSON lines
carry their names. Extra columns are rescued or added, missing ones reported per file (see
transforms.ingestion.drift).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F
from pyspark.sql.types import StructType

from jobs.common.config import SourceSettings
from jobs.common.landing import declared_encoding, file_names, reader_options
from jobs.common.landing_files import first_line
from transforms.ingestion import bronze
from transforms.ingestion import drift as ingestion_drift
from transforms.ingestion.bronze import RESCUED_DATA, SOURCE_FILE

log = logging.getLogger(__name__)


@dataclass
class Conformed:
    """A batch's rows as declared columns, with what drift was found in which file."""

    rows: DataFrame
    missing: dict[str, list[str]] = field(default_factory=dict)
    new_columns: list[str] = field(default_factory=list)


def conform_csv(spark: SparkSession, batch: DataFrame, source: SourceSettings, files: list[str]) -> Conformed:
    """Check each file's header; re-read files whose header differs by name (see ingestion_drift)."""
    options = reader_options(source)
    declared = file_names(source)
    drifts = {}
    for path in files:
        header = ingestion_drift.header_fields(
            first_line(spark, path, declared_encoding(source)),
            options.get("sep", options.get("delimiter", ",")),
            options.get("quote", '"'),
            options.get("escape", "\\"),
        )
        drift = ingestion_drift.header_drift(header, list(declared.values()))
        if drift.drifted:
            drifts[path] = (header, drift)
    rows = batch.withColumn(RESCUED_DATA, F.lit(None).cast("string"))
    if not drifts:
        return Conformed(rows)
    new_columns = []
    if source.drift.add_new_columns:
        new_columns = list(dict.fromkeys(c for _, d in drifts.values() for c in d.extra))
    rows = rows.where(~F.col(SOURCE_FILE).isin(*drifts))
    for path, (header, drift) in drifts.items():
        log.warning("%s: header differs from the declared columns: extra %s, missing %s, reordered %s",
                    path, list(drift.extra), list(drift.missing), drift.reordered)
        by_header = (
            spark.read.format("csv").options(**options).schema(bronze.raw_schema(header)).load(path)
            .select("*", bronze.source_file())
        )
        conformed = ingestion_drift.conform_by_name(by_header, declared, new_columns)
        rows = rows.unionByName(conformed, allowMissingColumns=True)
    missing = {path: [c for c, name in declared.items() if name in d.missing] for path, (_, d) in drifts.items()}
    return Conformed(rows, {p: m for p, m in missing.items() if m}, new_columns)


def conform_parquet(spark: SparkSession, batch: DataFrame, source: SourceSettings, files: list[str]) -> Conformed:
    """Read the batch's files by their own schema and map their columns to the declared ones by name.

    Files with the same schema are read together. Values become strings, so a column whose type
    changed is typed (or quarantined) like any raw value; extras are rescued or added, missing
    columns reported per file, as for CSV.
    """
    declared = file_names(source)
    by_schema: dict[str, tuple[StructType, list[str]]] = {}
    for path in files:
        schema = spark.read.parquet(path).schema
        by_schema.setdefault(schema.json(), (schema, []))[1].append(path)
    reads = [
        (paths, schema.fieldNames(), ingestion_drift.parquet_as_strings(spark.read.schema(schema).parquet(*paths)))
        for schema, paths in by_schema.values()
    ]
    new_columns = []
    if source.drift.add_new_columns:
        new_columns = list(dict.fromkeys(c for _, names, _ in reads for c in names if c not in declared.values()))
    rows, missing = None, {}
    for paths, names, frame in reads:
        drift = ingestion_drift.header_drift(names, list(declared.values()))
        if drift.extra or drift.missing:
            log.warning("%s: columns differ from the declared ones: extra %s, missing %s",
                        paths, list(drift.extra), list(drift.missing))
        missing.update({path: [c for c, name in declared.items() if name in drift.missing]
                        for path in paths if drift.missing})
        conformed = ingestion_drift.conform_by_name(frame, declared, new_columns)
        rows = conformed if rows is None else rows.unionByName(conformed, allowMissingColumns=True)
    return Conformed(rows, missing, new_columns)


def conform_json(batch: DataFrame, source: SourceSettings) -> Conformed:
    declared = file_names(source)
    new_columns = []
    if source.drift.add_new_columns:
        keys = [row["key"] for row in ingestion_drift.json_keys(batch).collect()]
        new_columns = sorted(k for k in keys if k not in declared.values())
    return Conformed(ingestion_drift.json_records(batch, declared, new_columns), new_columns=new_columns)


def conform(spark: SparkSession, batch: DataFrame, source: SourceSettings, files: list[str]) -> Conformed:
    if RESCUED_DATA in batch.columns:  # Auto Loader already mapped columns by name
        return Conformed(batch)
    if source.format == "json":
        return conform_json(batch, source)
    if source.format == "csv":
        return conform_csv(spark, batch, source, files)
    return conform_parquet(spark, batch, source, files)
