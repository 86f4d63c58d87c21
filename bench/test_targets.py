"""The benchmark's verdicts: each scenario against its target (bench/run.py), the load test's
(bench/loadtest.py), and the write scenarios' alternation."""

import loadtest
from run import TARGETS, Toggle, judge, path_shape, verdict_table


def row(scenario: str, rps: float, p99: float, *, errors: int = 0, queries: int = 1) -> dict:
    return {"scenario": scenario, "rps": rps, "p99_ms": p99, "errors": errors, "queries_per_request": queries}


def test_a_read_within_its_ratios_passes_and_one_below_misses():
    verdicts = judge([row("me", 100, 10), row("post_detail", 50, 30), row("followers", 49, 31)])

    assert [(v["scenario"], v["rps_ratio"], v["p99_ratio"], v["misses"]) for v in verdicts] == [
        ("post_detail", 0.5, 3.0, []),
        ("followers", 0.49, 3.1, ["throughput", "p99"]),
    ]
    assert [v["passed"] for v in verdicts] == [True, False]


def test_me_and_untargeted_scenarios_are_not_judged():
    verdicts = judge([row("me", 100, 10), row("feed_f100_redis", 1, 1000)])

    assert verdicts == []


def test_errors_and_too_many_queries_are_misses():
    verdicts = judge([row("me", 100, 10), row("like", 90, 10, errors=2), row("post_create", 90, 10, queries=7)])

    assert [v["misses"] for v in verdicts] == [["2 errors"], ["queries"]]


def test_without_me_in_the_run_every_ratio_misses():
    (verdict,) = judge([row("search_rare", 100, 10)])

    assert verdict["rps_ratio"] is None
    assert verdict["misses"] == ["throughput", "p99"]


def test_the_table_shows_target_and_verdict():
    table = verdict_table(judge([row("me", 100, 10), row("post_create", 30, 80, queries=9)]))

    assert "0.30 (≥ 0.4)" in table
    assert "9 (≤ 6)" in table
    assert "MISS: throughput, queries" in table


def test_every_target_is_a_ratio_or_a_query_limit():
    for target in TARGETS.values():
        assert target.rps or target.p99 or target.queries


def test_a_toggle_starts_from_the_current_state_and_alternates():
    toggle = Toggle([(1, 10), (1, 11)], on={(1, 11)})

    assert [toggle.next(i) for i in range(4)] == [(1, 10, True), (1, 11, False), (1, 10, False), (1, 11, True)]


def test_path_shape_hides_ids_names_and_query_values():
    assert path_shape("/api/posts/123/replies/") == "/api/posts/{id}/replies/"
    assert path_shape("/api/v1/accounts/7/statuses") == "/api/v1/accounts/{id}/statuses"
    assert path_shape("/api/hashtags/python/posts/") == "/api/hashtags/{name}/posts/"
    assert path_shape("/api/search/?q=time&type=posts") == "/api/search/?q=…&type=…"


def stats(*, errors: int = 0, p99: float = 100.0, me_p99: float = 50.0, offered: float | None = None) -> dict:
    return {
        "me": {"errors": 0, "p99_ms": me_p99},
        "by_name": {"feed": {"errors": errors}},
        "p99_ms": p99,
        "offered_rate": loadtest.RATE if offered is None else offered,
    }


def test_the_load_test_passes_within_its_limits():
    assert loadtest.judge(stats(p99=250.0, me_p99=50.0)) == []


def test_the_load_test_misses_on_errors_latency_or_rate():
    assert loadtest.judge(stats(errors=1)) == ["1 errors"]
    assert loadtest.judge(stats(p99=251.0, me_p99=50.0)) == ["p99 251.0 ms > 5 × /me p99 = 250.0 ms"]
    assert loadtest.judge(stats(offered=loadtest.RATE * 0.9))[0].startswith("offered")
