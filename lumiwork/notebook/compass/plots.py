"""Compass figures: pure functions from DataFrames to plotly figures."""
from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from ..figures import layout
from ..labels import readable_name

SENTIMENT_COLORS = {"negative": "#d62728", "neutral": "#9e9e9e", "positive": "#2ca02c"}


def volume_figure(volume: pd.DataFrame, title: str = "Messages per topic") -> go.Figure:
    """Stacked bars: messages per time bucket (rows) and topic (columns), as from
    frames.topic_volume; UNCLASSIFIED is shown as "no topic"."""
    figure = go.Figure([go.Bar(x=list(volume.index), y=volume[topic].tolist(), name=str(readable_name(topic)))
                        for topic in volume.columns])
    figure.update_layout(barmode="stack", xaxis_title="time (UTC)", yaxis_title="messages", legend_title="topic")
    return layout(figure, title, height=450)


def sentiment_figure(stats: pd.DataFrame, title: str = "Sentiment over time") -> go.Figure:
    """Stacked areas of negative, neutral and positive message weight per bucket,
    as from frames.stats; buckets before the first message are left empty."""
    figure = go.Figure([go.Scatter(x=list(stats.index), y=stats[name].tolist(), name=name, stackgroup="sentiment",
                                   line={"color": color}, mode="lines")
                        for name, color in SENTIMENT_COLORS.items()])
    figure.update_layout(xaxis_title="time (UTC)", yaxis_title="messages", legend_title="sentiment")
    return layout(figure, title, height=450)


def accuracy_figure(results: pd.DataFrame, title: str = "Test accuracy of each classifier") -> go.Figure:
    """Bars of accuracy per classifier (columns classifier, accuracy) beside the
    accuracy of guessing (column chance), both in [0, 1]."""
    figure = go.Figure([
        go.Bar(x=results["classifier"].tolist(), y=results["accuracy"].tolist(), name="accuracy",
               text=[f"{a:.2f}" for a in results["accuracy"]], textposition="outside"),
        go.Bar(x=results["classifier"].tolist(), y=results["chance"].tolist(), name="chance",
               marker_color="#bbbbbb"),
    ])
    figure.update_layout(barmode="group", yaxis={"range": [0, 1.1], "title": "accuracy"})
    return layout(figure, title, height=450)


__all__ = [
    'SENTIMENT_COLORS', 'accuracy_figure', 'sentiment_figure', 'volume_figure'
]
