"""Business value of a model's decisions: a value matrix, the profit-maximising threshold,
the value of the model's policy against baseline policies, and a value figure for regressors."""

from __future__ import annotations

from dataclasses import dataclass

from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from transforms.modeling.scores import BINS, ScoreBin, confusion


@dataclass(frozen=True)
class ValueMatrix:
    """What acting (or not) on one prediction is worth; costs are negative."""

    true_positive: float
    false_positive: float
    false_negative: float
    true_negative: float

    def value(self, counts: dict[str, float]) -> float:
        return (counts["tp"] * self.true_positive + counts["fp"] * self.false_positive
                + counts["fn"] * self.false_negative + counts["tn"] * self.true_negative)


def best_threshold(histogram: list[ScoreBin], matrix: ValueMatrix) -> float:
    """The bin-edge threshold whose decisions have the greatest total value (ties: the lowest)."""
    candidates = [k / BINS for k in range(1, BINS)]
    return max(candidates, key=lambda t: (matrix.value(confusion(histogram, t)), -t))


def policy_values(histogram: list[ScoreBin], threshold: float, matrix: ValueMatrix) -> dict[str, float]:
    """Value of the model's policy and of the baselines on the same rows.

    no_model: act on nobody; everyone: act on all; random: act on as many rows as the model
    does, chosen at random (expected value). `uplift` is the model over the best baseline.
    """
    counts = confusion(histogram, threshold)
    rows = sum(counts.values())
    positives = counts["tp"] + counts["fn"]
    negatives = rows - positives
    share = (counts["tp"] + counts["fp"]) / rows if rows else 0.0
    nobody = {"tp": 0, "fp": 0, "fn": positives, "tn": negatives}
    everyone = {"tp": positives, "fp": negatives, "fn": 0, "tn": 0}
    random = {"tp": share * positives, "fp": share * negatives,
              "fn": (1 - share) * positives, "tn": (1 - share) * negatives}
    values = {"model": matrix.value(counts), "no_model": matrix.value(nobody),
              "everyone": matrix.value(everyone), "random": matrix.value(random)}
    values["uplift"] = values["model"] - max(values["no_model"], values["everyone"], values["random"])
    values["model_per_row"] = values["model"] / rows if rows else 0.0
    return values


def regression_value(scored: DataFrame, label: str, tolerance: float, value_within: float,
                     cost_per_unit_error: float, prediction: str = "prediction") -> dict[str, float]:
    """Share of predictions within ±tolerance of the truth, and the configured value of the predictions."""
    error = F.abs(F.col(prediction) - F.col(label))
    within = (error <= tolerance * F.abs(F.col(label))).cast("double")
    row = scored.agg(F.avg(within).alias("share"), F.sum(within).alias("hits"),
                     F.sum(error).alias("abs_error"), F.count(F.lit(1)).alias("rows")).first()
    value = float(row["hits"]) * value_within - float(row["abs_error"]) * cost_per_unit_error
    return {"within_tolerance": float(row["share"]), "value": value, "value_per_row": value / row["rows"]}
