"""`lumiwork upload`: a CSV or JSON-lines file into a project, in batches: through
API v4, or through API v5 when the documents carry typed metadata (the JSON
lines lumi-upload reads and lumi-download writes)."""
from __future__ import annotations

import sys

from ..client import LuminosoClient, LuminosoClientError, find_project
from ..client.v5 import V5Client, v5_root
from .datasets import read_documents

BATCH_SIZE = 1000


def upload_file(path, account: str, project_name: str, url: str, append: bool = False,
                stage: bool = False, language: str | None = None, username: str | None = None,
                token_file: str | None = None) -> LuminosoClient | V5Client:
    """Upload documents to a new project (or, with `append`, to the newest
    project of that name), then recalculate unless `stage`; returns the project
    client. Documents with "metadata" go through API v5 (`upload_v5`)."""
    read = read_documents(path)
    for problem in read.problems:
        print(f"skipped {problem}", file=sys.stderr)
    if not read.documents:
        raise LuminosoClientError(f"{path} holds no document with text")
    if any("metadata" in doc for doc in read.documents):
        return upload_v5(read.documents, account, project_name, url, append, stage, language, username, token_file)
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


def v5_document(doc: dict) -> dict:
    """A read document in API v5's form: text, title, metadata (its subsets as
    string values of "subset" and its date as the date field "date", as API v5
    shows an API v4 document)."""
    metadata = list(doc.get("metadata") or [])
    metadata += [{"type": "string", "name": "subset", "value": subset} for subset in doc.get("subsets", ())]
    if doc.get("date") is not None:
        metadata.append({"type": "date", "name": "date", "value": doc["date"]})
    return {"text": doc["text"], "title": doc.get("title", ""), "metadata": metadata}


def upload_v5(documents: list[dict], workspace: str, project_name: str, url: str, append: bool = False,
              stage: bool = False, language: str | None = None, username: str | None = None,
              token_file: str | None = None) -> V5Client:
    """The documents into an API v5 project of `workspace`, then a build unless `stage`."""
    client = V5Client.connect(v5_root(url), username=username, token_file=token_file)
    if append:
        if client.find_project(project_name) is None:
            raise LuminosoClientError(f"no project named {project_name!r} at {client.root_url}: "
                                      "leave out --append to create it")
        project = client.open_project(project_name)
    else:
        project = client.create_project(project_name, language=language or "en", workspace_id=workspace)
    project.upload([v5_document(doc) for doc in documents], batch_size=BATCH_SIZE, progress=True)
    if not stage:
        project.build()
        project.wait_for_build(progress=True)
    print(f"project {project_name!r}: {project.url}")
    return project
