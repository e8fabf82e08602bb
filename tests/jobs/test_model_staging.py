"""The folder a Spark Connect server writes a fitted pipeline to before the train job logs it."""

from __future__ import annotations

from pathlib import Path

import pytest

from jobs.common.config import load_settings
from jobs.common.model_loading import _ServerWrittenSparkFlavor

# Whole jobs or minutes of Spark work: left out of `make test-quick`.
pytestmark = pytest.mark.slow


def test_a_relative_staging_folder_becomes_absolute(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # The Connect server resolves a relative path against its own working directory, not ours.
    monkeypatch.chdir(tmp_path)
    settings = load_settings("house_sales", overrides=["mlflow.model_staging=staging"])
    assert settings.mlflow.model_staging == str(tmp_path / "staging")


def test_a_file_uri_staging_folder_is_read_as_its_local_path() -> None:
    assert _ServerWrittenSparkFlavor("file:///tmp/staging").local_staging == "/tmp/staging"
    assert _ServerWrittenSparkFlavor("/Volumes/main/ml/staging").local_staging == "/Volumes/main/ml/staging"


def test_a_staging_folder_the_client_cannot_read_as_a_path_is_a_clear_error() -> None:
    with pytest.raises(ValueError, match=r"mlflow.model_staging 's3a://bucket/staging'.*local path"):
        _ServerWrittenSparkFlavor("s3a://bucket/staging")


def test_the_server_written_model_carries_its_code_paths(spark, tmp_path: Path) -> None:
    from mlflow.models import Model
    from pyspark.ml import PipelineModel
    from pyspark.ml.feature import SQLTransformer

    shipped = tmp_path / "lakehouse_ml-0.1.0-py3-none-any.whl"
    shipped.write_bytes(b"wheel")
    model = PipelineModel(stages=[SQLTransformer(statement="SELECT * FROM __THIS__")])
    folder = tmp_path / "model"
    _ServerWrittenSparkFlavor(str(tmp_path / "staging")).save_model(
        model, str(folder), Model(), code_paths=[str(shipped)], pip_requirements=[f"code/{shipped.name}"])
    assert (folder / "code" / shipped.name).read_bytes() == b"wheel"
    assert Model.load(str(folder)).flavors["spark"]["code"] == "code"
