"""Quizzes: question banks, the daily quiz drawn per member and day, special tests with a window, a time limit and
limited attempts; answers graded on the server; scores and points (with the daily cap) in the learning record;
results per branch and township for the staff of those units only."""

from __future__ import annotations

import csv
import io
from datetime import datetime, time, timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st
from openpyxl import Workbook

from dangjian.core.models import AuditRecord, RoleKind
from dangjian.education import actions, learning, queries, quiz
from dangjian.education.models import Answer, Attempt, Question, QuestionKind, QuizKind
from tests.core.otp import login_verified

S, M, TF = QuestionKind.SINGLE, QuestionKind.MULTIPLE, QuestionKind.TRUE_FALSE


@pytest.fixture
def bank(editor, tree):
    """A bank of 12 questions: 8 single-choice, 2 multiple-choice, 2 true-or-false, added through the action."""
    b = actions.create_bank(actor=editor, name="党章知识", unit=tree["county"])
    for i in range(8):
        actions.add_question(actor=editor, bank=b, kind=S, text=f"单选题{i}：党的根本组织原则是什么？",
                             options=[("民主集中制", True), ("集体领导", False), ("个人负责", False)],
                             explanation=f"解析{i}：党章总纲。")  # fmt: skip
    for i in range(2):
        actions.add_question(actor=editor, bank=b, kind=M, text=f"多选题{i}：“三会”包括？",
                             options=[("支部党员大会", True), ("支部委员会", True), ("党小组会", True),
                                      ("民主生活会", False)])  # fmt: skip
    for i in range(2):
        actions.add_question(actor=editor, bank=b, kind=TF, text=f"判断题{i}：预备期为一年。",
                             options=[("正确", True), ("错误", False)])  # fmt: skip
    return b


def _quiz(editor, tree, bank, kind=QuizKind.TEST, **kwargs):
    now = timezone.now()
    defaults = {"question_count": 5, "opens_at": now - timedelta(days=2)}
    if kind == QuizKind.TEST:
        defaults |= {"closes_at": now + timedelta(days=7), "max_attempts": 2, "pass_mark": 60}
    return actions.create_quiz(actor=editor, kind=kind, title="专题测试" if kind == QuizKind.TEST else "每日答题",
                               unit=tree["county"], banks=[bank], **(defaults | kwargs))  # fmt: skip


@pytest.fixture
def daily(editor, tree, bank):
    return _quiz(editor, tree, bank, QuizKind.DAILY, opens_at=timezone.now() - timedelta(days=30))


@pytest.fixture
def test(editor, tree, bank):
    return _quiz(editor, tree, bank)


@pytest.fixture
def member(tree, make_user):
    return make_user("learner", (RoleKind.MEMBER, tree["v1"]))


def _answers(attempt, right: int | None = None) -> dict[int, list[int]]:
    """Answers to the attempt's questions: the first `right` right, the others wrong (all right by default)."""
    found = {}
    for a in attempt.answers.select_related("question").prefetch_related("question__options").order_by("order"):
        options = list(a.question.options.all())
        good = [o.pk for o in options if o.is_correct]
        bad = [o.pk for o in options if not o.is_correct][:1]
        found[a.question_id] = good if right is None or a.order <= right else bad
    return found


def _noon(day_offset: int = 0) -> datetime:
    day = timezone.localdate() + timedelta(days=day_offset)
    return timezone.make_aware(datetime.combine(day, time(12)))


# --- grading ---------------------------------------------------------------------------------------------


def test_grading_is_all_or_nothing_and_the_score_is_a_rounded_percentage():
    assert quiz.is_right([1], [1]) and not quiz.is_right([1], [2]) and not quiz.is_right([1], [])
    assert quiz.is_right([1, 2, 3], [3, 2, 1])
    assert not quiz.is_right([1, 2, 3], [1, 2]) and not quiz.is_right([1, 2], [1, 2, 4])
    assert [quiz.score(c, 8) for c in (0, 1, 5, 8)] == [0, 13, 63, 100]  # 12.5 rounds up, never to even
    assert quiz.score(2, 3) == 67 and quiz.score(0, 0) == 0


def test_answers_are_graded_on_the_server(member, test):
    attempt = actions.start_attempt(user=member, quiz_=test)
    done = actions.submit_attempt(user=member, attempt=attempt, answers=_answers(attempt, right=3))
    assert (done.correct, done.total, done.score, done.passed) == (3, 5, 60, True)
    graded = list(done.answers.order_by("order").values_list("is_correct", flat=True))
    assert graded == [True, True, True, False, False]
    assert AuditRecord.objects.filter(verb="education.quiz.submit", object_id=str(done.pk)).get().after["score"] == 60


def test_a_multiple_choice_question_with_one_right_option_missing_is_wrong(member, editor, tree, bank):
    only_multiple = actions.create_bank(actor=editor, name="多选", unit=tree["county"])
    Question.objects.filter(bank=bank, kind=M).update(bank=only_multiple)
    item = _quiz(editor, tree, only_multiple, question_count=2, pass_mark=100)
    attempt = actions.start_attempt(user=member, quiz_=item)
    first, second = attempt.answers.order_by("order")
    partial = [o.pk for o in first.question.options.filter(is_correct=True)][:2]
    full = list(second.question.options.filter(is_correct=True).values_list("pk", flat=True))
    done = actions.submit_attempt(user=member, attempt=attempt, answers={first.question_id: partial,
                                                                         second.question_id: full})  # fmt: skip
    assert (done.correct, done.score, done.passed) == (1, 50, False)


def test_question_options_follow_the_rule_of_their_kind(editor, bank):
    for kind, options in [
        (S, [("甲", True), ("乙", True)]),
        (S, [("甲", True)]),
        (M, [("甲", True), ("乙", False), ("丙", False)]),
        (TF, [("正确", True), ("错误", True)]),
        (S, [("甲", True), ("甲", False)]),
        ("essay", [("甲", True), ("乙", False)]),
    ]:
        with pytest.raises(ValidationError):
            actions.add_question(actor=editor, bank=bank, kind=kind, text="题", options=options)
    assert bank.questions.count() == 12


# --- the daily quiz --------------------------------------------------------------------------------------


def test_the_daily_quiz_is_the_same_all_day_and_different_the_next_day(member, daily):
    pool = list(Question.objects.values_list("pk", flat=True))
    today, tomorrow = timezone.localdate(), timezone.localdate() + timedelta(days=1)
    seed = quiz.seed_for(daily.pk, member.pk, day=today)
    assert quiz.draw(pool, 5, seed) == quiz.draw(list(reversed(pool)), 5, seed)
    assert quiz.draw(pool, 5, seed) != quiz.draw(pool, 5, quiz.seed_for(daily.pk, member.pk, day=tomorrow))

    morning = actions.start_attempt(user=member, quiz_=daily, now=_noon() - timedelta(hours=3))
    questions = list(morning.answers.order_by("order").values_list("question_id", flat=True))
    assert len(questions) == 5
    evening = actions.start_attempt(user=member, quiz_=daily, now=_noon() + timedelta(hours=8))
    assert evening.pk == morning.pk
    actions.submit_attempt(user=member, attempt=morning, answers=_answers(morning), now=_noon() - timedelta(hours=2))
    assert actions.start_attempt(user=member, quiz_=daily, now=_noon() + timedelta(hours=9)).pk == morning.pk

    next_day = actions.start_attempt(user=member, quiz_=daily, now=_noon(1))
    assert next_day.pk != morning.pk
    # The next day brings other questions: the bank still has some the member has not answered.
    assert not set(next_day.answers.values_list("question_id", flat=True)) & set(questions)


def test_todays_daily_quiz_cannot_be_submitted_tomorrow(member, daily):
    attempt = actions.start_attempt(user=member, quiz_=daily, now=_noon())
    with pytest.raises(ValidationError):
        actions.submit_attempt(user=member, attempt=attempt, answers=_answers(attempt), now=_noon(1))
    assert not Attempt.objects.get(pk=attempt.pk).is_submitted


# --- points ----------------------------------------------------------------------------------------------


def test_quiz_points_count_right_answers_up_to_the_daily_cap(member, editor, tree, bank, daily):
    test = _quiz(editor, tree, bank, question_count=6, max_attempts=3)
    day = _noon()
    first = actions.start_attempt(user=member, quiz_=daily, now=day)
    actions.submit_attempt(user=member, attempt=first, answers=_answers(first, right=3), now=day)
    assert learning.days(member, day.date(), day.date())[0].points == 3
    for right in (2, 4):  # a test taken twice: only its better attempt counts
        attempt = actions.start_attempt(user=member, quiz_=test, now=day)
        actions.submit_attempt(user=member, attempt=attempt, answers=_answers(attempt, right=right), now=day)
    found = learning.days(member, day.date(), day.date())[0]
    assert (found.quizzes, found.right) == (2, 3 + 4)
    assert found.points == learning.rules()["quiz"]["cap"] == 5
    assert learning.points(seconds=0, items=0, right=2) == 2


def test_the_quiz_points_rule_is_configurable(settings):
    settings.DANGJIAN_EDUCATION_POINTS = {"quiz": {"points": 2, "cap": 10}}
    assert learning.points(seconds=0, items=0, right=4) == 8
    assert learning.points(seconds=0, items=0, right=40) == 10


# --- special tests: window, attempts, time limit ---------------------------------------------------------


def test_a_test_is_taken_only_inside_its_window(member, editor, tree, bank):
    now = timezone.now()
    later = _quiz(editor, tree, bank, opens_at=now + timedelta(days=1), closes_at=now + timedelta(days=2))
    with pytest.raises(ValidationError, match="尚未开放"):
        actions.start_attempt(user=member, quiz_=later)
    closed = _quiz(editor, tree, bank, opens_at=now - timedelta(days=2), closes_at=now - timedelta(days=1))
    with pytest.raises(ValidationError):
        actions.start_attempt(user=member, quiz_=closed)
    assert not Attempt.objects.exists()


def test_answers_after_the_close_change_nothing(member, editor, tree, bank):
    now = timezone.now()
    item = _quiz(editor, tree, bank, opens_at=now - timedelta(hours=1), closes_at=now + timedelta(minutes=30))
    attempt = actions.start_attempt(user=member, quiz_=item)
    assert attempt.deadline == item.closes_at
    records = AuditRecord.objects.count()
    with pytest.raises(ValidationError):
        actions.submit_attempt(user=member, attempt=attempt, answers=_answers(attempt), now=now + timedelta(hours=1))
    attempt.refresh_from_db()
    assert attempt.submitted_at is None and attempt.score is None and AuditRecord.objects.count() == records
    assert not Answer.objects.filter(attempt=attempt).exclude(chosen=[]).exists()


def test_attempts_are_limited(member, test):
    for _ in range(test.max_attempts):
        attempt = actions.start_attempt(user=member, quiz_=test)
        assert actions.start_attempt(user=member, quiz_=test).pk == attempt.pk  # resumed, not a new one
        actions.submit_attempt(user=member, attempt=attempt, answers=_answers(attempt))
    with pytest.raises(ValidationError, match="2"):
        actions.start_attempt(user=member, quiz_=test)
    assert Attempt.objects.filter(user=member).count() == 2
    assert list(Attempt.objects.order_by("number").values_list("number", flat=True)) == [1, 2]


def test_submitting_twice_changes_nothing(member, test):
    attempt = actions.start_attempt(user=member, quiz_=test)
    actions.submit_attempt(user=member, attempt=attempt, answers=_answers(attempt, right=1))
    records = AuditRecord.objects.count()
    with pytest.raises(ValidationError, match="不能再次提交"):
        actions.submit_attempt(user=member, attempt=attempt, answers=_answers(attempt))
    attempt.refresh_from_db()
    assert (attempt.correct, attempt.score) == (1, 20) and AuditRecord.objects.count() == records


def test_the_time_limit_takes_a_late_submission_only_within_the_grace(member, editor, tree, bank):
    item = _quiz(editor, tree, bank, time_limit_minutes=10)
    start = timezone.now()
    attempt = actions.start_attempt(user=member, quiz_=item, now=start)
    assert attempt.deadline == start + timedelta(minutes=10)
    partial = dict(list(_answers(attempt).items())[:2])
    with pytest.raises(ValidationError):  # in time, every question must be answered
        actions.submit_attempt(user=member, attempt=attempt, answers=partial, now=start + timedelta(minutes=5))
    # The page submits itself when the time is up: unanswered questions count as wrong.
    done = actions.submit_attempt(
        user=member, attempt=attempt, answers=partial, now=start + timedelta(minutes=10, seconds=20)
    )
    assert (done.correct, done.total) == (2, 5)
    second = actions.start_attempt(user=member, quiz_=item, now=start)
    with pytest.raises(ValidationError):
        actions.submit_attempt(user=member, attempt=second, answers=_answers(second), now=start + timedelta(minutes=12))
    assert Attempt.objects.get(pk=second.pk).submitted_at is None


def test_a_quiz_is_for_the_members_of_its_unit(tree, make_user, editor, bank):
    township_quiz = actions.create_quiz(
        actor=editor, kind=QuizKind.TEST, title="文武坝镇测试", unit=tree["t1"], banks=[bank],
        closes_at=timezone.now() + timedelta(days=1), opens_at=timezone.now() - timedelta(minutes=1),
    )  # fmt: skip
    outsider = make_user("outsider", (RoleKind.MEMBER, tree["v2"]))
    with pytest.raises(ValidationError):
        actions.start_attempt(user=outsider, quiz_=township_quiz)
    insider = make_user("insider", (RoleKind.MEMBER, tree["v1"]))
    assert actions.start_attempt(user=insider, quiz_=township_quiz).unit == tree["v1"]
    assert list(queries.open_quizzes(outsider)) == [] and list(queries.open_quizzes(insider)) == [township_quiz]


# --- bad input -------------------------------------------------------------------------------------------


def _tampered(attempt, how: str) -> dict:
    answers = _answers(attempt)
    first = attempt.answers.order_by("order").first()
    other = Question.objects.exclude(pk__in=attempt.answers.values("question_id")).first()
    if how == "unknown option":
        answers[first.question_id] = [987654]
    elif how == "option of another question":
        answers[first.question_id] = [other.options.first().pk]
    elif how == "missing answer":
        del answers[first.question_id]
    elif how == "tampered question id":
        answers[other.pk] = [other.options.first().pk]
    elif how == "two answers to a single choice":
        answers[first.question_id] = list(first.question.options.values_list("pk", flat=True))[:2]
    return answers


BAD = ["unknown option", "option of another question", "missing answer", "tampered question id",
       "two answers to a single choice"]  # fmt: skip


@pytest.mark.parametrize("how", BAD)
def test_bad_answers_are_refused_with_a_reason_and_store_nothing(member, editor, tree, bank, how):
    Question.objects.filter(bank=bank).exclude(kind=S).update(is_active=False)  # single choice only
    item = _quiz(editor, tree, bank)
    attempt = actions.start_attempt(user=member, quiz_=item)
    records = AuditRecord.objects.count()
    with pytest.raises(ValidationError) as exc:
        actions.submit_attempt(user=member, attempt=attempt, answers=_tampered(attempt, how))
    assert exc.value.messages[0]
    attempt.refresh_from_db()
    assert attempt.submitted_at is None and AuditRecord.objects.count() == records
    assert not attempt.answers.exclude(chosen=[]).exists()


def _post_data(answers: dict) -> dict:
    return {f"q{q}": [str(o) for o in options] for q, options in answers.items()}


@pytest.mark.parametrize("how", BAD)
def test_bad_answers_on_the_page_get_a_translated_error_and_no_500(client, member, editor, tree, bank, how):
    Question.objects.filter(bank=bank).exclude(kind=S).update(is_active=False)
    item = _quiz(editor, tree, bank)
    attempt = actions.start_attempt(user=member, quiz_=item)
    client.force_login(member)
    response = client.post(reverse("education:attempt", args=[attempt.pk]), _post_data(_tampered(attempt, how)))
    assert response.status_code == 400
    page = response.content.decode()
    assert 'role="alert"' in page and "edu-error-summary" in page
    assert any(word in page for word in ("选项", "作答", "题目", "重新加载")), page[-3000:]
    assert not Attempt.objects.get(pk=attempt.pk).is_submitted


def test_the_submission_form_never_fails_and_stores_only_valid_answers(client, member, editor, tree, bank):
    item = _quiz(editor, tree, bank)
    attempt = actions.start_attempt(user=member, quiz_=item)
    client.force_login(member)
    url = reverse("education:attempt", args=[attempt.pk])
    fields = [f"q{q}" for q in attempt.answers.values_list("question_id", flat=True)]
    options = [str(o) for o in Question.objects.values_list("options__pk", flat=True)]
    keys = st.one_of(st.sampled_from(fields), st.integers(-5, 10**12).map(lambda i: f"q{i}"), st.text(max_size=6))
    values = st.lists(st.one_of(st.sampled_from(options), st.text(max_size=6), st.integers().map(str)), max_size=4)

    @hsettings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
    @given(st.dictionaries(keys, values, max_size=8))
    def check(data):
        with transaction.atomic():
            records = AuditRecord.objects.count()
            response = client.post(url, data)
            assert response.status_code in (302, 400)
            submitted = Attempt.objects.get(pk=attempt.pk).is_submitted
            assert submitted == (response.status_code == 302)
            if not submitted:
                assert AuditRecord.objects.count() == records
                assert not Answer.objects.filter(attempt=attempt).exclude(chosen=[]).exists()
            transaction.set_rollback(True)

    check()
    # And the real answers are taken.
    assert client.post(url, _post_data(_answers(attempt))).status_code == 302
    assert Attempt.objects.get(pk=attempt.pk).score == 100


# --- member pages ----------------------------------------------------------------------------------------


def test_a_member_takes_a_test_on_the_pages_and_sees_answers_when_no_attempt_is_left(
    client, member, editor, tree, bank, django_assert_max_num_queries
):
    item = _quiz(editor, tree, bank, max_attempts=1)
    client.force_login(member)
    with django_assert_max_num_queries(12):
        listing = client.get(reverse("education:quizzes"))
    assert item.title in listing.content.decode()
    started = client.post(reverse("education:quiz", args=[item.pk]))
    attempt = Attempt.objects.get(user=member)
    assert started.status_code == 302 and started.url == reverse("education:attempt", args=[attempt.pk])
    form = client.get(started.url).content.decode()
    assert form.count("<fieldset") == 5 and form.count("<legend>") == 5
    assert "民主集中制" in form and "解析" not in form  # no answers before the submission
    done = client.post(started.url, _post_data(_answers(attempt, right=4)), follow=True)
    page = done.content.decode()
    assert "80" in page and "党章总纲" in page  # the explanations, once no attempt is left
    assert Attempt.objects.get(pk=attempt.pk).score == 80
    again = client.post(started.url, _post_data(_answers(attempt)))
    assert again.status_code == 400 and Attempt.objects.get(pk=attempt.pk).score == 80
    with django_assert_max_num_queries(10):
        results = client.get(reverse("education:quiz_results"))
    assert item.title in results.content.decode()


def test_a_test_with_attempts_left_keeps_its_answers_hidden(client, member, test):
    client.force_login(member)
    attempt = actions.start_attempt(user=member, quiz_=test)
    actions.submit_attempt(user=member, attempt=attempt, answers=_answers(attempt))
    page = client.get(reverse("education:attempt", args=[attempt.pk])).content.decode()
    assert "100" in page and "党章总纲" not in page
    second = actions.start_attempt(user=member, quiz_=test)
    actions.submit_attempt(user=member, attempt=second, answers=_answers(second))
    page = client.get(reverse("education:attempt", args=[attempt.pk])).content.decode()
    assert "党章总纲" in page


def test_another_members_attempt_is_not_found(client, member, make_user, tree, test):
    attempt = actions.start_attempt(user=member, quiz_=test)
    other = make_user("other", (RoleKind.MEMBER, tree["v1"]))
    client.force_login(other)
    assert client.get(reverse("education:attempt", args=[attempt.pk])).status_code == 404
    assert (
        client.post(reverse("education:attempt", args=[attempt.pk]), _post_data(_answers(attempt))).status_code == 404
    )
    assert not Attempt.objects.get(pk=attempt.pk).is_submitted
    with pytest.raises(PermissionDenied):
        actions.submit_attempt(user=other, attempt=attempt, answers=_answers(attempt))


def test_the_learning_record_shows_quiz_scores_and_points(client, member, daily):
    attempt = actions.start_attempt(user=member, quiz_=daily)
    actions.submit_attempt(user=member, attempt=attempt, answers=_answers(attempt, right=4))
    client.force_login(member)
    page = client.get(reverse("education:record")).content.decode()
    assert daily.title in page and "80" in page
    assert learning.year(member, timezone.localdate().year).points == 4


# --- staff results ---------------------------------------------------------------------------------------


def test_staff_see_a_tests_results_for_their_units_only(client, tree, make_user, test, django_assert_max_num_queries):
    takers = [make_user("a", (RoleKind.MEMBER, tree["v1"])), make_user("b", (RoleKind.MEMBER, tree["v1"])),
              make_user("c", (RoleKind.MEMBER, tree["v2"]))]  # fmt: skip
    make_user("d", (RoleKind.MEMBER, tree["v2"]))  # has not taken it
    for user, right in zip(takers, (5, 2, 4), strict=True):
        attempt = actions.start_attempt(user=user, quiz_=test)
        actions.submit_attempt(user=user, attempt=attempt, answers=_answers(attempt, right=right))
    head = make_user("head", (RoleKind.UNIT_HEAD, tree["t1"]))
    results = queries.quiz_results(head, test)
    assert [(r.name, r.members, r.took, r.passed) for r in results.branches] == [("上坑村", 2, 2, 1)]
    assert [r.name for r in results.townships] == ["文武坝镇"] and results.total.average == 70.0

    county = make_user("org", (RoleKind.ORG_ADMIN, tree["county"]))
    everyone = queries.quiz_results(county, test)
    assert [(r.name, r.members, r.took, r.passed) for r in everyone.branches] == [
        ("上坑村", 2, 2, 1), ("下塘村", 2, 1, 1)
    ]  # fmt: skip
    assert (everyone.total.members, everyone.total.took, everyone.total.passed) == (4, 3, 2)

    login_verified(client, head)
    with django_assert_max_num_queries(14):
        page = client.get(reverse("education_work:quiz_results", args=[test.pk])).content.decode()
    assert "上坑村" in page and "下塘村" not in page
    assert test.title in client.get(reverse("education_work:quizzes")).content.decode()
    client.force_login(takers[0])
    assert client.get(reverse("education_work:quiz_results", args=[test.pk])).status_code == 403
    assert client.get(reverse("education_work:quizzes")).status_code == 403


def test_a_test_of_another_township_is_not_found_for_its_staff(client, tree, make_user, editor, bank):
    t2_test = actions.create_quiz(actor=editor, kind=QuizKind.TEST, title="筠门岭镇测试", unit=tree["t2"],
                                  banks=[bank], closes_at=timezone.now() + timedelta(days=1))  # fmt: skip
    head = make_user("head", (RoleKind.UNIT_HEAD, tree["t1"]))
    login_verified(client, head)
    assert client.get(reverse("education_work:quiz_results", args=[t2_test.pk])).status_code == 404


def test_the_members_who_have_not_taken_a_test_are_listed_for_the_staffs_units_only(
    client, tree, make_user, test, django_assert_max_num_queries
):
    took = make_user("took", (RoleKind.MEMBER, tree["v1"]))
    make_user("idle1", (RoleKind.MEMBER, tree["v1"]))
    unfinished = make_user("unfinished", (RoleKind.MEMBER, tree["v1"]))
    make_user("idle2", (RoleKind.MEMBER, tree["v2"]))
    attempt = actions.start_attempt(user=took, quiz_=test)
    actions.submit_attempt(user=took, attempt=attempt, answers=_answers(attempt, right=1))
    actions.start_attempt(user=unfinished, quiz_=test)
    head = make_user("head", (RoleKind.UNIT_HEAD, tree["t1"]))
    county = make_user("org", (RoleKind.ORG_ADMIN, tree["county"]))

    assert [r.user.username for r in queries.quiz_non_takers(head, test)] == ["idle1", "unfinished"]
    assert [r.user.username for r in queries.quiz_non_takers(county, test)] == ["idle1", "unfinished", "idle2"]
    assert [r.user.username for r in queries.quiz_non_takers(county, test, tree["v2"])] == ["idle2"]

    url = reverse("education_work:quiz_non_takers", args=[test.pk])
    login_verified(client, head)
    with django_assert_max_num_queries(14):
        page = client.get(url).content.decode()
    assert "idle1" in page and "unfinished" in page and "idle2" not in page and ">took<" not in page
    assert "已开始，未提交" in page  # the member who started and did not submit is told apart
    assert url in client.get(reverse("education_work:quiz_results", args=[test.pk])).content.decode()
    # A unit outside the staff member's reach is not found, and so is the list of a daily quiz.
    assert client.get(url, {"unit": tree["v2"].pk}).status_code == 404
    assert client.get(url, {"unit": "x"}).status_code == 404
    client.force_login(took)
    assert client.get(url).status_code == 403


def test_the_results_page_lists_the_questions_most_often_answered_wrong_in_the_staffs_units(
    client, tree, make_user, test
):
    near = make_user("near", (RoleKind.MEMBER, tree["v1"]))
    far = make_user("far", (RoleKind.MEMBER, tree["v2"]))
    attempt = actions.start_attempt(user=near, quiz_=test)
    actions.submit_attempt(user=near, attempt=attempt, answers=_answers(attempt, right=3))  # questions 4 and 5 wrong
    other = actions.start_attempt(user=far, quiz_=test)
    actions.submit_attempt(user=far, attempt=other, answers=_answers(other, right=0))
    actions.start_attempt(user=near, quiz_=test)  # not submitted: not counted
    head = make_user("head", (RoleKind.UNIT_HEAD, tree["t1"]))
    rows = queries.question_stats(head, test)
    drawn = list(attempt.answers.order_by("order").values_list("question_id", flat=True))
    assert {(r.question_id, r.asked, r.wrong) for r in rows[:2]} == {(drawn[3], 1, 1), (drawn[4], 1, 1)}
    assert sum(r.asked for r in rows) == 5 and sum(r.wrong for r in rows) == 2  # the other township's not counted
    assert rows[0].wrong_rate == 100.0 and rows[-1].wrong_rate == 0.0
    login_verified(client, head)
    page = client.get(reverse("education_work:quiz_results", args=[test.pk])).content.decode()
    assert "答错最多的题目" in page and rows[0].text in page


def test_the_list_of_non_takers_is_for_special_tests_only(client, tree, make_user, daily):
    login_verified(client, make_user("org", (RoleKind.ORG_ADMIN, tree["county"])))
    assert client.get(reverse("education_work:quiz_non_takers", args=[daily.pk])).status_code == 404


def test_the_workbench_counts_the_open_special_tests_and_links_to_the_quizzes(client, tree, make_user, test, daily):
    from dangjian.core.permissions import scope_for
    from dangjian.education.workbench import education_panel

    head = make_user("head", (RoleKind.UNIT_HEAD, tree["t1"]))
    [panel] = education_panel(head, scope_for(head))
    [item] = [i for i in panel.items if i.url == reverse("education_work:quizzes")]
    assert item.count == 1  # the special test; the daily quiz is not counted
    login_verified(client, head)
    page = client.get(reverse("portal:workbench")).content.decode()
    assert reverse("education_work:quizzes") in page
    member = make_user("plain", (RoleKind.MEMBER, tree["v1"]))
    assert education_panel(member, scope_for(member)) == []


# --- managing banks --------------------------------------------------------------------------------------

HEADER = ["题型", "题干", "选项A", "选项B", "选项C", "选项D", "答案", "解析"]
ROWS = [
    ["单选", "党的全国代表大会每几年举行一次？", "三年", "四年", "五年", "十年", "C", "党章第十九条。"],
    ["多选", "“四个意识”包括？", "政治意识", "大局意识", "核心意识", "忧患意识", "A、B、C", ""],
    ["判断", "预备党员有表决权。", "", "", "", "", "错", "预备党员没有表决权。"],
]


def _csv(rows, encoding="utf-8-sig") -> bytes:
    out = io.StringIO()
    csv.writer(out).writerows([HEADER, *rows])
    return out.getvalue().encode(encoding)


def _xlsx(rows) -> bytes:
    book = Workbook()
    for row in [HEADER, *rows]:
        book.active.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_questions_are_imported_from_a_spreadsheet_and_a_second_import_adds_nothing(editor, tree):
    bank = actions.create_bank(actor=editor, name="导入题库", unit=tree["county"])
    assert actions.import_questions(actor=editor, bank=bank, content=_xlsx(ROWS), filename="题库.xlsx") == (3, 0)
    multiple = bank.questions.get(kind=M)
    assert list(multiple.options.values_list("text", "is_correct")) == [
        ("政治意识", True), ("大局意识", True), ("核心意识", True), ("忧患意识", False)
    ]  # fmt: skip
    assert bank.questions.get(kind=TF, text__startswith="预备党员").options.get(is_correct=True).text == "错误"
    assert actions.import_questions(actor=editor, bank=bank, content=_csv(ROWS, "gb18030"), filename="q.csv") == (0, 3)


def test_a_spreadsheet_with_a_bad_row_imports_nothing_and_names_the_row(editor, bank):
    bad = [
        *ROWS,
        ["单选", "缺少正确答案的题", "甲", "乙", "", "", "E", ""],
        ["问答", "题型不对", "", "", "", "", "", ""],
    ]
    with pytest.raises(ValidationError) as exc:
        actions.import_questions(actor=editor, bank=bank, content=_csv(bad), filename="q.csv")
    assert len(exc.value.messages) == 2 and "5" in exc.value.messages[0] and "6" in exc.value.messages[1]
    assert bank.questions.count() == 12
    with pytest.raises(ValidationError):
        actions.import_questions(actor=editor, bank=bank, content=b"PK\x03\x04broken", filename="q.xlsx")
    with pytest.raises(ValidationError):
        actions.import_questions(actor=editor, bank=bank, content=b"x", filename="q.txt")


def test_the_import_page_is_for_the_banks_editors(client, editor, bank, tree, make_user):
    login_verified(client, editor)
    url = reverse("education_work:bank_import", args=[bank.pk])
    assert client.get(reverse("education_work:banks")).status_code == 200
    upload = io.BytesIO(_csv(ROWS))
    upload.name = "q.csv"
    response = client.post(url, {"file": upload})
    assert response.status_code == 302 and bank.questions.count() == 15
    bad = io.BytesIO(_csv([["单选", "题", "甲", "乙", "", "", "Z", ""]]))
    bad.name = "q.csv"
    assert client.post(url, {"file": bad}).status_code == 400 and bank.questions.count() == 15
    head = make_user("head", (RoleKind.UNIT_HEAD, tree["t1"]))
    login_verified(client, head)
    assert client.get(url).status_code == 404
    assert client.get(reverse("education_work:banks")).status_code == 403


def test_a_question_edited_in_the_admin_follows_the_rule_and_is_audited(verified_admin, bank):
    question = bank.questions.filter(kind=S).first()
    options = list(question.options.order_by("order"))
    data = {"bank": bank.pk, "kind": S, "text": question.text, "explanation": "新的解析", "is_active": "on",
            "options-TOTAL_FORMS": "3", "options-INITIAL_FORMS": "3", "options-MIN_NUM_FORMS": "0",
            "options-MAX_NUM_FORMS": "6"}  # fmt: skip
    for i, o in enumerate(options):
        data |= {f"options-{i}-id": o.pk, f"options-{i}-question": question.pk, f"options-{i}-order": o.order,
                 f"options-{i}-text": o.text, f"options-{i}-is_correct": "on"}  # fmt: skip
    url = f"/admin/education/question/{question.pk}/change/"
    refused = verified_admin.post(url, data)  # three right answers to a single-choice question
    assert refused.status_code == 200 and question.options.filter(is_correct=True).count() == 1
    for i in (1, 2):
        del data[f"options-{i}-is_correct"]
    assert verified_admin.post(url, data).status_code == 302
    assert AuditRecord.objects.filter(verb="education.question.change", object_id=str(question.pk)).exists()
    assert verified_admin.get("/admin/education/quiz/").status_code == 200
