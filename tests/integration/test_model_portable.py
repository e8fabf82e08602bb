"""A logged model loads and predicts in a clean virtual environment built from its own files only.

Slow: the environment installs the model's requirements.txt (pyspark, mlflow, xgboost and the
wheel inside the model) from the pip cache, and each prediction starts a JVM.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import venv
from pathlib import Path

import mlflow
import pytest
from mlflow.models import Model

from tests.model_logging_fixtures import log_house_model
from tests.paths import REPO_ROOT

REPO = REPO_ROOT

# Run by the clean environment's Python: each model's predictions on its own input example, and
# where `transforms` came from.
LOAD_AND_PREDICT = """
import json, os, sys
import mlflow
from mlflow.models import Model
import transforms
out = {"transforms": transforms.__file__, "sys_path": [os.path.abspath(p) for p in sys.path]}
for path in sys.argv[1:]:
    example = Model.load(path).load_input_example(path)
    out[path] = [float(p) for p in mlflow.pyfunc.load_model(path).predict(example)]
print(json.dumps(out))
"""


def _clean_env(bin_dir: Path) -> dict[str, str]:
    """This process's environment without anything that points at the repository or its .venv."""
    env = {k: v for k, v in os.environ.items()
           if k not in ("PYTHONPATH", "VIRTUAL_ENV", "PYSPARK_DRIVER_PYTHON", "SPARK_HOME")}
    env["PATH"] = f"{bin_dir}{os.pathsep}{env.get('PATH', '')}"
    # Spark's Python workers must run the clean environment too (the Makefile exports the repo's).
    env["PYSPARK_PYTHON"] = str(bin_dir / "python")
    return env


def _run(command: list[str], cwd: Path, env: dict[str, str], timeout: int) -> str:
    result = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout, check=False)
    assert result.returncode == 0, f"{' '.join(command)} failed:\n{result.stdout[-3000:]}\n{result.stderr[-5000:]}"
    return result.stdout


@pytest.fixture
def environment(tmp_path):
    """Where the clean environment goes; removed afterwards (it takes about 2 GB)."""
    path = tmp_path / "clean-venv"
    yield path
    shutil.rmtree(path, ignore_errors=True)


@pytest.mark.slow
def test_logged_models_load_and_predict_in_a_clean_environment(spark, tmp_path, environment):
    models = {}
    for algorithm in ("linear_regression", "xgboost_regressor"):
        _, info = log_house_model(spark, tmp_path, algorithm, name=f"house_{algorithm}")
        local = Path(mlflow.artifacts.download_artifacts(info.model_uri, dst_path=str(tmp_path / algorithm)))
        example = Model.load(str(local)).load_input_example(str(local))
        models[algorithm] = (local, list(mlflow.pyfunc.load_model(str(local)).predict(example)))
    xgboost_model, linear_model = models["xgboost_regressor"][0], models["linear_regression"][0]
    linear_requirements = set((linear_model / "requirements.txt").read_text().split())
    xgboost_requirements = set((xgboost_model / "requirements.txt").read_text().split())
    assert linear_requirements < xgboost_requirements, "the xgboost model adds only its xgboost pin"

    venv.EnvBuilder(with_pip=True, system_site_packages=False).create(environment)
    python, env = environment / "bin" / "python", _clean_env(environment / "bin")
    # As MLflow's own environment managers do: from inside the model folder.
    _run([str(python), "-m", "pip", "install", "--quiet", "-r", "requirements.txt"], xgboost_model, env, 1800)

    out = json.loads(_run([str(python), "-c", LOAD_AND_PREDICT, str(linear_model), str(xgboost_model)],
                          tmp_path, env, 600).splitlines()[-1])
    assert Path(out["transforms"]).is_relative_to(environment), out["transforms"]
    assert not any(Path(p).is_relative_to(REPO) for p in out["sys_path"]), out["sys_path"]
    for local, expected in models.values():
        assert out[str(local)] == pytest.approx(expected)

    predictions = tmp_path / "predictions.json"
    _run([str(environment / "bin" / "mlflow"), "models", "predict", "-m", str(xgboost_model),
          "-i", str(xgboost_model / "serving_input_example.json"), "--content-type", "json",
          "--env-manager", "local", "-o", str(predictions)], tmp_path, env, 600)
    assert json.loads(predictions.read_text())["predictions"] == pytest.approx(models["xgboost_regressor"][1])
