"""Synthetic appeals for the classifier tests: four categories with distinct vocabularies, written here
(the real message-board data is used only by benchmarks/classifier.py)."""

from __future__ import annotations

import random

import pytest

from huiqi import classifier

VOCABULARY = {
    "交通运输": ["公交", "红绿灯", "堵车", "停车场", "路口", "地铁", "出租车", "车站"],
    "教育文体": ["学校", "老师", "学生", "学费", "课程", "幼儿园", "补课", "校车"],
    "环境保护": ["噪音", "污水", "排放", "垃圾", "空气", "烟尘", "异味", "河道"],
    "劳动和社会保障": ["社保", "工资", "养老", "医保", "拖欠", "劳动合同", "加班费", "退休"],
}
OPENINGS = ["尊敬的领导您好，", "您好！", "", "反映一个问题："]
LINKS = ["附近的", "最近", "长期存在", "严重影响", "希望解决"]


def synthetic_appeal(label: str, rng: random.Random) -> str:
    words = rng.sample(VOCABULARY[label], 4)
    parts = [rng.choice(OPENINGS)]
    for word in words:
        parts.append(f"{rng.choice(LINKS)}{word}")
    return "，".join(parts) + "。"


def synthetic_set(per_label: int, seed: int) -> tuple[list[str], list[str]]:
    rng = random.Random(seed)
    texts, labels = [], []
    for _ in range(per_label):
        for label in VOCABULARY:
            texts.append(synthetic_appeal(label, rng))
            labels.append(label)
    return texts, labels


@pytest.fixture(scope="package")
def training_set() -> tuple[list[str], list[str]]:
    return synthetic_set(per_label=12, seed=1)


@pytest.fixture(scope="package")
def trained(training_set: tuple[list[str], list[str]]) -> classifier.TrainedClassifier:
    texts, labels = training_set
    return classifier.train(texts, labels, config=classifier.ClassifierConfig(folds=3))
