"""`closedloop attribution` as a function: JSON per channel, one-line errors naming the culprit."""

import json

import pytest

from closedloop.engine.attribution import MODELS
from closedloop.engine.cli_attribution import run_attribution_cli

CSV = """path,total_conversions,total_conversion_value,total_null
a > b,1,90,1
b > a,1,30,0
a,0,0,2
"""


def run(tmp_path, capsys, text, *args):
    file = tmp_path / "paths.csv"
    file.write_text(text, encoding="utf-8")
    code = run_attribution_cli(["--paths", str(file), *args])
    out, err = capsys.readouterr()
    return code, out, err


def channels(out):
    return {row["channel"]: row for row in json.loads(out)["channels"]}


def test_markov_prints_json_per_channel(tmp_path, capsys):
    # Same chain as tests/engine/test_markov.py::test_order_1_three_paths_two_channels:
    # a 50/43 conversions, 1800/31 revenue, removal effect 5/6; b 36/43, 1920/31, 3/5.
    code, out, _ = run(tmp_path, capsys, CSV, "--model", "markov", "--order", "1")
    assert code == 0
    assert json.loads(out)["model"] == "markov"
    rows = channels(out)
    assert rows["a"]["conversions"] == pytest.approx(50 / 43)
    assert rows["a"]["revenue"] == pytest.approx(1800 / 31)
    assert rows["a"]["removal_effect"] == pytest.approx(5 / 6)
    assert rows["b"]["conversions"] == pytest.approx(36 / 43)


def test_first_touch(tmp_path, capsys):
    # a opens "a > b" (1 conversion, 90) and "a" (none); b opens "b > a" (1, 30).
    code, out, _ = run(tmp_path, capsys, CSV, "--model", "first")
    assert code == 0
    assert channels(out) == {
        "a": {"channel": "a", "conversions": 1.0, "revenue": 90.0},
        "b": {"channel": "b", "conversions": 1.0, "revenue": 30.0},
    }


def test_all_models_side_by_side(tmp_path, capsys):
    # last touch: "a > b" ends on b (1, 90), "b > a" on a (1, 30).
    code, out, _ = run(tmp_path, capsys, CSV, "--model", "all")
    assert code == 0
    document = json.loads(out)
    assert document["models"] == list(MODELS)
    rows = channels(out)
    assert rows["b"]["conversions"]["last"] == 1.0
    assert rows["b"]["revenue"]["last"] == 90.0
    assert rows["a"]["conversions"]["markov"] == pytest.approx(50 / 43)


def test_unicode_channels_are_written_as_text(tmp_path, capsys):
    code, out, _ = run(tmp_path, capsys, "path,total_conversions\nÉvénement > 邮件,2\n", "--model", "linear")
    assert code == 0
    assert "邮件" in out
    assert channels(out)["邮件"]["conversions"] == 1.0
    # Revenue column absent: it counts as zero.
    assert channels(out)["邮件"]["revenue"] == 0.0


def test_missing_column_is_named(tmp_path, capsys):
    code, _, err = run(tmp_path, capsys, "path,conversions\na,1\n", "--model", "first")
    assert code == 2
    assert "missing column 'total_conversions'" in err


def test_bad_number_names_column_and_row(tmp_path, capsys):
    text = "path,total_conversions,total_null\na,1,0\nb,2,lots\n"
    code, _, err = run(tmp_path, capsys, text, "--model", "first")
    assert code == 2
    assert "column 'total_null' row 2: 'lots' is not a number" in err


def test_negative_count_is_refused(tmp_path, capsys):
    code, _, err = run(tmp_path, capsys, "path,total_conversions\na,-1\n", "--model", "first")
    assert code == 2
    assert "column 'total_conversions' row 1" in err


def test_empty_path_is_refused(tmp_path, capsys):
    code, _, err = run(tmp_path, capsys, 'path,total_conversions\na,1\n" > ",1\n', "--model", "first")
    assert code == 2
    assert "empty path" in err


def test_unknown_model_lists_the_choices(tmp_path, capsys):
    code, _, err = run(tmp_path, capsys, CSV, "--model", "magic")
    assert code == 2
    assert "'magic'" in err
    assert "shapley" in err


def test_bad_order_and_half_life(tmp_path, capsys):
    assert run(tmp_path, capsys, CSV, "--model", "markov", "--order", "0")[2].startswith("error: --order")
    assert "--half-life" in run(tmp_path, capsys, CSV, "--model", "time_decay", "--half-life", "-1")[2]


def test_missing_file(tmp_path, capsys):
    code = run_attribution_cli(["--paths", str(tmp_path / "nope.csv"), "--model", "first"])
    assert code == 2
    assert "no such file" in capsys.readouterr().err


def test_all_skips_shapley_with_too_many_channels(tmp_path, capsys):
    path = " > ".join(f"c{i}" for i in range(16))
    code, out, _ = run(tmp_path, capsys, f"path,total_conversions\n{path},1\n", "--model", "all")
    assert code == 0
    assert json.loads(out)["skipped"] == ["shapley"]
