import json

import pytest
from django.core.management import CommandError, call_command

from tests.factories import categories
from training.models import TrainingExample

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _categories(request):
    if "org" in request.fixturenames:  # the labels these files use are categories there
        org = request.getfixturevalue("org")
        categories(org, "Billing", "Support", "cards", "lost", "transfers", "a", "b", "c", "d")


def _import(path, **extra):
    options = {"org": "acme", "text_column": "text", "label_column": "label", **extra}
    call_command("import_examples", str(path), **options)


def test_csv_import_with_commas_quotes_newlines_unicode(org, tmp_path, capsys):
    path = tmp_path / "data.csv"
    path.write_text(
        "text,label\n"
        '"Refund, please","Billing"\n'
        '"He said ""hi""\nthen left",Support\n'
        "Ça ne marche pas 🙃,Support\n"
        "Refund,Billing\n",
        encoding="utf-8",
    )
    _import(path, approve=True)
    texts = set(TrainingExample.objects.values_list("input_text", flat=True))
    assert 'He said "hi"\nthen left' in texts and "Ça ne marche pas 🙃" in texts
    assert TrainingExample.objects.filter(validation_status="approved").count() == 4
    assert "4 created" in capsys.readouterr().out


def test_jsonl_import_and_duplicates_merge(org, tmp_path):
    path = tmp_path / "data.jsonl"
    rows = [
        {"text": "Card  lost", "label": "cards"},
        {"text": "card lost", "label": "lost"},
        {"text": "Where is my money", "label": "transfers"},
    ]
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n", encoding="utf-8")
    _import(path, task="category")
    assert TrainingExample.objects.count() == 2
    merged = TrainingExample.objects.get(input_text="card lost")
    assert merged.expected_output == "lost" and merged.validation_status == "pending"
    _import(path)  # a second import updates, never duplicates
    assert TrainingExample.objects.count() == 2
    example = TrainingExample.objects.first()
    assert example.quality_parts and 0 <= example.quality_score <= 1


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "empty"),
        (b"text,label\n", "no rows"),
        (b"body,category\nhello,x\n", r"Missing column\(s\) text, label; the file has: body"),
        ("text,label\nCafé,x\n".encode("latin-1"), "not valid UTF-8"),
    ],
)
def test_bad_files_import_nothing(org, tmp_path, content, message):
    path = tmp_path / "bad.csv"
    path.write_bytes(content)
    with pytest.raises(CommandError, match=message):
        _import(path)
    assert TrainingExample.objects.count() == 0


def test_bad_rows_are_all_reported_and_nothing_is_imported(org, tmp_path, capsys):
    path = tmp_path / "rows.csv"
    path.write_text("text,label\ngood,a\n,b\nno label,\n" + "x" * 20_001 + ",c\nfine,d\nx,y,z\n")
    with pytest.raises(CommandError, match="4 bad row"):
        _import(path)
    err = capsys.readouterr().err
    assert "line 7: The row has more fields" in err
    assert "line 3: The text is empty." in err and "line 4: The label is empty." in err
    assert "line 5" in err
    assert TrainingExample.objects.count() == 0


def test_bad_jsonl_lines_are_reported(org, tmp_path, capsys):
    path = tmp_path / "rows.jsonl"
    path.write_text('{"text": "ok", "label": "a"}\nnot json\n[1]\n{"text": "x"}\n')
    with pytest.raises(CommandError, match="3 bad row"):
        _import(path)
    err = capsys.readouterr().err
    assert "line 2: Invalid JSON" in err and "line 4: Missing key(s): label." in err
    assert TrainingExample.objects.count() == 0


def test_unknown_org_and_missing_file(tmp_path, db):
    with pytest.raises(CommandError, match="No such file"):
        _import(tmp_path / "nope.csv")
    path = tmp_path / "a.csv"
    path.write_text("text,label\na,b\n")
    with pytest.raises(CommandError, match="No organization"):
        _import(path)
