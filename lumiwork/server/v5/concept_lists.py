"""concept_lists/: named lists of concepts saved with a project (for the
concept_list selector), each concept with a shared_concept_id and a colour."""
from __future__ import annotations

import re

from starlette.routing import Route

from ..core import auth
from ..core.errors import ApiError, bad_parameter
from ..core.jsonstrict import check_text
from ..core.pipeline import Call, endpoint
from ..db.concept_lists import ConceptListExists
from .concepts import MAX_SPECIFIED, concept_texts
from .lookups import get_project

COLOR = re.compile(r"#[0-9a-fA-F]{6}")
# Colours given to concepts saved without one, in turn (a qualitative palette).
PALETTE = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f",
           "#bcbd22", "#17becf")


def _concepts(call: Call, value: object, existing: dict[str, dict] | None = None) -> list[dict]:
    """Concepts as stored: {shared_concept_id, name, texts, color}. With
    `existing` (a list's concepts by id), a given shared_concept_id must be one
    of them and keeps it; concepts without one get a new id."""
    if not isinstance(value, list) or len(value) > MAX_SPECIFIED:
        raise bad_parameter("concepts", f"must be a list of at most {MAX_SPECIFIED} concepts "
                            "{\"texts\": [...], \"name\"?, \"color\"?}")
    stored = []
    for position, item in enumerate(value):
        try:
            texts, name = concept_texts(item, f"concepts[{position}]")
        except ApiError as error:
            raise bad_parameter("concepts", error.message.removeprefix("concept_selector ")) from None
        for text in texts:
            check_text("concepts", text)
        assert isinstance(item, dict)
        color = item.get("color")
        if color is None:
            color = PALETTE[position % len(PALETTE)]
        elif not isinstance(color, str) or not COLOR.fullmatch(color):
            raise bad_parameter("concepts", f"concepts[{position}] has color {str(color)[:20]!r}; use #rrggbb")
        concept_id = item.get("shared_concept_id")
        if concept_id is not None and (existing is None or concept_id not in existing):
            raise bad_parameter("concepts", f"concepts[{position}] names shared_concept_id "
                                f"{str(concept_id)[:40]!r}, which is not in this list")
        name = name if name else texts[0]
        check_text("concepts", name)
        stored.append({"shared_concept_id": concept_id or auth.random_id(10), "name": name, "texts": texts,
                       "color": color})
    return stored


def _list_name(call: Call, required: bool) -> str | None:
    name = call.params.string("name", required=required, limit="project name", allow_empty=False)
    return name.strip() if name is not None else None


def _record(found: dict) -> dict:
    return {key: found[key] for key in ("concept_list_id", "name", "concepts")}


def _get_list(call: Call, project) -> dict:
    found = call.store.concept_lists.get(project["project_id"], call.path["list"])
    if found is None:
        raise ApiError(404, "NOT_FOUND", f"no concept list {call.path['list'][:100]!r} in this project")
    return found


def exists(name: str) -> ApiError:
    return ApiError(400, "CONCEPT_LIST_EXISTS", f"this project already has a concept list named {name!r}; "
                    "send overwrite=true to replace it", name=name)


def list_lists(call: Call) -> list[dict]:
    return [_record(found) for found in call.store.concept_lists.all(get_project(call)["project_id"])]


def create_list(call: Call) -> dict:
    project = get_project(call, "write")
    name = _list_name(call, required=True)
    assert name is not None
    concepts = _concepts(call, call.params.json_value("concepts") or [])
    try:
        list_id = call.store.concept_lists.create(project["project_id"], name, concepts,
                                                  overwrite=call.params.boolean("overwrite"))
    except ConceptListExists:
        raise exists(name) from None
    return _record(call.store.concept_lists.get(project["project_id"], list_id) or {})


def read_list(call: Call) -> dict:
    return _record(_get_list(call, get_project(call)))


def rename_list(call: Call) -> dict:
    project = get_project(call, "write")
    found = _get_list(call, project)
    name = _list_name(call, required=False)
    try:
        call.store.concept_lists.update(project["project_id"], found["concept_list_id"], name=name)
    except ConceptListExists:
        raise exists(name or "") from None
    return _record(_get_list(call, project))


def set_concepts(call: Call) -> dict:
    """Replace a list's concepts with those given (the list as read back, edited):
    a concept keeps its shared_concept_id, a new one gets one."""
    project = get_project(call, "write")
    found = _get_list(call, project)
    existing = {c["shared_concept_id"]: c for c in found["concepts"]}
    concepts = _concepts(call, call.params.json_value("concepts"), existing)
    call.store.concept_lists.update(project["project_id"], found["concept_list_id"], concepts=concepts)
    return _record(_get_list(call, project))


def delete_list(call: Call) -> dict:
    project = get_project(call, "write")
    found = _get_list(call, project)
    call.store.concept_lists.delete(project["project_id"], found["concept_list_id"])
    return {"deleted": found["concept_list_id"]}


P = "/projects/{project}/concept_lists/"
routes = [
    Route(P, endpoint(list_lists), methods=["GET"]),
    Route(P, endpoint(create_list), methods=["POST"]),
    Route(P + "{list}/", endpoint(read_list), methods=["GET"]),
    Route(P + "{list}/", endpoint(rename_list), methods=["PUT", "PATCH"]),
    Route(P + "{list}/", endpoint(delete_list), methods=["DELETE"]),
    Route(P + "{list}/concepts/", endpoint(set_concepts), methods=["PUT"]),
]
