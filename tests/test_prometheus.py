"""deploy/prometheus/: the scrape configuration and the alert rules are valid for Debian's
promtool, the rules' unit tests pass, every metric the rules name is one a real server
exports (a renamed metric breaks this test, not an operator's pager), and every alert
is tested and in the runbook."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from conftest import RunningServer
from prometheus_client.parser import text_string_to_metric_families

from tests.debian import ensure_packages

ROOT = Path(__file__).resolve().parent.parent
FOLDER = ROOT / "deploy" / "prometheus"
RULES = FOLDER / "drawgame.rules.yml"
RULES_TEST = FOLDER / "drawgame.rules.test.yml"
RUNBOOK = ROOT / "docs" / "RUNBOOK.md"
MADE_BY_PROMETHEUS = {"up"}
PROMQL_WORDS = {"and", "or", "unless", "bool", "offset", "by", "without", "on", "ignoring",
                "group_left", "group_right"}
SUFFIXES = {"counter": ("_total", "_created"), "summary": ("_sum", "_count", "_created"),
            "histogram": ("_bucket", "_sum", "_count", "_created"), "info": ("_info",)}


@pytest.fixture(scope="module")
def promtool() -> str:
    # Only promtool is used: not the exporter Debian's prometheus recommends.
    return ensure_packages({"promtool": "prometheus"}, recommends=False)["promtool"]


def run(promtool: str, *args: str) -> subprocess.CompletedProcess[str]:
    done = subprocess.run([promtool, *args], cwd=FOLDER, capture_output=True, text=True,
                          timeout=60)
    assert done.returncode == 0, done.stdout + done.stderr
    return done


def rules() -> list[dict[str, Any]]:
    groups = yaml.safe_load(RULES.read_text())["groups"]
    return [rule for group in groups for rule in group["rules"]]


def metric_names(expr: str) -> set[str]:
    """The metrics a PromQL expression selects: what is left once label matchers,
    ranges, grouping clauses, strings and numbers are taken out, less functions (a name
    followed by an opening parenthesis) and PromQL's words."""
    bare = re.sub(r'\{[^}]*\}|\[[^\]]*\]|"[^"]*"', " ", expr)
    bare = re.sub(r"\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)", " ", bare)
    names = set()
    for found in re.finditer(r"(?<![A-Za-z0-9_:.])[A-Za-z_:][A-Za-z0-9_:]*(?=\s*(\()?)", bare):
        if found.group(1) is None and found.group(0) not in PROMQL_WORDS:
            names.add(found.group(0))
    return names


def exported(text: str) -> set[str]:
    """Every series name a /metrics text can hold, samples or not (a labelled family
    shows no sample until its first labels are used)."""
    names = set()
    for family in text_string_to_metric_families(text):
        names.add(family.name)
        names.update(family.name + suffix for suffix in SUFFIXES.get(family.type, ()))
        names.update(sample.name for sample in family.samples)
    return names


def test_the_scrape_configuration_and_the_rules_are_valid(promtool: str) -> None:
    config = run(promtool, "check", "config", "prometheus.yml")
    assert "SUCCESS: 1 rule files found" in config.stdout
    checked = run(promtool, "check", "rules", RULES.name)
    assert f"SUCCESS: {len(rules())} rules found" in checked.stdout


def test_the_rules_unit_tests_pass(promtool: str) -> None:
    done = run(promtool, "test", "rules", RULES_TEST.name)
    assert "SUCCESS" in done.stdout


def test_the_metric_name_reader_sees_through_promql() -> None:
    assert metric_names('sum by (job, instance) (rate(a_total{status=~"5.."}[5m])) > 0.1') \
        == {"a_total"}
    assert metric_names("rate(x_sum[5m]) / rate(x_count[5m]) > 0.05") == {"x_sum", "x_count"}
    assert metric_names('up{job="drawgame"} == 0 and on (instance) b offset 5m') == {"up", "b"}


async def test_every_metric_the_rules_name_is_exported(server: RunningServer) -> None:
    async with httpx.AsyncClient(base_url=server.url, timeout=10) as http:
        assert (await http.get("/api/health")).status_code == 200
        scraped = await http.get("/metrics")
    assert scraped.status_code == 200
    names = set().union(*(metric_names(rule["expr"]) for rule in rules()))
    assert {"drawgame_event_loop_lag_seconds", "process_open_fds"} <= names
    missing = names - MADE_BY_PROMETHEUS - exported(scraped.text)
    assert not missing, f"the alert rules name metrics the server does not export: {missing}"


def test_every_alert_is_tested_and_in_the_runbook() -> None:
    alerts = {rule["alert"] for rule in rules()}
    tests = yaml.safe_load(RULES_TEST.read_text())["tests"]
    firing = {case["alertname"] for test in tests for case in test["alert_rule_test"]
              if case.get("exp_alerts")}
    assert firing == alerts
    runbook = RUNBOOK.read_text()
    in_table = set(re.findall(r"^\| `(Drawgame\w+)` \|", runbook, re.MULTILINE))
    assert in_table == alerts
    anchors = {re.sub(r"[^a-z0-9 -]", "", heading.lower()).replace(" ", "-")
               for heading in re.findall(r"^#+ (.+)$", runbook, re.MULTILINE)}
    for rule in rules():
        assert rule["labels"]["severity"] in ("SEV1", "SEV2", "SEV3", "SEV4")
        anchor = re.match(r"docs/RUNBOOK.md#([a-z0-9-]+)", rule["annotations"]["runbook"])
        assert anchor and anchor.group(1) in anchors, rule["annotations"]["runbook"]
