"""The analyst's side of API v5: lumiwork's V5Client (the transport and error tree
every lumiwork client shares), tidy frames, pure figures, panels, and
`lumiwork upload` of API v5 JSON lines round-tripping with lumi-download."""
import json

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import pytest
from v5client import script

from lumiwork import v5
from lumiwork.client import LuminosoAuthError, LuminosoClientError, V5Client

PRODUCT = "product"


@pytest.fixture(scope="module")
def client(server, v5_url):
    return V5Client.connect(v5_url, token=server.token)


@pytest.fixture(scope="module")
def reviews(client, reviews_project):
    return client.project(reviews_project)


def test_connect_and_one_line_errors(server, v5_url, monkeypatch):
    from conftest import PASSWORD

    by_password = V5Client.connect(v5_url, username="analyst@example.com", password=PASSWORD)
    assert by_password.get("profile")["username"] == "analyst@example.com"
    monkeypatch.setenv("LUMIWORK_URL", server.url)  # API v5 beside the v4 URL, with its token
    monkeypatch.setenv("LUMIWORK_TOKEN", server.token)
    beside = V5Client.connect()
    assert beside.root_url == v5_url + "/" and beside.get("profile")["default_workspace"]
    with pytest.raises(LuminosoClientError) as info:
        beside.open_project("no such project")
    assert "no project named 'no such project'" in str(info.value) and "\n" not in str(info.value)
    with pytest.raises(LuminosoAuthError) as refused:
        V5Client.connect(v5_url, token="forged").get("projects")
    assert "was refused" in str(refused.value)
    with pytest.raises(LuminosoClientError) as bad:
        beside.get("projects/nope")
    assert str(bad.value).startswith("NOT_FOUND: no project 'nope'") and "(HTTP 404)" in str(bad.value)


def test_frames_are_tidy_and_agree(reviews):
    fields = v5.frames.metadata_fields(reviews)
    assert list(fields["name"]) == ["product", "rating", "review"]
    products = v5.frames.metadata_values(reviews, PRODUCT)
    assert products["count"].sum() == 3708 and products["value"].iloc[0] == "Creative Nomad Jukebox Zen Xtra"
    nokia = v5.frames.where(PRODUCT, "Nokia 6610 phone")
    drivers = v5.frames.score_drivers(reviews, "rating", filter=nokia, limit=10)
    assert list(drivers["impact"]) == sorted(drivers["impact"])
    assert (drivers["ci_low"] <= drivers["impact"]).all() and (drivers["impact"] <= drivers["ci_high"]).all()
    assert drivers["significant"].tolist() == (drivers["confidence"].abs() >= 1.96).tolist()
    moods = v5.frames.sentiment(reviews, v5.frames.specified("battery", "customer service"))
    shares = moods[["positive_share", "neutral_share", "negative_share"]].sum(axis=1)
    assert np.allclose(shares, 1)
    assert (moods[["positive", "neutral", "negative"]].sum(axis=1) == moods["match_count"]).all()
    counts = v5.frames.match_counts(reviews, v5.frames.selector("top", 5), nokia)
    assert counts.attrs == {"total_count": 3708, "filter_count": 530}
    assert np.allclose(counts["share"], counts["match_count"] / 530)
    assert (counts["exact_match_count"] + counts["conceptual_match_count"] == counts["match_count"]).all()
    found = v5.frames.documents(reviews, filter=nokia, search="battery", limit=5)
    assert found["match_score"].is_monotonic_decreasing and (found[PRODUCT] == "Nokia 6610 phone").all()
    assert found["rating"].dtype == "float64" and found.attrs["filter_count"] > 5
    clusters = v5.frames.concepts(reviews, v5.frames.selector("suggested", num_clusters=2, num_cluster_concepts=3))
    assert len(clusters) == 6 and clusters["cluster_label"].nunique() == 2
    pairs = v5.frames.associations(reviews, v5.frames.specified("battery", "charge", "price"))
    battery = pairs[pairs["name"] == "battery"].set_index("other")["association_score"]
    assert battery["charge"] > battery["price"]
    list_id = v5.frames.save_concept_list(reviews, "frames list", ["battery", ["screen", "display"]])
    saved = v5.frames.concept_lists(reviews)
    assert list(saved[saved["concept_list_id"] == list_id]["name"]) == ["battery", "screen"]


def test_breakdowns_by_field_and_over_time(client, reviews):
    by_product = v5.frames.match_counts_by(reviews, PRODUCT, v5.frames.specified("battery", "screen"))
    assert set(by_product["value"]) == set(v5.frames.metadata_values(reviews, PRODUCT)["value"])
    totals = by_product.groupby("value")["filter_count"].first()
    assert totals.sum() == 3708
    figure = v5.plots.match_counts_across(by_product, PRODUCT)
    assert isinstance(figure, go.Figure) and figure.data[0].type == "heatmap"
    dated = client.create_project("dated feedback")
    days = pd.date_range("2024-01-01", periods=60, freq="D", tz="UTC")
    dated.upload([{"text": f"The {'battery' if i % 3 else 'screen'} {'failed' if i < 30 else 'works'} today.",
                   "metadata": [{"type": "date", "name": "when", "value": day.isoformat()},
                                {"type": "score", "name": "stars", "value": 1 if i < 30 else 5}]}
                  for i, day in enumerate(days)])
    dated.build()
    dated.wait_for_build(timeout=120, interval=0.1)
    over_time = v5.frames.match_counts_over_time(dated, "when", v5.frames.specified("battery"), periods=4)
    assert len(over_time) == 4 and over_time["filter_count"].sum() == 60  # every day in exactly one span
    assert over_time["match_count"].sum() == 40
    chart = v5.plots.match_counts_over_time_chart(over_time)
    assert [trace.name for trace in chart.data] == ["battery"]
    with pytest.raises(ValueError, match="not a date field"):
        v5.frames.match_counts_over_time(dated, "stars")
    drivers = v5.frames.score_drivers(dated, "stars", v5.frames.specified("failed", "works"))
    assert drivers.set_index("name").loc["failed", "impact"] == pytest.approx(1 - 3)


def test_figures_show_the_frames(reviews):
    drivers = v5.frames.score_drivers(reviews, "rating", limit=12)
    chart = v5.plots.score_drivers_chart(drivers)
    points = chart.data[0]
    shown = drivers[drivers["match_count"] > 0]
    assert list(points.x) == shown["match_count"].tolist() and list(points.y) == shown["impact"].tolist()
    assert list(points.marker.color) == shown["confidence"].tolist()  # confidence visible as colour
    assert list(points.error_y.array) == pytest.approx((shown["ci_high"] - shown["impact"]).tolist())
    assert "baseline" in chart.layout.title.text
    moods = v5.frames.sentiment(reviews, v5.frames.selector("top", 6))
    bars = v5.plots.sentiment_share_chart(moods)
    assert [trace.name for trace in bars.data] == ["negative", "neutral", "positive"]
    assert sorted(bars.data[2].x) == sorted(moods["positive_share"])
    counts = v5.plots.match_counts_bars(v5.frames.match_counts(reviews))
    assert [trace.name for trace in counts.data] == ["exact", "conceptual"]


def test_panels_recall_frames_when_controls_change(reviews):
    panel = v5.widgets.score_drivers_panel(reviews, filter_field=PRODUCT, filter_value="Apex AD2600 DVD player",
                                           limit=8)
    assert panel.figure is not None and "Apex" in panel.figure.layout.title.text
    apex = panel.frame
    field, value = panel.children[0].children[1], panel.children[0].children[2]
    value.value = "Nokia 6610 phone"
    assert "Nokia" in panel.figure.layout.title.text and not panel.frame.equals(apex)
    field.value = v5.widgets.NO_FILTER
    assert panel.frame["baseline"].iloc[0] == pytest.approx(v5.frames.score_drivers(reviews, "rating")["baseline"][0])
    moods = v5.widgets.sentiment_panel(reviews, limit=8)
    assert len(moods.frame) == 8 and moods.figure is not None
    across = v5.widgets.match_counts_panel(reviews, PRODUCT, limit=4)
    assert set(across.frame["value"]) == set(v5.frames.metadata_values(reviews, PRODUCT)["value"])
    assert "<div class='lumiwork-panel'>" in across.static_html()


def test_reviews_demo_is_found_again(client, reviews_project):
    from lumiwork.tools.demo import build_reviews_project

    assert build_reviews_project(client).project_id == reviews_project


def test_lumiwork_upload_of_v5_json_lines_round_trips_with_lumi_download(server, v5_url, tmp_path):
    from lumiwork.tools.cli import main

    docs = [{"text": "The battery died.", "title": "one", "metadata": [
                {"type": "score", "name": "stars", "value": 1}, {"type": "date", "name": "when",
                                                                 "value": "2024-05-01T10:00:00Z"}]},
            {"text": "The screen is lovely.", "title": "two", "metadata": [
                {"type": "string", "name": "shop", "value": "north"}, {"type": "string", "name": "shop",
                                                                       "value": "online"}]}]
    source = tmp_path / "feedback.jsonl"
    source.write_text("".join(json.dumps(d) + "\n" for d in docs), encoding="utf-8")
    assert main(["upload", str(source), server.setup.account_id, "v5 upload", "--url", server.url]) == 0
    project = V5Client.connect(v5_url, token=server.token).open_project("v5 upload")
    assert project.get("")["last_build_info"]["success"] is True
    tokens = tmp_path / "tokens.json"
    tokens.write_text(json.dumps({server.netloc: server.token}))
    result = script("lumi-download", "-b", v5_url, "-f", str(tokens), project.project_id, str(tmp_path / "out.jsons"))
    assert result.returncode == 0, result.stderr
    assert [json.loads(line) for line in (tmp_path / "out.jsons").read_text().splitlines()] == docs


def test_score_drivers_notebook_exports_as_a_report(server, reviews_project, tmp_path):
    import os
    import subprocess
    import sys

    from conftest import REPO

    output = tmp_path / "drivers.html"
    result = subprocess.run([sys.executable, "-m", "lumiwork", "report", str(REPO / "notebooks" /
                                                                           "12-v5-score-drivers.ipynb"),
                             "-o", str(output), "--timeout", "120"],
                            env={**os.environ, "LUMIWORK_URL": server.url, "LUMIWORK_TOKEN": server.token},
                            capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]
    page = output.read_text(encoding="utf-8")
    assert "<title>Score drivers (API v5)</title>" in page and "<b>Project</b> Product reviews" in page
    assert "lumiwork-panel" in page and "Score: <b>rating</b>" in page  # the panel, static
    assert "<V5Client" not in page and "&lt;V5Client" not in page
