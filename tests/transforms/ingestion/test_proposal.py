"""The use case's guesses from a sample: task, label classes, key, identifiers and leaks."""

from __future__ import annotations

import pytest

from transforms.ingestion.proposal import propose
from transforms.ingestion.sniff import SniffError, sniff


def _csv(header: str, rows: list[str]) -> str:
    return "\n".join([header, *rows]) + "\n"


def test_a_yes_no_label_is_classification_with_the_minority_class_positive() -> None:
    rows = [f"{i},{i % 7},{'Yes' if i % 4 == 0 else 'No'}" for i in range(1, 41)]

    proposal = propose(sniff(_csv("customer_id,tenure,Churn", rows)), "Churn")

    assert (proposal.task, proposal.positive_label, proposal.negative_label) == ("classification", "Yes", "No")
    assert proposal.label.name == "churn"


def test_a_zero_one_label_needs_no_mapping_and_other_two_numbers_do() -> None:
    zero_one = propose(sniff(_csv("id,y", [f"{i},{int(i < 5)}" for i in range(30)])), "y")
    one_two = propose(sniff(_csv("id,y", [f"{i},{1 + int(i < 5)}" for i in range(30)])), "y")

    assert (zero_one.task, zero_one.positive_label) == ("classification", None)
    assert (one_two.positive_label, one_two.negative_label) == ("2", "1")


def test_a_number_with_many_values_is_regression_and_a_skewed_positive_one_is_logged() -> None:
    prices = [100, 110, 120, 125, 130, 140, 150, 160, 180, 200, 250, 400, 900, 2000]
    skewed = propose(sniff(_csv("id,price", [f"{i},{p}" for i, p in enumerate(prices)])), "price")
    even = propose(sniff(_csv("id,price", [f"{i},{100 + i}" for i in range(14)])), "price")

    assert (skewed.task, skewed.log_target) == ("regression", True)
    assert (even.task, even.log_target) == ("regression", False)


def test_a_row_number_is_the_key_and_an_identifier_and_not_a_model_input() -> None:
    rows = [f"{i},{i % 3},{i % 2}" for i in range(1, 31)]

    proposal = propose(sniff(_csv("row,plan,y", rows)), "y")

    assert proposal.key == ["row"] and proposal.key_guessed
    assert proposal.identifiers == ["row"]
    assert [c.name for c in proposal.inputs] == ["plan"]


def test_id_named_and_near_unique_text_columns_are_identifiers_but_a_few_valued_id_is_not() -> None:
    rows = [f"{i % 5},C{i:03d},person {i},{i % 3},{i % 2}" for i in range(40)]

    proposal = propose(sniff(_csv("store_id,customer_id,full_name,plan,y", rows)), "y")

    assert proposal.identifiers == ["customer_id", "full_name"]
    assert proposal.key == ["customer_id"]


def test_without_a_unique_column_the_key_is_a_unique_pair_of_complete_columns() -> None:
    # Titanic: no id column, and two passengers share a name; name + ticket is unique.
    rows = ["Kelly James,330911,3,0", "Kelly James,363592,3,0", "Allen Elisabeth,24160,1,1",
            "Moor Beila,392096,3,1", "Moor Meier,392096,3,1"]

    proposal = propose(sniff(_csv("name,ticket,pclass,survived", rows)), "survived")

    assert proposal.key == ["name", "ticket"]


def test_a_given_key_wins_and_may_be_spelled_as_in_the_file() -> None:
    rows = [f"{i},{i},{i % 2}" for i in range(10)]

    proposal = propose(sniff(_csv("Row Id,other,y", rows)), "y", ["Row Id"])

    assert proposal.key == ["row_id"] and not proposal.key_guessed


def test_columns_that_tell_the_label_alone_are_guessed_leaks() -> None:
    # boat: a value only for survivors; body: only for the dead; plan: a real, noisy feature.
    rows = [f"{i},{'B' + str(i % 4) if i % 3 == 0 else '?'},{'?' if i % 3 == 0 else i if i % 3 == 1 else '?'},"
            f"{i % 2},{int(i % 3 == 0)}" for i in range(60)]

    proposal = propose(sniff(_csv("id,boat,body,plan,survived", rows)), "survived")

    assert proposal.leaks == ["boat", "body"]
    assert [c.name for c in proposal.inputs] == ["plan"]


@pytest.mark.parametrize(("header", "rows", "label", "key", "message"), [
    ("a,b", ["1,x", "1,x"], "b", (), "no column or pair of columns is unique"),
    ("a,b", ["1,?", "2,?"], "b", (), "label 'b' has no value in the 2 sampled rows"),
    ("a,b", ["1,x", "2,y"], "a", ("a",), "the label 'a' cannot be part of the key"),
    ("a,b", ["1,x"], "c", (), "no column 'c'"),
])
def test_a_use_case_that_cannot_be_proposed_says_why_in_one_line(header, rows, label, key, message) -> None:
    with pytest.raises(SniffError, match=message):
        propose(sniff(_csv(header, rows)), label, key)
