"""The plain-text documentation served at GET /api/v5/: every endpoint, and
the definition (with its formula) of every number the public sources leave open."""
from __future__ import annotations

from string import Template

from ...engine import concepts
from ...engine.classify import doc_sentiment
from ..core.limits import DEFAULT_MAX_BODY, LIMITS
from . import concepts as selectors
from . import docs


def documentation_text() -> str:
    return Template(DOCUMENTATION).substitute(
        max_body=DEFAULT_MAX_BODY // (1024 * 1024), per_upload=f"{LIMITS['documents per upload']:,}",
        text=f"{LIMITS['document text']:,}", title=f"{LIMITS['document title']:,}",
        docs_limit=f"{docs.MAX_DOCS_LIMIT:,}", docs_default=docs.DEFAULT_DOCS_LIMIT,
        default_limit=selectors.DEFAULT_LIMIT, max_limit=f"{selectors.MAX_LIMIT:,}",
        related=concepts.RELATED_TERMS, correlation=concepts.CONCEPTUAL_CORRELATION,
        candidates=concepts.SUGGESTION_CANDIDATES, min_driver=concepts.MIN_DRIVER_MATCHES,
        clusters=selectors.DEFAULT_CLUSTERS, cluster_concepts=selectors.DEFAULT_CLUSTER_CONCEPTS,
        threshold=doc_sentiment.THRESHOLD, most_values=docs.MOST_VALUES,
        expansion="with" if doc_sentiment.DOMAIN_EXPANSION else "without")


DOCUMENTATION = """\
lumiwork local API, version 5
=============================

Every path is under /api/v5/ and may end with or without a slash; nothing
redirects. The official client, luminoso-api 3.1.1 (pip install luminoso-api),
and its scripts lumi-upload, lumi-download, lumi-api and lumi-save-token work
with it: give them this root, http://HOST:PORT/api/v5 (-b for the scripts).

This server's projects, users and tokens are those of its API v4 (/api/v4/)
and Compass (/compass/api/): a workspace is an API v4 account, and a project
one API made answers in the other (see "One project, three APIs").

Answers are JSON, as they are (no envelope). Errors have an HTTP status >= 400
and the body {"error": "CODE", "message": "...", ...}: 401/403 authentication
and permissions, 400/404/405 bad requests, 413 too large, 429 too many login
failures, 5xx only for faults of the server itself (507 STORAGE_FULL: the disk
is full and nothing of the request was stored). A request answered >= 400
changes nothing stored.

Authentication: header "Authorization: Token <token>". Tokens are stored
hashed. Parameters: GET and DELETE in the query string, POST, PUT and PATCH in
a JSON object body (the query string works too). Values that are not strings
or integers are JSON in the query: fields=["text"], filter=[...]. Numbers may
come as strings ("10"), booleans as true/false/True/False/1/0. A body may be
at most $max_body MB.

Endpoints (P = projects/<project_id>/)
--------------------------------------
GET  /                         this text
POST login/                    username, password -> {token, token_id, type, expiration}
                               (short-lived, 24 hours; no token needed)
POST tokens/                   password, description -> {token, ...}: a long-lived token
GET  tokens/                   [{token_id, type, created, expiration}] (never the tokens)
DELETE tokens/<token_id>/      revokes one
POST logout/                   revokes the token used -> {}
GET  profile/                  {username, email, name, default_workspace, workspaces}
GET  workspaces/               [{workspace_id, name, permissions}]
GET  workspaces/<id>/          one workspace with its projects
GET  projects/                 [project]; fields (list) restricts each record, workspace_id filters
POST projects/                 name, language (en, de, fr, es, it, pt or nl; default en),
                               description, workspace_id (default: your default workspace;
                               account_id is an older name for it) -> the project
GET  P                         the project; fields (list)
PUT  P                         name, description -> the project
DELETE P                       deletes the project and everything in it -> {"deleted": id}
POST P upload/                 docs: [{text, title?, metadata?}] (at most $per_upload; text at
                               most $text characters, title $title) -> {uploaded, document_count}.
                               All documents of a request are stored, or none: the first bad one
                               is named (400 INVALID_DOCUMENT, its position in "document").
POST P build/                  {} (sentiment_configuration {"type": "full" | "none"} and notify
                               are accepted; sentiment is always computed) -> {project_id,
                               last_build_info}. 400 PROJECT_LOCKED while a build runs,
                               400 NO_DOCUMENTS for an empty project.
GET  P docs/                   offset, limit (default $docs_default, at most $docs_limit), fields (list
                               of doc_id, title, text, metadata, terms, fragments, vector,
                               match_score; default all, and exactly those), filter, search,
                               match_type (both, exact, conceptual; default both),
                               include_sentiment_on_concepts (bool)
                               -> {result: [doc], total_count, filter_count, search}
POST P docs/                   the same, parameters in the body (for long filters)
POST P docs/delete/            doc_ids (list): all or none (404 naming unknown ids) -> {deleted}
GET  P metadata/               {result: [field]}
POST P vectorize/              texts (list) -> [{text, vector}]
GET  P concepts/               concept_selector, filter -> {result: [concept]} (+ search for
                               a related selector)
GET  P concepts/match_counts/  concept_selector, filter -> {match_counts: [concept +
                               exact_match_count, match_count], total_count, filter_count}
GET  P concepts/sentiment/     concept_selector (default sentiment_suggested), filter ->
                               {match_counts: [concept + exact_match_count, match_count,
                               sentiment_share, sentiment_counts], filter_count}
GET  P concepts/score_drivers/ score_field (required), concept_selector (default
                               drivers_suggested), limit (for the default; $default_limit), filter
                               -> [concept + exact_match_count, match_count, impact,
                               confidence, importance, average_score, baseline]
GET  P concepts/concept_associations/   concept_selector, filter -> [concept + associations:
                               [{name, texts, relevance, association_score, exact_term_ids}]]
GET  P concepts/manage/        {current_build, next_build}: {ignore, notice, collocate, merge}
PUT  P concepts/manage/        concept_management {ignore: [{texts}]}, overwrite (bool);
                               notice, collocate and merge must be empty (400 UNSUPPORTED)
GET  P concept_lists/          [{concept_list_id, name, concepts: [{shared_concept_id, name,
                               texts, color}]}]
POST P concept_lists/          name, concepts [{texts, name?, color? (#rrggbb)}], overwrite
                               (bool) -> the list; 400 CONCEPT_LIST_EXISTS (with "name") for a
                               name in use without overwrite
GET  P concept_lists/<id>/     one list;  PUT renames it (name);  DELETE removes it
PUT  P concept_lists/<id>/concepts/    concepts: the list's concepts as read back, edited
                               (a concept keeps its shared_concept_id; new ones get one)
The concept endpoints also take POST with the same parameters in the body.
They need a build (400 PROJECT_NOT_BUILT before the first).

Records
-------
project: project_id, name, description, language, next_build_language,
  workspace_id (= account_id, the API v4 account), creator, creation_date,
  last_metaupdate (seconds since 1970), last_successful_build_time,
  document_count (every stored document: docs/ pages through exactly these),
  permissions, last_build_info.
last_build_info: {} before any build. While building: {number, start_time,
  stop_time: null, sentiment: {start_time: null, stop_time: null}}, with no
  "success" key. Finished: success true or false, stop_time set, reason on
  failure, and sentiment {start_time, stop_time, success} when it succeeded
  (sentiment is computed within the build: its times are the build's).
document: doc_id, title, text, metadata, terms and fragments ([{term_id,
  start, end}], character offsets in text: terms are single words, fragments
  the phrases the build found; with include_sentiment_on_concepts each carries
  the document's sentiment label and |compound| as sentiment_confidence),
  vector (pack64, 150 dimensions, unit length; null before the first build),
  match_score (null without a search).
metadata entry: {type, name, value}. type string (text), number, score (a
  number score_drivers can explain) or date (seconds since 1970 or ISO 8601 on
  upload; answered as ISO 8601 UTC, 2012-12-14T00:00:00Z, which uploads again).
  A document may hold several values of a string field, one of any other. A
  field's type is fixed by its first upload; "subset" is always a string field
  and "date" a date field (see below).
metadata field: {name, type, document_count, value_count, values: [{value,
  count}] (string, number and score; the $most_values most frequent), minimum,
  maximum (number, score, date; dates as ISO 8601)}.
concept: name, texts, exact_term_ids, excluded_term_ids (always []), vectors
  ([pack64]), relevance; list concepts add shared_concept_id and color,
  related ones match_score, suggested ones cluster_label, unique_to_filter
  ones unique_score.
term_id: "word|en"; a phrase joins its words' ids with spaces: "battery|en life|en".

Filters
-------
filter is a list of conditions that must all hold:
  {"name": F, "values": [...]}: the document holds one of these values of F
    (string fields; number, score and date values compare exactly);
  {"name": F, "minimum": x, "maximum": y}: F within [x, y], bounds inclusive,
    either may be left out (number, score and date fields; dates as seconds
    or ISO 8601).
A field the project lacks, or a condition that does not fit its type, is
400 INVALID_FILTER. filter=null or [] is no filter.

Concept selectors (concept_selector, a JSON object)
---------------------------------------------------
{"type": "top", "limit"}            the most relevant terms (default $default_limit, at most $max_limit)
{"type": "specified", "concepts": [{"texts": [...], "name"?}]}   exactly these, in order
{"type": "related", "search_concept": {"texts"}, "limit"}   the terms nearest the search
                                    concept; match_score = their correlation with it
{"type": "suggested", "num_clusters", "num_cluster_concepts"}   (default $clusters x $cluster_concepts)
{"type": "concept_list", "concept_list_id" | "name"}
{"type": "sentiment_suggested", "limit"}
{"type": "drivers_suggested", "score_field", "limit"}
{"type": "unique_to_filter", "limit"}   needs a filter
Terms on the ignore list (concepts/manage, or API v4's terms/ignorelist) are
never chosen, nor used as related terms.

What each number means
----------------------
Every count is over the documents of the last build that are still stored
and pass the request's filter (N of them: filter_count; total_count without
the filter). Terms, vectors and relevance are those of API v4 (GET /api/v4/).

concept vector: the unit sum of its texts' vectors (a text's vector is the
  idf-weighted mean of its terms' vectors, as in API v4).
exact terms: for each text, the project's term for the whole text (a word or
  a phrase it knows), else the terms of its content words.
relevance: a term's relevance, r = ln(max(f_project / f_general, 1)) *
  ln(1 + count) (f: frequency among the project's words and in general text,
  wordfreq); a concept's is the highest of its exact terms' (0 without any).
related terms: at most $related terms whose vectors correlate (dot product)
  with the concept's vector at least max($correlation, the project's noise floor),
  best first; never the concept's exact terms or ignored terms.
exact match: the document holds one of the concept's exact terms (all the
  terms of one text, when a text is not one term). exact_match_count counts them.
conceptual match: the document holds a related term of the concept but does
  not match it exactly. match_count counts exact and conceptual matches.
match_score (docs/ with a search): the correlation of the document's vector
  with the search concept's vector. A search answers the documents matching
  the search concept (match_type both: exact or conceptual; exact; conceptual:
  conceptual only), best match_score first; filter_count counts them.
match_score (related selector): the term's correlation with the search concept.
association_score: the correlation of two concepts' vectors.
cluster_label: k-means (fixed seed) of the max(num_clusters * num_cluster_concepts
  * 3, 50) most relevant terms' vectors into num_clusters; each cluster gives
  its num_cluster_concepts most relevant terms, labelled with its three most
  relevant terms joined by "|"; clusters by their best term's relevance.

Sentiment. Each document gets a compound c in (-1, 1): c = s / sqrt(s^2 + 15),
  s = P - N, the sums of its positive and of its |negative| word valences in
  VADER's lexicon (Hutto & Gilbert 2014, -4 to +4; a valence times -0.74 when
  one of the 3 words before it negates), $expansion the project's own sentiment
  words (domain expansion). Label: positive if c >= $threshold, negative if
  c <= -$threshold, else neutral ($threshold was chosen on tuning reviews; benchmarks/
  RESULTS.md gives its accuracy on held-out ones).
sentiment_counts: the concept's matching documents (exact or conceptual) by
  label, and total = their number; sentiment_share: each count / total (all 0
  when total is 0).
sentiment_suggested: of the $candidates most relevant terms that are not
  themselves sentiment words, those held by the most positive or negative
  documents.

Score drivers. Over the N' documents (of the N) with a value of score_field,
  for a concept matched (exactly or conceptually) by m of them, M, and the
  r = N' - m others, R:
  baseline      = mean score over all N'
  average_score = mean score over M (null when m = 0)
  impact        = average_score - baseline (0 when m = 0)
  confidence    = Welch's t of M against R:
                  (mean_M - mean_R) / sqrt(var_M / m + var_R / r), sample
                  variances; 0 when m < 2, r < 2 or the root is 0. Since
                  impact = (r / N')(mean_M - mean_R), it is impact over its own
                  standard error: impact +- 1.96 |impact / confidence| is a 95%
                  interval, and |confidence| > 2 is unlikely by chance.
  importance    = |impact| * m / the largest |impact| * m among the concepts
                  answered (1 for the concept moving the scores' total most; 0
                  for all when none moves it).
drivers_suggested: of the $candidates most relevant terms that are not
  sentiment words (which move a rating by being one: "great", "poor") with at
  least $min_driver scored exact matches, the limit with the largest |impact| * m
  computed on exact matches alone.
unique_to_filter: for a term held by c_in of the n_in filtered documents and
  by c of all n documents: lift = (c_in / n_in) / (c / n), unique_score =
  c_in * ln(lift) (when c_in >= 2 and lift > 1); the highest first.

One project, three APIs
-----------------------
API v4 (/api/v4/projects/<workspace>/<project_id>/) sees every v5 project and
v5 sees every v4 project. A v5 string metadata value name=N, value=V is the v4
subset "N: V" (for the field "subset", V alone); a v4 document's subsets are
v5 string values of the field "subset", and its date the date field "date".
Builds are v4 recalculations and the reverse: last_build_info shows both.
The ignore list is v4's terms/ignorelist (full terms).
"""
