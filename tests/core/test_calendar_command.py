"""`huiqi workdays add|between` exactly as DATA-CONTRACT.md section 3 says: the result alone on stdout,
a bilingual warning on stderr when the result is provisional."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

pytestmark = pytest.mark.usefixtures("holiday_calendar")


def run(*args: str) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command("workdays", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_add_prints_the_date_n_working_days_after_counting_from_the_next_day():
    assert run("add", "2026-09-30", "3") == ("2026-10-10\n", "")


def test_between_prints_the_number_of_working_days():
    assert run("between", "2026-09-25", "2026-10-12") == ("7\n", "")


def test_a_half_day_prints_the_moment_it_ends():
    assert run("add", "2026-09-30", "2.5")[0] == "2026-10-10 12:00\n"


def test_a_negative_count_goes_backwards():
    assert run("add", "2026-10-08", "-1")[0] == "2026-09-30\n"


def test_an_unscheduled_year_prints_the_result_and_warns_on_stderr():
    out, err = run("add", "2026-12-25", "10")
    assert out == "2027-01-08\n"
    assert "2027 年的节假日安排尚未录入" in err
    assert "Warning: the holiday schedule for 2027 has not been entered" in err
    assert "weekends only" in err
    out, err = run("between", "2027-01-01", "2027-02-01")
    assert out == "21\n"
    assert "2027" in err


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("add", "2026-13-01", "1"), "2026-13-01"),
        (("add", "2026-09-30", "x"), "工作日数必须是数字"),
        (("add", "2026-09-30", "0.3"), "0.5 的倍数"),
        (("between", "2026-09-30", "tomorrow"), "tomorrow"),
    ],
)
def test_bad_input_is_a_command_error_naming_the_value(args, message):
    with pytest.raises(CommandError, match=message):
        run(*args)
