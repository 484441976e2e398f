import csv

import pytest

from huiqi import classifier


def test_labelled_csv_with_a_bom_and_extra_columns_is_read_in_order(tmp_path):
    path = tmp_path / "history.csv"
    path.write_text("id,text,label\n1,公交站台破损,交通运输\n2, 学校收费 ,教育文体\n", encoding="utf-8-sig")
    assert classifier.read_labelled_csv(path) == (["公交站台破损", "学校收费"], ["交通运输", "教育文体"])


def test_a_missing_column_is_named(tmp_path):
    path = tmp_path / "history.csv"
    path.write_text("text,category\n公交站台破损,交通运输\n", encoding="utf-8")
    with pytest.raises(classifier.TrainingDataError, match="缺少列 label"):
        classifier.read_labelled_csv(path)


def test_a_row_without_a_label_is_refused_with_its_line_number(tmp_path):
    path = tmp_path / "history.csv"
    path.write_text("text,label\n公交站台破损,交通运输\n学校收费,\n", encoding="utf-8")
    with pytest.raises(classifier.TrainingDataError, match="第 3 行：label 为空"):
        classifier.read_labelled_csv(path)


def test_predictions_are_written_as_label_confidence_top3(tmp_path):
    predictions = [
        classifier.Prediction(
            "交通运输", 0.91234, [("交通运输", 0.91234), ("城乡建设", 0.05), ("环境保护", 0.02)]
        )
    ]
    path = tmp_path / "out.csv"
    classifier.write_predictions_csv(path, predictions)
    with path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.reader(handle))
    assert rows == [
        ["label", "confidence", "top3"],
        ["交通运输", "0.9123", "交通运输:0.9123;城乡建设:0.0500;环境保护:0.0200"],
    ]


def test_texts_csv_keeps_empty_texts_so_rows_stay_aligned(tmp_path):
    path = tmp_path / "in.csv"
    path.write_text('text\n公交站台破损\n""\n学校收费\n', encoding="utf-8")
    assert classifier.read_texts_csv(path) == ["公交站台破损", "", "学校收费"]
