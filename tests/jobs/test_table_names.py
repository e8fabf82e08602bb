"""The did-you-mean list of table names survives a table whose folder is gone."""

from __future__ import annotations

import shutil

from jobs.common.table_names import catalog_tables


def test_a_table_whose_folder_was_removed_is_still_listed(spark, tmp_path) -> None:
    folder = tmp_path / "gone"
    spark.sql("CREATE DATABASE IF NOT EXISTS names_check")
    spark.range(2).write.format("delta").save(str(folder))
    spark.sql(f"CREATE TABLE IF NOT EXISTS names_check.gone USING DELTA LOCATION '{folder}'")
    spark.range(1).createOrReplaceTempView("scratch_view")
    shutil.rmtree(folder)
    try:
        names = catalog_tables(spark)
    finally:
        spark.sql("DROP TABLE IF EXISTS names_check.gone")
        spark.sql("DROP DATABASE IF EXISTS names_check")
    assert "names_check.gone" in names
    assert not any(name.endswith(".scratch_view") for name in names)
