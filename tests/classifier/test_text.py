from huiqi.classifier import learn_gap_stopwords, normalise_text, tokenise


def test_full_width_letters_digits_and_spaces_become_half_width():
    assert normalise_text("Ａ３区\u3000２０１９年ＡＢＣ") == "a3区 2019年abc"


def test_every_kind_of_whitespace_collapses_to_one_space():
    assert normalise_text("  道路\t破损\n\n严重\xa0 \u3000请修复 ") == "道路 破损 严重 请修复"


def test_tokenise_drops_punctuation_but_keeps_words_and_numbers():
    tokens = tokenise("小区门口的道路破损了！！请尽快修复（2019年）。")
    assert "道路" in tokens
    assert "2019" in tokens
    assert not any(token in {"！", "（", "）", "。", "!", "(", ")"} for token in tokens)


def test_tokenise_keeps_an_existing_segmentation():
    assert tokenise("西湖 建筑 集团 占 道 施工") == ["西湖", "建筑", "集团", "占", "道", "施工"]


def test_tokenise_removes_the_given_stopwords():
    assert "的" in tokenise("学校的老师")
    assert "的" not in tokenise("学校的老师", frozenset({"的"}))


def test_raw_text_and_its_segmented_stopword_free_form_tokenise_alike():
    raw = "学校的老师拖欠了学生的学费"
    assert tokenise(raw, frozenset({"的", "了"})) == tokenise("学校 老师 拖欠 学生 学费")


def test_gap_stopwords_are_frequent_words_missing_from_the_training_text():
    segmented_without_stopwords = [["学校", "老师", "学生"] * 100] * 100  # 30,000 tokens, no 的/了/是
    learned = learn_gap_stopwords(segmented_without_stopwords, min_expected=20)
    assert {"的", "了", "是"} <= learned
    assert not learned & {"学校", "老师", "学生"}


def test_no_gap_stopwords_are_learned_from_raw_text_that_contains_them():
    raw = [["学校", "的", "老师", "了", "是"] * 100] * 100
    learned = learn_gap_stopwords(raw, min_expected=20)
    assert not learned & {"的", "了", "是"}


def test_a_small_corpus_learns_no_gap_stopwords():
    assert learn_gap_stopwords([["学校", "老师"]], min_expected=20) == frozenset()
