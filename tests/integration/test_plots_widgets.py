"""Figures through fig.to_dict(); widgets by setting .value, as ipywidgets' tests do."""
import numpy as np
import pandas as pd
import pytest

from lumiwork import plots, tables, widgets


def test_related_terms_bars_strongest_on_top():
    frame = pd.DataFrame({"term": ["a|en", "b|en"], "text": ["a", "b"], "correlation": [0.9, 0.4]})
    data = plots.related_terms_bars(frame).to_dict()["data"][0]
    assert data["type"] == "bar" and data["orientation"] == "h"
    assert list(data["y"]) == ["b", "a"] and list(data["x"]) == [0.4, 0.9]


def test_topic_stats_figure_leaves_out_all_and_writes_zscores_under_the_names():
    frame = pd.DataFrame({"topic_id": ["t1", ".all"], "name": ["River", ".all"], "distance": [10.0, 9.0],
                          "mean": [0.05, 0.1], "stdev": [0.1, 0.2], "zscore": [17.3, 20.0], "n": [1200, 1200]})
    fig = plots.topic_stats_figure(frame).to_dict()
    data = fig["data"][0]
    assert list(data["x"]) == ["River"] and list(data["error_y"]["array"]) == [0.1]
    assert "text" not in data  # a label on the bar is where its error bar runs
    assert list(fig["layout"]["xaxis"]["ticktext"]) == ["River<br>Z = 17.3"]


def test_heatmap_puts_subsets_down_the_side_with_readable_names():
    matrix = pd.DataFrame([[0.1, -0.2, 0.3]], index=["Negative Sentiment"],
                          columns=["__all__", "Chapter 1", "Chapter 2"])
    fig = plots.topic_subset_heatmap(matrix).to_dict()
    heat = fig["data"][0]
    assert heat["type"] == "heatmap" and list(heat["y"]) == ["All documents", "Chapter 1", "Chapter 2"]
    assert list(heat["x"]) == ["Negative Sentiment"] and heat["z"] == [[0.1], [-0.2], [0.3]]
    assert list(fig["layout"]["xaxis"]["ticktext"]) == ["Negative<br>Sentiment"]


def test_vector_map_compares_directions():
    """A subset's mean vector is short, a topic's has unit length: the map places
    them by direction, so a short vector lands where a long one of its direction does."""
    vectors = np.array([[0.2, 0, 0], [1.0, 0, 0], [0, 1.0, 0], [0, 0, 1.0]])
    fig = plots.vector_map(["a", "b", "c", "d"], vectors, ["chapter", "chapter", "topic", "topic"]).to_dict()
    assert [trace["name"] for trace in fig["data"]] == ["chapter", "topic"]
    chapters = fig["data"][0]
    assert np.allclose([chapters["x"][0], chapters["y"][0]], [chapters["x"][1], chapters["y"][1]])


def test_labels_of_a_crowded_map_stay_apart_and_inside():
    """Twelve chapters in a ring 45 px apart, and long names at the edges: no two
    labels overlap, none leaves the plot."""
    ring = [[250 + 85 * np.cos(a), 220 + 85 * np.sin(a)] for a in np.linspace(0, 2 * np.pi, 12, endpoint=False)]
    points = np.vstack([ring, [[600, 400], [20, 30], [610, 15], [15, 420]]])
    labels = [f"Ch. {i}" for i in range(1, 13)] + ["Negative Sentiment", "Characters", "Positive Sentiment",
                                                   "River"]
    positions = plots.label_positions(points, labels, 620, 440)
    boxes = [plots.label_box(p, label, at) for p, label, at in zip(points, labels, positions)]
    for i, a in enumerate(boxes):
        assert a[0] >= 0 and a[1] >= 0 and a[2] <= 620 and a[3] <= 440, (labels[i], a)
        for j, b in enumerate(boxes[:i]):
            assert min(a[2], b[2]) <= max(a[0], b[0]) or min(a[3], b[3]) <= max(a[1], b[1]), (labels[i], labels[j])


def test_subset_bars_read_across_first_on_top():
    """Long chapter names down the side, in the subsets' order from the top, each
    row one subset, the height growing with their number."""
    names = [f"Chapter {i}: WITH THE CHILDLIKE PEOPLE" for i in range(1, 13)]
    fig = plots.subset_dot_products(names, np.linspace(-0.05, 0.05, 12), "thoughtful").to_dict()
    bar = fig["data"][0]
    assert bar["orientation"] == "h" and list(bar["y"]) == names and bar["x"][0] == -0.05
    assert fig["layout"]["yaxis"]["autorange"] == "reversed"
    assert fig["layout"]["height"] >= 24 * 12


def test_readable_tables_say_all_documents_not_all():
    frame = pd.DataFrame({"River": [0.1, 0.2], "topic": [".all", "UNCLASSIFIED"], "is_default": [True, False]},
                         index=pd.Index(["__all__", "Chapter 1"], name="subset"))
    table = tables.readable(frame)
    assert list(table.index) == ["All documents", "Chapter 1"]
    assert list(table["topic"]) == ["All topics together", "no topic"]
    assert list(table["is_default"]) == ["yes", "no"]
    assert list(tables.readable(frame.T).columns) == ["All documents", "Chapter 1"]


def test_readable_tables_hide_term_ids_and_show_missing_values_blank():
    frame = pd.DataFrame({"name": ["zen", "ipod"], "exact_term_ids": [["zen|en"], ["ipod|en"]],
                          "relevance": [0.5, np.nan], "last_view": pd.to_datetime([None, "2026-12-07 10:30"])})
    table = tables.readable(frame)
    assert list(table.columns) == ["name", "relevance", "last_view"]
    assert list(table["relevance"]) == [0.5, ""] and list(table["last_view"]) == ["", "2026-12-07 10:30"]
    assert "exact_term_ids" in tables.readable(frame, show_ids=True).columns


def test_doc_search_bars_split_exact_and_conceptual():
    frame = pd.DataFrame({"text": ["the river", "water flows"], "score": [0.6, 0.5],
                          "exact_spans": [[[4, 9]], []]})
    traces = plots.doc_search_bars(frame, "river").to_dict()["data"]
    assert [t["name"] for t in traces] == ["exact match", "conceptual match"]
    assert list(traces[1]["x"]) == [0.5]


def test_highlight_escapes_and_marks():
    html = widgets.highlight("<b>river</b> & water", [[3, 8]], [[15, 20]])
    assert html == "&lt;b&gt;<b>river</b>&lt;/b&gt; &amp; <u>water</u>"
    assert "<script" not in widgets.highlight("<script>x</script>", [], [])


def test_term_search_panel_reacts_to_value(demo_project):
    panel = widgets.term_search_panel(demo_project, text="river", limit=5)
    assert panel.frame.loc[0, "term"] == "river|en" and len(panel.frame) == 5
    text_box, topic_box, count = panel.children[0].children
    text_box.value = "govinda"
    assert panel.frame.loc[0, "term"] == "govinda|en"
    assert "govinda" in panel.figure.to_dict()["layout"]["title"]["text"]
    count.value = 8
    assert len(panel.frame) == 8
    topic_box.value = topic_box.options[-1][1]  # the River topic
    assert panel.frame.loc[0, "term"] == "river|en"


def test_doc_search_panel_conceptual_only(demo_project):
    panel = widgets.doc_search_panel(demo_project, text="river", limit=20)
    assert panel.frame["contains_text"].any()
    panel.children[0].children[2].value = True
    assert len(panel.frame) > 0 and not panel.frame["contains_text"].any()


def test_topic_and_subset_explorers(demo_project):
    topics = widgets.topic_explorer(demo_project)
    assert topics.frame.loc[0, "name"] == "River"
    topics.children[0].children[0].value = "Govinda and Siddhartha"
    assert topics.frame.loc[0, "name"] == "Characters"
    subsets = widgets.subset_explorer(demo_project, text="ferryman")
    assert len(subsets.frame) == 12
    best = subsets.frame.sort_values("dot_product").iloc[-1]["subset"]
    assert best in ("Chapter 9: THE FERRYMAN", "Chapter 8: BY THE RIVER", "Chapter 10: THE SON")


def small_project(account_client, name):
    """A recalculated three-document project of its own, safe to delete."""
    project = account_client.change_path(account_client.post("", name=name)["project_id"])
    project.upload("docs", [{"text": "The river ran past the ferry."},
                            {"text": "The ferryman listened to the river."},
                            {"text": "A boat crossed the river at dawn."}])
    project.wait_for(project.post("docs/recalculate"), interval=0.1)
    return project


def delete(account_client, project):
    account_client.delete(project.url.rstrip("/").rsplit("/", 1)[-1])


def test_panel_shows_errors_instead_of_raising(account_client):
    project = small_project(account_client, "panel errors")
    panel = widgets.term_search_panel(project, text="river", limit=5)
    assert panel.message.value == "" and panel.frame.loc[0, "term"] == "river|en"
    delete(account_client, project)
    panel.children[0].children[0].value = "ferry"  # the project is gone: a real 404
    assert panel.message.value.startswith("<b>Could not update:</b> NOT_FOUND: ")
    assert panel.message.value.endswith("(HTTP 404)")


def test_panel_drops_stale_results_after_an_error(account_client):
    project = small_project(account_client, "panel stale results")
    panel = widgets.term_search_panel(project, text="river", limit=5)
    assert len(panel.output.outputs) == 1
    delete(account_client, project)
    panel.children[0].children[0].value = "ferry"
    assert panel.frame is None and panel.figure is None
    assert panel.output.outputs == ()  # the old chart is gone from the page too
    assert "river" not in panel.static_html()


@pytest.mark.parametrize("build, box", [
    (widgets.term_search_panel, 0), (widgets.doc_search_panel, 0),
    (widgets.topic_explorer, 0), (widgets.subset_explorer, 0)])
def test_panels_say_when_no_word_is_known(demo_project, build, box):
    panel = build(demo_project)
    assert panel.frame is not None and len(panel.output.outputs) >= 1
    panel.children[0].children[box].value = "xqzvy"
    assert panel.frame is None and panel.figure is None and panel.output.outputs == ()
    assert panel.message.value.startswith("<b>No results:</b> &#x27;xqzvy&#x27; is not known")
    panel.children[0].children[box].value = ""
    assert "empty" in panel.message.value and panel.frame is None
    panel.children[0].children[box].value = "river"
    assert panel.message.value == "" and panel.frame is not None and len(panel.output.outputs) >= 1


def test_panel_on_a_stopped_server_shows_one_line_and_clears(tmp_path):
    from lumiwork.client import LuminosoClient
    from lumiwork.server import EmbeddedServer

    srv = EmbeddedServer(tmp_path / "data", username="a@example.com", password="correct horse battery")
    try:
        account = LuminosoClient.connect(f"{srv.url}projects/{srv.setup.account_id}/", token=srv.token)
        project = small_project(account, "stopped server")
        panel = widgets.doc_search_panel(project, text="river", limit=5)
        assert panel.frame is not None
    finally:
        srv.stop()
    panel.children[0].children[0].value = "ferry"
    assert panel.frame is None and panel.output.outputs == ()
    message = panel.message.value
    assert message.startswith(f"<b>Could not update:</b> cannot reach {srv.url} (connection refused)")
    assert "lumiwork serve" in message and "\n" not in message


def test_panel_after_a_failure_retries_on_enter_with_the_same_text(tmp_path):
    """The server is down, the panel says so; the server comes back, and Enter on
    the unchanged text (which changes no value) runs the query again."""
    from lumiwork.client import LuminosoClient
    from lumiwork.server import EmbeddedServer

    srv = EmbeddedServer(tmp_path / "data", username="a@example.com", password="correct horse battery")
    account = LuminosoClient.connect(f"{srv.url}projects/{srv.setup.account_id}/", token=srv.token)
    project = small_project(account, "retry on enter")
    panel = widgets.doc_search_panel(project, text="river", limit=5)
    text_box = panel.children[0].children[0]
    srv.stop()
    text_box.value = "ferry"
    assert panel.frame is None and "cannot reach" in panel.message.value
    srv = EmbeddedServer(tmp_path / "data", port=srv.port, username="a@example.com", password="correct horse battery")
    try:
        text_box._handle_custom_msg({"event": "submit"}, [])  # what the browser sends on Enter
        assert panel.message.value == "" and panel.frame is not None and len(panel.output.outputs) >= 1
        assert panel.frame["text"].str.contains("ferry").any()
    finally:
        srv.stop()


def test_panel_static_html_for_reports(demo_project):
    panel = widgets.doc_search_panel(demo_project, text="river", limit=5)
    page = panel.static_html()
    assert "Search: <b>river</b>" in page and "Documents: <b>5</b>" in page
    assert "only documents without the words: <b>no</b>" in page and "False" not in page
    assert "Plotly.newPlot" in page and "<script src" not in page
    assert page.count("<li>") == 5 and "<b>river</b>" in page
    bundle = panel._repr_mimebundle_()
    data = bundle[0] if isinstance(bundle, tuple) else bundle
    assert data["text/html"].startswith(
        "<div class='lumiwork-panel'><p class='lumiwork-panel-settings'>Search: <b>river</b>")
    assert "application/vnd.jupyter.widget-view+json" in data


def test_sliders_update_on_release(demo_project):
    panel = widgets.term_search_panel(demo_project)
    assert panel.children[0].children[2].continuous_update is False


def test_long_queries_are_cut_in_titles(demo_project):
    panel = widgets.topic_explorer(demo_project, text="the river " * 20)
    title = panel.figure.to_dict()["layout"]["title"]["text"]
    assert len(title) < 60 and "…" in title
