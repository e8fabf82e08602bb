"""Sniffing a CSV sample: each mess of files seen in the wild, on a few hand-checkable lines."""

from __future__ import annotations

import pytest

from transforms.ingestion.sniff import (
    SniffError,
    clean_name,
    clean_names,
    column_type,
    sniff,
    value_type,
)


def test_a_comma_space_header_gives_clean_names_and_keeps_the_raw_ones() -> None:
    sample = sniff("age, workclass, hours-per-week\n39, State-gov, 40\n50, ?, 13\n")

    assert [c.name for c in sample.columns] == ["age", "workclass", "hours_per_week"]
    assert [c.raw_name for c in sample.columns] == ["age", " workclass", " hours-per-week"]
    assert sample.dialect.delimiter == "," and sample.dialect.space_after_delimiter
    # Values are typed as ingest sees them: trimmed.
    assert [c.type for c in sample.columns] == ["int", "string", "int"]


def test_question_marks_are_a_null_token_and_keep_a_number_column_numeric() -> None:
    sample = sniff("id,age,job\n1,?,clerk\n2,31,?\n3,40,?\n")

    assert sample.null_tokens == ["?"]
    age = sample.column("age")
    assert (age.type, age.nulls, age.distinct) == ("int", 1, 2)


def test_blank_and_whitespace_only_numbers_are_nulls_matched_by_the_empty_token() -> None:
    # Ingest trims values before it matches null tokens, so "" covers " " and "   " too.
    sample = sniff('id,charges\n1,10.5\n2, \n3,\n4,"   "\n')

    assert sample.null_tokens == [""]
    charges = sample.column("charges")
    assert (charges.type, charges.nulls) == ("double", 3)


def test_crlf_lines_are_detected_and_do_not_leak_into_the_last_value() -> None:
    sample = sniff("id;churn\r\n1;Yes\r\n2;No\r\n")

    assert sample.dialect.line_ending == "\r\n" and sample.dialect.delimiter == ";"
    assert sample.column("churn").counts == {"Yes": 1, "No": 1}


@pytest.mark.parametrize("delimiter", [",", ";", "\t", "|"])
def test_the_delimiter_is_the_one_that_splits_every_line_alike(delimiter: str) -> None:
    # Commas inside values do not fool it when another delimiter splits each line the same way.
    text = "\n".join(delimiter.join(row) for row in [["a", "b", "c"], ["1", "x,y", "2"], ["3", "z", "4"]])

    assert sniff(text).dialect.delimiter == delimiter


def test_a_label_as_written_or_as_cleaned_finds_its_column() -> None:
    sample = sniff("Customer ID,Total Charges\nA1,3\n")

    assert sample.column("Total Charges").name == sample.column("total_charges").name == "total_charges"
    with pytest.raises(SniffError, match="no column 'churn'; the file has Customer ID, Total Charges"):
        sample.column("churn")


@pytest.mark.parametrize(("raw", "clean"), [
    (" age", "age"), ("home.dest", "home_dest"), ("_secret", "secret"), ("__x__", "x"),
    ("SalePrice", "sale_price"), ("1stFlrSF", "1st_flr_sf"), ("MSSubClass", "ms_sub_class"),
    ("Taux d'intérêt (%)", "taux_d_interet"), ("", "column"), ("2024", "column_2024"), ("???", "column"),
])
def test_clean_names_are_snake_case_and_never_start_with_an_underscore(raw: str, clean: str) -> None:
    assert clean_name(raw) == clean


def test_names_that_clean_alike_are_numbered() -> None:
    assert clean_names(["Age", "age", " AGE"]) == ["age", "age_2", "age_3"]


@pytest.mark.parametrize(("value", "type_"), [
    ("42", "int"), ("-7", "int"), ("3000000000", "bigint"), ("1" + "0" * 20, "double"), ("2.5", "double"),
    ("1e5", "double"), (".5", "double"), ("2024-02-29", "date"), ("2023-02-29", "string"),
    ("2024-01-02 03:04:05", "timestamp"), ("2024-01-02T03:04:05.123Z", "timestamp"),
    ("TRUE", "boolean"), ("yes", "string"), ("1_000", "string"), ("nan", "string"), ("inf", "string"),
])
def test_each_value_gets_the_narrowest_type_ingest_casts_it_to(value: str, type_: str) -> None:
    assert value_type(value) == type_


def test_a_column_takes_the_type_that_holds_all_its_values() -> None:
    assert column_type(["1", "2.5"]) == "double"
    assert column_type(["1", "3000000000"]) == "bigint"
    assert column_type(["2024-01-01", "2024-01-01 10:00:00"]) == "timestamp"
    assert column_type(["1", "x"]) == "string"
    assert column_type([]) == "string"


def test_an_increasing_integer_column_is_marked_as_a_row_number() -> None:
    sample = sniff("n,m\n1,5\n2,3\n10,9\n")

    assert sample.column("n").increasing and not sample.column("m").increasing


def test_quoted_values_with_doubled_quotes_or_line_breaks_are_noticed() -> None:
    sample = sniff('id,name\n1,"Barber, Miss. Ellen ""Nellie"""\n2,"two\nlines"\n')

    assert sample.dialect.doubled_quotes and sample.dialect.multiline
    assert sample.column("name").counts == {'Barber, Miss. Ellen "Nellie"': 1, "two\nlines": 1}


def test_a_sample_cut_inside_the_file_drops_its_partial_last_row() -> None:
    assert sniff("id,x\n1,a\n2,b\n3,", complete=False).rows == 2


@pytest.mark.parametrize(("text", "message"), [
    ("", "empty"), ("\n\n", "empty"), ("a,b\n", "a header line and at least one row"),
    ("a,b\n1\n2\n", "no line has the header's 2 fields"),
])
def test_text_that_is_no_csv_with_rows_is_refused_in_one_line(text: str, message: str) -> None:
    with pytest.raises(SniffError, match=message):
        sniff(text)
