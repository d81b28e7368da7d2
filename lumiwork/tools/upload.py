"""`lumiwork upload`: a CSV or JSON-lines file into a project, in batches."""
from __future__ import annotations

import sys

from ..client import LuminosoClient, LuminosoClientError, find_project
from .datasets import read_documents

BATCH_SIZE = 1000


def upload_file(path, account: str, project_name: str, url: str, append: bool = False,
                stage: bool = False, language: str | None = None, username: str | None = None,
                token_file: str | None = None) -> LuminosoClient:
    """Upload documents to a new project (or, with `append`, to the newest
    project of that name), then recalculate unless `stage`; returns the project client."""
    read = read_documents(path)
    for problem in read.problems:
        print(f"skipped {problem}", file=sys.stderr)
    if not read.documents:
        raise LuminosoClientError(f"{path} holds no document with text")
    if language:
        for doc in read.documents:
            doc.setdefault("language", language)
    client = LuminosoClient.connect(url, username=username, token_file=token_file)
    account_client = client.change_path(f"/projects/{account}/")
    if append:
        existing = find_project(account_client, project_name)
        if existing is None:
            raise LuminosoClientError(f"no project named {project_name!r} at {account_client.url}: "
                                      "leave out --append to create it")
        project_id = existing["project_id"]
    else:
        options = {"language": language} if language else {}
        project_id = account_client.post("", name=project_name, **options)["project_id"]
    project = account_client.change_path(project_id)
    project.upload("docs", read.documents, batch_size=BATCH_SIZE, progress=True)
    if not stage:
        project.wait_for(project.post("docs/recalculate"), interval=0.5, progress=True)
    print(f"project {project_name!r}: {project.url}")
    return project
