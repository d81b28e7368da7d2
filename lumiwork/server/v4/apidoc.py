"""The plain-text documentation served at GET /api/v4/."""
from __future__ import annotations

from string import Template

from ..core.auth import LOGIN_ATTEMPTS, LOGIN_WINDOW_SECONDS
from ..core.limits import DEFAULT_MAX_BODY, LIMITS, MAX_JSON_DEPTH


def documentation_text(background_status: str = "not configured") -> str:
    """The documentation, with the limits this server enforces and the state of
    its background knowledge filled in."""
    limits = "\n".join(f"  {name:<24} {value:>9,}" for name, value in LIMITS.items())
    return Template(DOCUMENTATION).substitute(limits=limits, max_body=DEFAULT_MAX_BODY // (1024 * 1024),
                                depth=MAX_JSON_DEPTH, attempts=LOGIN_ATTEMPTS,
                                window=int(LOGIN_WINDOW_SECONDS // 60), background=background_status)


DOCUMENTATION = """\
lumiwork local Analytics API, version 4
=======================================

Every path is under /api/v4/ and may end with or without a slash.
Answers are JSON: {"result": ..., "error": null} on success; on failure an HTTP
status >= 400 and {"result": null, "error": {"code": "...", "message": "..."}}.
401/403 mean authentication or permission problems, 400/404/405/413 bad
requests; 5xx only for faults of the server itself.

Authentication: header "Authorization: Token <token>". Get a short-lived token
(24 hours) from POST user/login/ (form fields username, password), or a
long-lived one from POST user/tokens/. Tokens and passwords are stored hashed:
GET user/tokens/ lists every token by a non-secret token_id, the request's own
first; long-lived tokens are shown in clear (they are derived from a key kept
apart from the database), short-lived ones only when they are the request's own.
DELETE user/tokens/<token_id>/ revokes one. After $attempts failed logins within $window minutes for one user name, or
from one address, login answers 429 TOO_MANY_ATTEMPTS with a Retry-After header
(seconds), even for the right password. A failed login takes as long for an
unknown user as for a known one.

While bound to a loopback address the server answers only requests whose Host
header is localhost, 127.0.0.1 or ::1 (403 HOST_NOT_ALLOWED otherwise), which
protects it from DNS rebinding.

Parameters: GET and DELETE in the query string; POST, PUT and PATCH as form
fields (the query string works too). Values that are not plain strings or
integers are JSON-encoded: terms=["river|en"], billing_period=[2014,4].
Bulk bodies (docs/, docs/vectors/) are a raw JSON array.

Input rules (each breach is a 4xx with a code; nothing stored is changed):
JSON may not hold NaN or Infinity, numbers beyond float range, integers
beyond 64 bits, lone surrogates, or nesting deeper than $depth levels
(400 INVALID_JSON). Integer parameters are plain ASCII digits. No string may
hold a lone surrogate or a control character (document text may hold tabs and
newlines). A request body may be at most $max_body MB (413 TOO_LARGE). The
largest accepted values, in characters (counts for subsets and documents):
400 TOO_LONG for a parameter; in an upload, 400 BAD_DOCUMENTS with the
document's status naming the field; 413 for too many documents (or texts
sent to docs/vectors/).
$limits
A full disk answers 507 STORAGE_FULL, with nothing of the request stored;
reads keep working.

Terms are lowercase lemmas tagged with their project's language, e.g.
"river|en" or "fluß|de"; a multi-word term joins its words with spaces:
"ferry|en across|en". A project's language chooses its lemmatizer (simplemma),
stopwords (a curated list for English; wordfreq's 150 most frequent words for
the others) and the general-text frequencies behind relevance (wordfreq).
Every language has background knowledge as far as its sources are installed
(see "Background knowledge" below).
Vectors have 150 dimensions and unit length (subset means are plain averages)
and are sent as pack64 strings. "Correlation" is the dot product of vectors.

Endpoints (P = projects/<account_id>/<project_id>/)
---------------------------------------------------
GET  /                         this text
ANY  ping/                     "pong"
POST user/login/               username, password -> {token, type, expiration}
POST user/logout/              revokes the token used
GET  user/tokens/              [{token_id, type, created, expiration, current, token?}]
POST user/tokens/              a new long-lived token {token, token_id, type, expiration}
DELETE user/tokens/<token_id>/ revokes that token
PUT  user/password/            old_password, new_password; all old tokens stop working
GET  accounts/                 {accounts: [{account_id, account_name, permissions}], default_account}
GET  accounts/<a>/users/       {members: {email: [permissions]}, guests: {}
PUT  accounts/<a>/users/<email>/   permissions (list), reset (bool): grant, or replace when reset
GET  accounts/<a>/usage/       billing_period=[year, month] -> {call_counts, project_space, total_space}
GET  projects/                 all projects you can read (name= filters by exact name)
GET  projects/<a>/             the account's projects (name= filters)
POST projects/<a>/             name, description, language (en, de, fr, es, it, pt or nl;
                               default en; another is 400 UNSUPPORTED_LANGUAGE)
                               -> {name, path, project_id, language}
GET  P                         the project record, with noise_floor (see "Background knowledge")
PUT  P                         name, description
DELETE P                       delete the project and everything in it
POST P docs/                   JSON array of {text, title?, date?, subsets?, source?, language?};
                               one status per document: {_id, warnings?} (an unknown field is
                               a warning). date is seconds since 1970 or an ISO 8601 string,
                               years 1 to 9999. Every document is checked before any is
                               stored: if one is invalid (no text, a field of the wrong type,
                               a value too long), the answer is 400 BAD_DOCUMENTS with a
                               status per document in the error, and nothing is stored.
POST P docs/delete/            ids (JSON list of document ids): deletes them, all or none
                               (404 if one is unknown). They leave searches at once and the
                               semantic space at the next recalculation.
GET  P docs/                   limit (default 100), offset, doc_fields (list)
GET  P docs/id/<id>/           one document with terms (character spans) and vector
POST P docs/recalculate/       starts a recalculation job; returns its job id (int)
GET  P jobs/                   running jobs; verbose=true lists every job
GET  P jobs/id/<n>/            {source_type, start_time, stop_time, success, stage}; with
                               wait (seconds, at most 30; lumiwork's own) a running job is
                               answered when its record changes or once wait has passed
GET  P terms/                  top terms by relevance: limit (default 50), subset, terms (list)
GET  P terms/search/           text | terms | topic | vector, limit (default 10)
                               -> {search_results: [[term, correlation]], search_vector,
                               background_terms, evidence (text and topic queries)}
GET  P terms/ignorelist/       {fullstring: [...], substring: [...]}
PUT  P terms/ignorelist/       term (like "rt|en"), substring (bool)
DELETE P terms/ignorelist/     term, substring
GET  P docs/search/            text | terms | vector, subset, limit (default 10), exact_only
                               -> {search_results: [[{document, exact_indices,
                               conceptual_indices}, score]], exact_terms, related_terms,
                               num_exact_matches, num_related_matches, background_terms,
                               evidence (text queries)}
POST P docs/vectors/           JSON array of {text} -> [{text, terms, background_terms,
                               vector, evidence}]
GET  P docs/correlations/      {doc_id: {topic_id: correlation}; limit, offset
GET  P topics/                 [{_id, name, text, color, vector}]
POST P topics/                 name, text, color
GET  P topics/id/<id>/         one topic;  PUT changes name, text, color;  DELETE removes it
GET  P topics/stats/           {topic_id: {name, distance, correlation: {mean, stdev, Zscore, n},
                               ".all": {...}
PUT  P topics/text_correlation/    text -> {topic_id: correlation}
GET  P topics/correlation/         format=json|csv|xlsx: topic x topic correlations
GET  P topics/subset_correlation/  format=json|csv|xlsx: topic x subset correlations
GET  P subsets/stats/          [{subset, count, mean}], "__all__" included

Background knowledge
--------------------
This server, by project language:
$background
Every project's space is blended with general knowledge of its language. For
English: GloVe 6B 50d word vectors (Pennington et al. 2014, a dependency of
lumiwork, so every install has them), retrofitted (Faruqui et al. 2015,
"Retrofitting Word Vectors to Semantic Lexicons") to every installed lexical
graph: WordNet 3.0 (Debian wordnet-base) and the LibreOffice English thesaurus
(mythes-en-us); with no graph installed, GloVe alone. German, French, Spanish,
Italian and Portuguese words are placed in the English space by their FreeDict
dictionaries into English (dict-freedict-*-eng), then retrofitted to their
LibreOffice thesaurus (mythes-*); Dutch by its dictionary alone (Debian has no
Dutch thesaurus). Each is built once and cached in the data folder.
A term vector is [project block (100 axes) ; background block (50 axes)],
mixed by a share of ceiling / (1 + (count / 25)^4): the ceiling is 0.8 for a
background a lexical graph shaped and 0.7 for GloVe alone, so a word seen up to
~15 times leans on general knowledge and one seen 40 times or more keeps the
project's own sense. The project block is the term's PPMI co-occurrence vector,
shrunk for rare terms towards where its background vector maps into the
project space (a ridge regression fitted on the project's frequent terms); for
the project's own names (terms 300 times more frequent here than in general
text, or unknown to the background) the background block is the mean background
vector of their project neighbours, so names keep their project meaning. Words
the project never saw but the background knows still get a vector in queries
(docs/vectors, searches, text correlations); answers list them as
"background_terms", and each term object says "background": true when its
vector drew on general knowledge. The decomposition is a converged
eigendecomposition (ARPACK) and term ids are alphabetical, so neither a seed
nor the order of the documents changes the space. Without a background (not
installed, or LUMIWORK_BACKGROUND=off) projects use their own text only, as the
lines above and each recalculation job's message say.

How sure an answer is: every answer to a text (terms/search and docs/search
with text= or topic=, docs/vectors for each text) carries "evidence": {basis,
supported, support, nearest, noise_floor, message, stopwords, unknown}. basis is
"terms" (the project knows at least one of its words), "background" (general
knowledge only), "stopwords", "unknown" or "empty". A project's noise floor
(GET P: "noise_floor") is the 99th percentile of the correlations of 20,000
random pairs of its single-word terms, each drawn in proportion to its count
(fixed seed): a correlation below it is noise. A query on general knowledge
only is supported when some query word correlates, in the background space,
with a project term above the background's own floor ("nearest" names that
term); in docs/search an unsupported one still ranks documents, but none of
its matches is conceptual and num_related_matches is 0. message is one sentence
for the analyst ("" when the project knows the text): "'the' is a stopword
...", "'bicycle' is not in this project: the answer comes from general
knowledge only ...". Related terms of a text leave out the phrases that repeat
one of its words ("river laugh" for "river"). A query no word of which anyone
knows (stopwords only, misspellings; an all-zero vector) ranks nothing: its
search_results and related_terms are empty, and its evidence says why.

Definitions
-----------
relevance (term "score"): log(frequency in the project / frequency in general
  English, from wordfreq) * log(1 + occurrences); 0 for terms no more common here
  than in general text.
distinct_doc_count: documents containing the term; total_doc_count: occurrences.
topics/stats:
  correlation  the dot products of the topic vector with every document vector
               of the last recalculation: mean, sample stdev, n = number of
               documents, Zscore = mean / (stdev / sqrt(n)).
  distance     how far the topic lies from the centre of the project:
               sqrt(150) * |t - m|, the Euclidean distance between the topic
               vector t and the mean document vector m of the whole project
               (the "__all__" mean of subsets/stats), scaled by sqrt(dimensions).
               0 means the topic sits at the project's centre; a topic
               unrelated to the documents scores about sqrt(150) = 12.2.
  ".all"       the same statistics for the normalised mean of all topic vectors.
docs/search by text or terms spreads the query over its 10 nearest terms
  (weighted by correlation) before ranking documents by correlation, so that
  documents saying the same thing in other words rank beside those that
  contain the words; search_vector is that spread vector.
  num_related_matches counts the documents (in the subset, if given) that are
  not exact matches and correlate at least 0.3 with the search vector; with
  exact_only it is 0. Documents are first scored from a compact int8 copy of
  their vectors, with a bound on each score's error, and only those whose
  bounds could change the answer are scored exactly: results and scores are
  those of an exact scan, and so is num_related_matches unless more than
  10,000 documents score that close to 0.3 (then those are counted on their
  compact scores: within 0.23% of the exact count at 1M documents).
topics/stats is computed once per model and set of topics (names and texts).
Searches need a recalculated project: before the first recalculation they
answer 400 with code NO_ASSOC. While a recalculation runs, the previous model
keeps answering; a failed or interrupted recalculation leaves it in place.
Recalculations run one at a time in a separate process at lower CPU priority
(nice 10), so queries keep their speed; LUMIWORK_COUNTING=dask (with
LUMIWORK_DASK_SCHEDULER, a scheduler address or "local") counts words and
co-occurrences on a dask.distributed cluster instead, with the same result.
"""
