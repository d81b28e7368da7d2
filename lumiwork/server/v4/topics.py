"""topics/: saved topics, their statistics and correlation matrices."""
from __future__ import annotations

import numpy as np
from starlette.routing import Route

from ...engine import query
from ..core.pipeline import Call, endpoint
from .exports import matrix_answer
from .lookups import get_model, get_project, get_topic, loaded_model
from .serializers import topic_record, topic_vector


def topic_fields(call: Call, required: bool) -> dict:
    """name, text and color of a topic; on create name and text are required,
    on update each is optional, and none may be empty."""
    fields = {
        "name": call.params.string("name", required=required, limit="topic name",
                                   allow_empty=False),
        "text": call.params.string("text", required=required, limit="topic text",
                                   allow_empty=False),
        "color": call.params.string("color", limit="topic name", allow_empty=False),
    }
    return {name: value for name, value in fields.items() if value is not None}


def list_topics(call: Call) -> list[dict]:
    project = get_project(call)
    model = loaded_model(call, project)
    return [topic_record(model, t) for t in call.store.topics.find(project["project_id"])]


def create_topic(call: Call) -> dict:
    project = get_project(call, "write")
    fields = topic_fields(call, required=True)
    topic_id = call.store.topics.add(project["project_id"], fields["name"], fields["text"],
                                    fields.get("color"))
    return topic_record(loaded_model(call, project), get_topic(call, project, topic_id))


def read_topic(call: Call) -> dict:
    project = get_project(call)
    return topic_record(loaded_model(call, project), get_topic(call, project, call.path["topic"]))


def update_topic(call: Call) -> dict:
    project = get_project(call, "write")
    topic_id = call.path["topic"]
    get_topic(call, project, topic_id)
    fields = topic_fields(call, required=False)
    if fields:
        call.store.topics.update(project["project_id"], topic_id, **fields)
    return topic_record(loaded_model(call, project), get_topic(call, project, topic_id))


def delete_topic(call: Call) -> bool:
    project = get_project(call, "write")
    get_topic(call, project, call.path["topic"])
    call.store.topics.delete(project["project_id"], call.path["topic"])
    return True


def topics_stats(call: Call) -> dict:
    project = get_project(call)
    model = get_model(call, project)
    topics = call.store.topics.find(project["project_id"])
    # A topic's vector depends only on its text and the model, so the answer is
    # cached per model and topic set (it scans every document once per topic).
    stats = model.memo(("topic stats", tuple((t["_id"], t["text"]) for t in topics)),
                       lambda: query.topic_stats(model, {t["_id"]: topic_vector(model, t) for t in topics}))
    names = {t["_id"]: t["name"] for t in topics}
    names[query.ALL_TOPICS] = query.ALL_TOPICS
    return {topic_id: {"name": names[topic_id], **values} for topic_id, values in stats.items()}


def text_correlation(call: Call) -> dict:
    project = get_project(call)
    model = get_model(call, project)
    vector = model.vector_for_text(call.params.string("text", required=True, limit="query text",
                                                      multiline=True))
    return {t["_id"]: float(topic_vector(model, t) @ vector)
            for t in call.store.topics.find(project["project_id"])}


def _topic_matrix(call: Call):
    """Topic ids, names, their vectors as rows, and the model they come from."""
    project = get_project(call)
    model = get_model(call, project)
    topics = call.store.topics.find(project["project_id"])
    matrix = (np.stack([topic_vector(model, t) for t in topics]) if topics
              else np.zeros((0, model.dimensions)))
    return [t["_id"] for t in topics], [t["name"] for t in topics], matrix, model


def topic_correlation(call: Call):
    ids, names, matrix, _ = _topic_matrix(call)
    file_format = call.params.string("format", "json")
    return matrix_answer(file_format, ids, names, ids, names, matrix @ matrix.T)


def subset_correlation(call: Call):
    ids, names, matrix, model = _topic_matrix(call)
    file_format = call.params.string("format", "json")
    values = matrix @ model.subset_means.T
    return matrix_answer(file_format, ids, names, model.subset_names, model.subset_names, values)


P = "/projects/{account}/{project}/"
routes = [
    Route(P + "topics/", endpoint(list_topics), methods=["GET"]),
    Route(P + "topics/", endpoint(create_topic), methods=["POST"]),
    Route(P + "topics/stats/", endpoint(topics_stats), methods=["GET"]),
    Route(P + "topics/text_correlation/", endpoint(text_correlation, reads_only=True),
          methods=["PUT", "GET", "POST"]),
    Route(P + "topics/correlation/", endpoint(topic_correlation), methods=["GET"]),
    Route(P + "topics/subset_correlation/", endpoint(subset_correlation), methods=["GET"]),
    Route(P + "topics/id/{topic}/", endpoint(read_topic), methods=["GET"]),
    Route(P + "topics/id/{topic}/", endpoint(update_topic), methods=["PUT", "PATCH"]),
    Route(P + "topics/id/{topic}/", endpoint(delete_topic), methods=["DELETE"]),
]
