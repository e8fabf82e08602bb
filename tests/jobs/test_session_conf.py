"""session_conf: settings for a block, put back after it; refused performance hints are skipped."""

from __future__ import annotations

import logging
from types import SimpleNamespace

import pytest
from pyspark.errors import AnalysisException

from jobs.common.session import session_conf

SET = "spark.sql.shuffle.partitions"
UNSET = "spark.databricks.delta.commitInfo.userMetadata"
STATIC = "spark.sql.warehouse.dir"  # a session cannot change it, as serverless keeps many for itself


@pytest.fixture
def spark_conf(spark):
    """The session, with `SET` at 7 for the test and as it was after."""
    before = spark.conf.get(SET)
    spark.conf.set(SET, "7")
    yield spark
    spark.conf.set(SET, before)


def test_settings_hold_inside_the_block_and_are_put_back_after(spark_conf) -> None:
    spark = spark_conf
    with session_conf(spark, {SET: "3", UNSET: "tag"}):
        assert (spark.conf.get(SET), spark.conf.get(UNSET)) == ("3", "tag")
    assert (spark.conf.get(SET), spark.conf.get(UNSET, None)) == ("7", None)


def test_a_refused_setting_fails_the_block_and_leaves_the_others_as_they_were(spark_conf) -> None:
    spark = spark_conf
    ran = False
    with pytest.raises(AnalysisException), session_conf(spark, {SET: "3", STATIC: "/elsewhere"}):
        ran = True
    assert not ran
    assert spark.conf.get(SET) == "7"


def test_a_refused_hint_is_logged_and_the_block_runs_with_the_others(spark_conf, caplog) -> None:
    spark = spark_conf
    warehouse = spark.conf.get(STATIC)
    with (caplog.at_level(logging.INFO, logger="jobs.common.session"),
          session_conf(spark, {STATIC: "/elsewhere", SET: "3"}, hints=True)):
        assert (spark.conf.get(STATIC), spark.conf.get(SET)) == (warehouse, "3")
    assert spark.conf.get(SET) == "7"
    assert [r.getMessage() for r in caplog.records if STATIC in r.getMessage()] != []


class _KeptConf:
    """A session's settings as a serverless session keeps one: asked about it, it refuses."""

    def __init__(self) -> None:
        self.values: dict[str, str] = {}

    def get(self, name: str, default: str | None = None) -> str | None:
        if name == STATIC:
            raise AnalysisException(f"[CONFIG_NOT_AVAILABLE] Configuration {name} is not available.")
        return self.values.get(name, default)

    def set(self, name: str, value: str) -> None:
        self.values[name] = value

    def unset(self, name: str) -> None:
        del self.values[name]


def test_a_hint_the_session_will_not_even_read_is_skipped() -> None:
    session = SimpleNamespace(conf=_KeptConf())
    with session_conf(session, {STATIC: "/elsewhere", SET: "3"}, hints=True):
        assert session.conf.values == {SET: "3"}
    assert session.conf.values == {}
