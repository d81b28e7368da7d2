"""The demo projects: the cookbook's Siddhartha (API v4), one document per
sentence with the cookbook's four topics; and the product reviews (API v5),
one document per review sentence with its human rating and product."""
from __future__ import annotations

from ..client import LuminosoClient, find_project
from ..client.v5 import V5Client
from .datasets import reviews, siddhartha

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


REVIEWS_PROJECT = "Product reviews"


def build_reviews_project(client: V5Client, name: str = REVIEWS_PROJECT, path=None, progress: bool = False,
                          rebuild: bool = False) -> V5Client:
    """The reviews demo (API v5) as a project client: the newest project called
    `name` when it has been built (unless `rebuild`), else made from
    `lumiwork.datasets.reviews()`: 3,708 review sentences of five products, each
    with its mean human rating (score field "rating", -4 to +4), its product and
    its review."""
    existing = client.find_project(name)
    if existing and existing["last_build_info"].get("success") and not rebuild:
        return client.open_project(name)
    if existing:
        client.client_for_path("/").delete(f"projects/{existing['project_id']}")
    project = client.create_project(name, description="Amazon review sentences of five products with their "
                                    "mean human rating (Hutto & Gilbert 2014, from the vaderSentiment 3.3.2 sdist)")
    project.upload(reviews(path), progress=progress)
    project.build()
    project.wait_for_build(progress=progress)
    return project
