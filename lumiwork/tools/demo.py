"""The cookbook's demo project: Siddhartha, one document per sentence, with the
cookbook's four topics."""
from __future__ import annotations

from ..client import LuminosoClient, find_project
from .datasets import siddhartha

DEMO_PROJECT = "Siddhartha"
COOKBOOK_TOPICS = (
    ("Negative Sentiment", "sadness ugly evil devious"),
    ("Positive Sentiment", "beautiful happy brightly"),
    ("Characters", "siddhartha vasudeva govinda kamala samana gotama"),
    ("River", "river"),
)


def build_demo_project(account_client: LuminosoClient, name: str = DEMO_PROJECT,
                       text_path=None, progress: bool = False, rebuild: bool = False) -> LuminosoClient:
    """Create (or reuse) the demo project under an account client
    (URL ``.../projects/<account>/``) and return a client for it. With several
    projects of that name, the newest is the one reused or rebuilt."""
    existing = find_project(account_client, name)
    if existing and existing.get("last_build_time") and not rebuild:
        return account_client.change_path(existing["project_id"])
    if existing:
        account_client.delete(existing["project_id"])
    info = account_client.post("", name=name, description="Hermann Hesse's Siddhartha, "
                               "one document per sentence, chapters as subsets")
    project = account_client.change_path(info["project_id"])
    project.upload("docs", siddhartha(text_path), batch_size=500, progress=progress)
    for topic_name, text in COOKBOOK_TOPICS:
        project.post("topics", name=topic_name, text=text)
    project.wait_for(project.post("docs/recalculate"), interval=0.5, progress=progress)
    return project
