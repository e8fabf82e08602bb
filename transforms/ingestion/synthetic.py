"""Generated house sales with a known ground truth, built in parallel by Spark.

Every value is a function of the row id and the seed only (hashing, not a random stream), so
the same seed gives the same rows whatever the number of partitions or executors, and 100M
rows are made by the cluster rather than by one Python process.

The mess is realistic and declared: nulls, rare levels, skewed areas, dates, and malformed
CSV lines at a fixed period, so their exact count is known without scanning the output.
"""

from __future__ import annotations

import math

import pyarrow as pa
from pyspark.sql import Column, DataFrame, SparkSession
from pyspark.sql import functions as F

NEIGHBORHOODS = [
    # name, share of sales, effect on log price; the last three are rare levels (< 1%)
    ("Northfield", 0.16, 0.00), ("Riverside", 0.12, 0.05), ("Oakwood", 0.10, 0.12),
    ("College", 0.09, -0.04), ("Old Town", 0.08, -0.18), ("Edwards", 0.07, -0.15),
    ("Somerset", 0.06, 0.20), ("Gilbert", 0.05, 0.06), ("Sawyer", 0.05, -0.08),
    ("Mitchell", 0.04, -0.02), ("Crawford", 0.04, 0.10), ("Timber", 0.03, 0.22),
    ("Brookside", 0.03, -0.12), ("Veenker", 0.02, 0.18), ("Stone Brook", 0.02, 0.30),
    ("Clear Creek", 0.015, 0.08), ("Meadow", 0.01, -0.25), ("Blueste", 0.006, -0.05),
    ("Greens", 0.003, 0.04), ("Landmark", 0.001, 0.00),
]
BUILDING_TYPES = [("1Fam", 0.80, 0.0), ("TwnhsE", 0.08, -0.05), ("Duplex", 0.05, -0.12),
                  ("Twnhs", 0.04, -0.10), ("2FmCon", 0.03, -0.15)]
SALE_CONDITIONS = [("Normal", 0.82, 0.0), ("Partial", 0.09, 0.06), ("Abnorml", 0.06, -0.12),
                   ("Family", 0.025, -0.05), ("AdjLand", 0.005, -0.10)]
QUALITY_WORDS = ["Po", "Fa", "TA", "Gd", "Ex"]

HOUSE_SALES_COLUMNS = [
    "sale_id", "sale_date", "neighborhood", "building_type", "year_built", "lot_area",
    "living_area", "bedrooms", "bathrooms", "overall_quality", "kitchen_quality", "garage_cars",
    "pool_quality", "sale_condition", "sale_price",
]
MALFORMED_KINDS = ("bad_number", "bad_date", "truncated")


def _uniform(seed: int, salt: int) -> Column:
    """A uniform [0, 1) draw that depends only on (id, seed, salt)."""
    hashed = F.xxhash64(F.col("id"), F.lit(seed), F.lit(salt))
    return (F.pmod(hashed, F.lit(1 << 30)).cast("double") + 0.5) / float(1 << 30)


def _normal(seed: int, salt: int) -> Column:
    """A standard normal draw by Box-Muller from two hashed uniforms."""
    u1, u2 = _uniform(seed, salt), _uniform(seed, salt + 1)
    return F.sqrt(-2.0 * F.log(u1)) * F.cos(2.0 * math.pi * u2)


def _pick(u: Column, levels: list[tuple[str, float, float]], value_index: int) -> Column:
    """Map a uniform draw to a level (value_index 0) or its effect (2) by cumulative share."""
    total = sum(share for _, share, _ in levels)
    cumulative, expr = 0.0, None
    for level in levels[:-1]:
        cumulative += level[1] / total
        value = F.lit(level[value_index])
        expr = F.when(u < cumulative, value) if expr is None else expr.when(u < cumulative, value)
    return expr.otherwise(F.lit(levels[-1][value_index]))


def _null_when(u: Column, share: float, value: Column) -> Column:
    return F.when(u < share, F.lit(None)).otherwise(value)


def house_sales(
    spark: SparkSession, rows: int, seed: int, partitions: int, first_id: int = 1, labelled: bool = True
) -> DataFrame:
    """`rows` house sales with ids from `first_id`; the price follows a known log-linear truth."""
    base = spark.range(first_id, first_id + rows, numPartitions=partitions)
    u = {name: _uniform(seed, salt) for salt, name in enumerate(
        ["hood", "type", "cond", "year", "year_null", "date", "kitchen_null", "garage", "garage_null",
         "pool", "pool_q"])}
    z = {name: _normal(seed, 100 + 10 * i) for i, name in enumerate(
        ["living", "lot", "bed", "bath", "quality", "kitchen", "noise"])}

    year_built = F.floor(1900 + 120 * F.pow(u["year"], 0.6)).cast("int")
    living_area = F.round(F.exp(7.25 + 0.3 * z["living"]), 0)
    quality = F.least(F.lit(10), F.greatest(F.lit(1), F.round(
        5.5 + 1.5 * z["quality"] + 0.8 * (year_built - 1960) / 30))).cast("int")
    kitchen_score = F.least(F.lit(4), F.greatest(F.lit(0), F.round(
        (quality - 1) / 2.25 + 0.6 * z["kitchen"]))).cast("int")
    garage = F.least(F.lit(3), F.floor(u["garage"] * 3 + living_area / 2500)).cast("int")

    df = base.select(
        F.col("id").alias("sale_id"),
        F.date_add(F.lit("2018-01-01").cast("date"), F.floor(u["date"] * 2557).cast("int")).alias("sale_date"),
        _pick(u["hood"], NEIGHBORHOODS, 0).alias("neighborhood"),
        _pick(u["hood"], NEIGHBORHOODS, 2).alias("_hood_effect"),
        _pick(u["type"], BUILDING_TYPES, 0).alias("building_type"),
        _pick(u["type"], BUILDING_TYPES, 2).alias("_type_effect"),
        year_built.alias("_year_built_true"),
        _null_when(u["year_null"], 0.03, year_built).alias("year_built"),
        F.round(F.exp(9.1 + 0.5 * z["lot"]), 0).alias("lot_area"),
        living_area.alias("living_area"),
        F.least(F.lit(6), F.greatest(F.lit(1), F.round(living_area / 550 + 0.5 * z["bed"]))).cast("int").alias("bedrooms"),
        F.least(F.lit(4.0), F.greatest(F.lit(1.0), F.round(2 * (living_area / 1000 + 0.4 * z["bath"])) / 2)).alias("bathrooms"),
        quality.alias("overall_quality"),
        kitchen_score.alias("_kitchen_score"),
        _null_when(u["kitchen_null"], 0.01, F.element_at(F.array(*map(F.lit, QUALITY_WORDS)), kitchen_score + 1)).alias("kitchen_quality"),
        garage.alias("_garage_true"),
        _null_when(u["garage_null"], 0.05, garage).alias("garage_cars"),
        F.when(u["pool"] < 0.03, F.element_at(F.array(*map(F.lit, ["TA", "Gd", "Ex"])), F.floor(u["pool_q"] * 3).cast("int") + 1)).alias("pool_quality"),
        _pick(u["cond"], SALE_CONDITIONS, 0).alias("sale_condition"),
        _pick(u["cond"], SALE_CONDITIONS, 2).alias("_cond_effect"),
        z["noise"].alias("_noise"),
    )
    log_price = (
        12.0
        + 0.55 * F.log(F.col("living_area") / 1400)
        + 0.08 * F.log(F.col("lot_area") / 9000)
        + 0.09 * (F.col("overall_quality") - 5.5)
        + 0.003 * (F.col("_year_built_true") - 1970)
        + 0.04 * F.col("_garage_true")
        + 0.03 * F.col("_kitchen_score")
        + F.col("_hood_effect") + F.col("_type_effect") + F.col("_cond_effect")
        + 0.01 * (F.year("sale_date") - 2018)
        + 0.12 * F.col("_noise")
    )
    df = df.withColumn("sale_price", F.round(F.exp(log_price), -2))
    columns = HOUSE_SALES_COLUMNS if labelled else HOUSE_SALES_COLUMNS[:-1]
    return df.select(*columns)


def malformed_period(malformed_fraction: float) -> int:
    """One row in `period` is malformed; 0 means none."""
    return 0 if malformed_fraction <= 0 else max(2, round(1 / malformed_fraction))


def malformed_count(first_id: int, rows: int, malformed_fraction: float) -> int:
    """How many of ids first_id .. first_id+rows-1 :func:`to_csv_lines` makes malformed."""
    period = malformed_period(malformed_fraction)
    if period == 0:
        return 0
    return _multiples_below(first_id + rows, period) - _multiples_below(first_id, period)


def _multiples_below(limit: int, period: int) -> int:
    """Count of ids in [0, limit) with id % period == 0."""
    return (limit + period - 1) // period if limit > 0 else 0


def to_csv_lines(df: DataFrame, id_column: str, malformed_fraction: float, null_token: str = "NA") -> DataFrame:
    """One `value` column of CSV lines, with every period-th row (by id) made malformed.

    Malformed rows cycle through a number that is words, an impossible date and a line cut
    short, the faults real landing files carry.
    """
    fields = [F.coalesce(F.col(c).cast("string"), F.lit(null_token)) for c in df.columns]
    period = malformed_period(malformed_fraction)
    if period:
        kind = F.pmod(F.floor(F.col(id_column) / period), F.lit(len(MALFORMED_KINDS)))
        bad = F.pmod(F.col(id_column), F.lit(period)) == 0
        fields = [
            F.when(bad & (kind == 0) & F.lit(c == "living_area"), F.lit("about 1500"))
            .when(bad & (kind == 1) & F.lit(c == "sale_date"), F.lit("2021-02-31"))
            .otherwise(field)
            for c, field in zip(df.columns, fields, strict=True)
        ]
        whole = F.concat_ws(",", *fields)
        truncated = F.concat_ws(",", *fields[:-3])
        line = F.when(bad & (kind == 2), truncated).otherwise(whole)
    else:
        line = F.concat_ws(",", *fields)
    return df.select(line.alias("value"))


def with_header(lines: DataFrame, header: str) -> DataFrame:
    """Prefix every partition's lines with `header`, so each written text file is a CSV file."""
    schema = lines.schema

    def prepend(batches):
        first = True
        for batch in batches:
            if first:
                first = False
                yield pa.RecordBatch.from_arrays([pa.array([header], batch.schema.field(0).type)], schema=batch.schema)
            yield batch
        if first:  # an empty partition still becomes a valid (header-only) CSV file
            yield pa.RecordBatch.from_pydict({"value": [header]})

    return lines.mapInArrow(prepend, schema)
