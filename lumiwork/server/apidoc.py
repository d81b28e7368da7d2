"""The plain-text documentation served at GET /api/v4/."""

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
long-lived one from POST user/tokens/. Tokens and passwords are stored hashed,
so GET user/tokens/ can show only the token the request was made with.

Parameters: GET and DELETE in the query string; POST, PUT and PATCH as form
fields (the query string works too). Values that are not plain strings or
integers are JSON-encoded: terms=["river|en"], billing_period=[2014,4].
Bulk bodies (docs/, docs/vectors/) are a raw JSON array.

Terms are lowercase lemmas tagged with their language, e.g. "river|en"; a
multi-word term joins its words with spaces: "ferry|en across|en".
Vectors have 150 dimensions and unit length (subset means are plain averages)
and are sent as pack64 strings. "Correlation" is the dot product of vectors.

Endpoints (P = projects/<account_id>/<project_id>/)
---------------------------------------------------
GET  /                         this text
ANY  ping/                     "pong"
POST user/login/               username, password -> {token, type, expiration}
POST user/logout/              revokes the token used
GET  user/tokens/              the token used by this request
POST user/tokens/              a new long-lived token
PUT  user/password/            old_password, new_password; all old tokens stop working
GET  accounts/                 {accounts: [{account_id, account_name, permissions}], default_account}
GET  accounts/<a>/users/       {members: {email: [permissions]}, guests: {}}
PUT  accounts/<a>/users/<email>/   permissions (list), reset (bool): grant, or replace when reset
GET  accounts/<a>/usage/       billing_period=[year, month] -> {call_counts, project_space, total_space}
GET  projects/                 all projects you can read (name= filters by exact name)
GET  projects/<a>/             the account's projects (name= filters)
POST projects/<a>/             name, description -> {name, path, project_id}
GET  P                         the project record
PUT  P                         name, description
DELETE P                       delete the project and everything in it
POST P docs/                   JSON array of {text, title?, date?, subsets?, source?}; one status
                               per document: {_id, warnings?}. A document without text is
                               reported (HTTP 400, code BAD_DOCUMENTS, statuses in the error)
                               and the valid documents of the request are stored.
GET  P docs/                   limit (default 100), offset, doc_fields (list)
GET  P docs/id/<id>/           one document with terms (character spans) and vector
POST P docs/recalculate/       starts a recalculation job; returns its job id (int)
GET  P jobs/                   running jobs; verbose=true lists every job
GET  P jobs/id/<n>/            {source_type, start_time, stop_time, success}
GET  P terms/                  top terms by relevance: limit (default 50), subset, terms (list)
GET  P terms/search/           text | terms | topic | vector, limit (default 10)
                               -> {search_results: [[term, correlation]], search_vector}
GET  P terms/ignorelist/       {fullstring: [...], substring: [...]}
PUT  P terms/ignorelist/       term (like "rt|en"), substring (bool)
DELETE P terms/ignorelist/     term, substring
GET  P docs/search/            text | terms | vector, subset, limit (default 10), exact_only
                               -> {search_results: [[{document, exact_indices,
                               conceptual_indices}, score]], exact_terms, related_terms,
                               num_exact_matches, num_related_matches}
POST P docs/vectors/           JSON array of {text} -> [{text, terms, vector}]
GET  P docs/correlations/      {doc_id: {topic_id: correlation}}; limit, offset
GET  P topics/                 [{_id, name, text, color, vector}]
POST P topics/                 name, text, color
GET  P topics/id/<id>/         one topic;  PUT changes name, text, color;  DELETE removes it
GET  P topics/stats/           {topic_id: {name, distance, correlation: {mean, stdev, Zscore, n}},
                               ".all": {...}}
PUT  P topics/text_correlation/    text -> {topic_id: correlation}
GET  P topics/correlation/         format=json|csv|xlsx: topic x topic correlations
GET  P topics/subset_correlation/  format=json|csv|xlsx: topic x subset correlations
GET  P subsets/stats/          [{subset, count, mean}], "__all__" included

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
Searches need a recalculated project: before the first recalculation they
answer 400 with code NO_ASSOC. While a recalculation runs, the previous model
keeps answering; a failed or interrupted recalculation leaves it in place.
"""
