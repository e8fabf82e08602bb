"""Generated house sales: deterministic, messy as declared, readable as CSV."""

from __future__ import annotations

from pathlib import Path

import pytest
from chispa import assert_df_equality
from pyspark.sql import functions as F

from transforms.ingestion import synthetic
from transforms.ingestion.bronze import CORRUPT_RECORD, declared_schema

# Whole jobs or minutes of Spark work: left out of `make test-quick`.
pytestmark = pytest.mark.slow

HOUSE_SCHEMA = {
    "sale_id": "bigint", "sale_date": "date", "neighborhood": "string", "building_type": "string",
    "year_built": "int", "lot_area": "double", "living_area": "double", "bedrooms": "int",
    "bathrooms": "double", "overall_quality": "int", "kitchen_quality": "string",
    "garage_cars": "int", "pool_quality": "string", "sale_condition": "string", "sale_price": "double",
}


def test_same_seed_same_rows_whatever_the_partitioning(spark) -> None:
    one = synthetic.house_sales(spark, 500, seed=3, partitions=1)
    four = synthetic.house_sales(spark, 500, seed=3, partitions=4)
    assert_df_equality(one, four, ignore_row_order=True)


def test_another_seed_gives_other_rows(spark) -> None:
    a = synthetic.house_sales(spark, 200, seed=3, partitions=2).select("sale_price")
    b = synthetic.house_sales(spark, 200, seed=4, partitions=2).select("sale_price")
    assert a.exceptAll(b).count() > 150


def test_realistic_mess_is_present(spark) -> None:
    df = synthetic.house_sales(spark, 5000, seed=1, partitions=2)
    stats = df.agg(
        F.avg(F.col("year_built").isNull().cast("int")).alias("year_null"),
        F.avg(F.col("garage_cars").isNull().cast("int")).alias("garage_null"),
        F.avg(F.col("pool_quality").isNull().cast("int")).alias("pool_null"),
        F.skewness("lot_area").alias("lot_skew"),
        F.min("sale_price").alias("min_price"),
        F.countDistinct("neighborhood").alias("hoods"),
    ).first()
    assert 0.01 < stats["year_null"] < 0.06
    assert 0.02 < stats["garage_null"] < 0.09
    assert stats["pool_null"] > 0.9
    assert stats["lot_skew"] > 1.0
    assert stats["min_price"] > 0
    rare = df.groupBy("neighborhood").count().where(F.col("count") < 50).count()
    assert stats["hoods"] >= 17 and rare >= 2


def test_unlabelled_rows_have_no_price(spark) -> None:
    df = synthetic.house_sales(spark, 10, seed=1, partitions=1, first_id=101, labelled=False)
    assert "sale_price" not in df.columns
    assert [r.sale_id for r in df.collect()] == list(range(101, 111))


def test_malformed_count_is_exact() -> None:
    assert synthetic.malformed_period(0.0) == 0
    assert synthetic.malformed_count(1, 1000, 0.0) == 0
    assert synthetic.malformed_period(0.01) == 100
    # ids 1..1000: 100, 200, ..., 1000
    assert synthetic.malformed_count(1, 1000, 0.01) == 10
    # ids 1001..1250: 1100, 1200
    assert synthetic.malformed_count(1001, 250, 0.01) == 2


def test_csv_lines_parse_back_with_declared_malformed_rows(spark, tmp_path: Path) -> None:
    rows, fraction = 900, 0.01
    frame = synthetic.house_sales(spark, rows, seed=5, partitions=3)
    lines = synthetic.to_csv_lines(frame, "sale_id", fraction)
    path = str(tmp_path / "landing")
    synthetic.with_header(lines, ",".join(frame.columns)).write.text(path)

    part_files = [p for p in Path(path).iterdir() if p.name.startswith("part-")]
    assert len(part_files) == 3
    assert all(p.read_text().splitlines()[0] == ",".join(frame.columns) for p in part_files)

    parsed = (
        spark.read.schema(declared_schema(HOUSE_SCHEMA))
        .option("header", "true").option("nullValue", "NA")
        .option("columnNameOfCorruptRecord", CORRUPT_RECORD)
        .csv(path)
        .cache()
    )
    bad = parsed.where(F.col(CORRUPT_RECORD).isNotNull())
    assert parsed.count() == rows
    assert bad.count() == synthetic.malformed_count(1, rows, fraction) == 9
    # The well-formed rows read back exactly as generated.
    good = parsed.where(F.col(CORRUPT_RECORD).isNull()).drop(CORRUPT_RECORD)
    expected = frame.where(F.pmod("sale_id", F.lit(100)) != 0)
    assert_df_equality(good, expected, ignore_row_order=True, ignore_nullable=True)
    parsed.unpersist()
