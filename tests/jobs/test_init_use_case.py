"""lakehouse-init on a CSV with the messes of issue #21: the YAML it writes loads, and trains
without edits to better than the constant baseline."""

from __future__ import annotations

import random
from pathlib import Path

import pytest
import yaml

from jobs.common.cli import JobContext
from jobs.common.config import load_settings
from jobs.common.tables import TableStore
from jobs.ingest import ingest
from jobs.init_use_case import main
from jobs.train import train
from tests.settings import make_settings

HEADER = ["customerID", "tenure", "Monthly Charges", "Contract", "_note", "Churn"]
CONTRACTS = ["Month-to-month", "One year", "Two year"]


def messy_csv(path: Path, rows: int = 300) -> Path:
    """A churn file: ", "-separated header and values, CRLF lines, `?` and blank numbers, Yes/No label."""
    pick = random.Random(0)
    lines = [", ".join(HEADER)]
    for number in range(1, rows + 1):
        tenure = pick.randint(0, 72)
        contract = pick.choice(CONTRACTS)
        charges = round(pick.uniform(20, 110), 2)
        risk = (tenure < 12) + (contract == "Month-to-month") + (charges > 80) + (pick.random() < 0.2)
        churn = "Yes" if risk >= 2 else "No"
        shown_tenure = " " if number % 17 == 0 else "" if number % 23 == 0 else str(tenure)
        shown_charges = "?" if number % 13 == 0 else str(charges)
        shown_contract = "?" if number % 19 == 0 else contract
        lines.append(", ".join([f"C{number:04d}", shown_tenure, shown_charges, shown_contract, "x", churn]))
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(("\r\n".join(lines) + "\r\n").encode())
    return path


def _init(tmp_path: Path, *args: str) -> Path:
    csv = messy_csv(tmp_path / "landing" / "churn.csv")
    output = tmp_path / "churn.yml"
    main([str(csv), "--label", "Churn", "--output", str(output), *args])
    return output


def test_the_generated_use_case_loads_and_reads_the_messes_right(tmp_path: Path, capsys) -> None:
    output = _init(tmp_path, "--name", "init_churn_load")

    settings = load_settings(str(output))
    use_case, source = settings.use_case, settings.sources[0]
    assert (use_case.task, use_case.label, use_case.key) == ("classification", "churn", ["customer_id"])
    assert (use_case.positive_label, use_case.negative_label) == ("Yes", "No")
    assert use_case.identifiers == ["customer_id"]
    assert source.options == {"header": "true", "delimiter": ",", "encoding": "UTF-8"}
    assert source.file_names == {"customer_id": "customerID", "tenure": " tenure",
                                 "monthly_charges": " Monthly Charges", "contract": " Contract",
                                 "note": " _note", "churn": " Churn"}
    assert source.declared_columns == {"customer_id": "string", "tenure": "int", "monthly_charges": "double",
                                       "contract": "string", "note": "string", "churn": "string"}
    assert source.null_tokens == ["", "?"] and source.trim_whitespace
    assert not any(name.startswith("_") for name in source.declared_columns)
    assert settings.features.steps[-1].stage == "assemble" and settings.model.candidates
    # Every key of the file carries a comment line above it.
    lines = output.read_text().splitlines()
    for index, line in enumerate(lines):
        if line.strip().endswith(":") and not line.strip().startswith(("#", "-")):
            assert lines[index - 1].strip().startswith("#"), line
    assert "wrote" in capsys.readouterr().err


def test_standard_output_gets_the_yaml_when_no_file_is_given(tmp_path: Path, capsys) -> None:
    main([str(messy_csv(tmp_path / "churn.csv", rows=40)), "--label", "Churn"])

    assert yaml.safe_load(capsys.readouterr().out)["use_case"]["label"] == "churn"


@pytest.mark.parametrize(("args", "message"), [
    (["--label", "churned"], "lakehouse-init: no column 'churned'; the file has customerID, tenure,"),
    # Silver keeps one row per key: a key that repeats would lose rows.
    (["--label", "Churn", "--key", "Contract"], "lakehouse-init: key ['contract'] names 3 distinct complete keys"),
    (["--label", "Churn", "--sample-rows", "0"], None),
])
def test_bad_input_gets_one_line_and_exit_code_2(tmp_path: Path, capsys, args, message) -> None:
    csv = messy_csv(tmp_path / "churn.csv", rows=40)
    with pytest.raises(SystemExit) as exit_:
        main([str(csv), *args])

    assert exit_.value.code == 2
    err = capsys.readouterr().err.strip()
    assert err.splitlines()[-1].startswith(message or "usage:") or message is None
    assert message is None or len(err.splitlines()) == 1


def test_a_missing_path_is_one_line(tmp_path: Path, capsys) -> None:
    with pytest.raises(SystemExit) as exit_:
        main([str(tmp_path / "nowhere.csv"), "--label", "y"])

    assert exit_.value.code == 2
    assert capsys.readouterr().err.strip() == f"lakehouse-init: {tmp_path / 'nowhere.csv'}: no such file or folder"


@pytest.mark.slow
def test_the_generated_use_case_ingests_every_row_and_trains_better_than_the_baseline(spark, tmp_path: Path) -> None:
    output = _init(tmp_path, "--name", "init_churn_train")
    settings = make_settings(tmp_path, str(output))
    context = JobContext(settings, spark, TableStore(spark, settings))

    counts = ingest(context)["init_churn_train"]
    result = train(context)

    # Blank and `?` values are nulls, not quarantined rows; the label maps for every row.
    assert (counts["rows_read"], counts["rows_silver"], counts["rows_quarantined"]) == (300, 300, 0)
    silver = context.tables.read("init_churn_train_silver")
    assert silver.where("tenure IS NULL").count() == 300 // 17 + 300 // 23 - 300 // (17 * 23)
    assert silver.where("monthly_charges IS NULL").count() == 300 // 13
    assert result["metrics"]["roc_auc"] > result["baseline"]["roc_auc"] + 0.15
