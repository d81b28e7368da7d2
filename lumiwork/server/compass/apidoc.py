"""The plain-text documentation served at GET /compass/api/: every endpoint, and
each choice made where Luminoso's Compass documents were vague or disagreed."""
from __future__ import annotations

from ..core.limits import LIMITS
from .work import ASSIGN_THRESHOLD, CONFIG_DEFAULTS

DOCUMENTATION = """\
lumiwork local Compass API
==========================

Every path is under /compass/api/ and may end with or without a slash. The
conventions are Compass's, not API v4's: JSON bodies without an envelope; lists
are paginated as {count, next, previous, results} with at most 20 results a page
(?page=N); 201 on create, 204 on delete; field errors as
{"name": ["This field is required."]}; {"detail": "..."} for authentication,
permission and not-found errors. Parameters: GET/DELETE in the query string;
POST/PUT as a JSON body or form fields. Times are ISO 8601 or seconds since 1970;
answers give ISO 8601 in UTC. Users, accounts and passwords are shared with the
API v4 at /api/v4/.

Endpoints that take one object or a list (documents/, classify/, messages/,
classifiers/<id>/test/) take at most {bulk} items a request: more is a 413
{"detail": ...} with nothing stored. Every item is checked before any is
stored: if one is invalid, nothing is, and the 400 holds the field errors of
each item (a list of dicts, one per item, when a list was sent).

Authentication: POST login/ (username, password) gives the user's one token,
valid for two weeks ("Authorization: Token <token>"); logging in again returns
the same token until it expires. A password change or reset ends it.
Permissions per account: read, readwrite, manage. The first user of a server is
a site admin; only site admins create accounts and users.

Endpoints (P = projects/<project_id>/p/)
----------------------------------------
POST login/                         username, password -> {token, user, expiration}
GET  tokens/ ; GET, DELETE tokens/<token>/
GET, POST accounts/ ; GET, PUT, DELETE accounts/<id>/
GET, POST users/ ; GET, PUT, DELETE users/<email>/
PUT  users/<email>/password/        password, old_password -> {token, user, expiration}
POST users/<email>/password/reset/  -> {password} (temporary)
GET, POST permissions/ ; GET, DELETE permissions/<id>/   user, account, level
GET, POST projects/ ; GET, PUT, DELETE projects/<id>/    name, account, language, description, status
GET, POST P documents/              text, label, dataset, language (one object or a list)
GET, POST P classifiers/            name, type, status, dataset, info
GET, PUT, DELETE P classifiers/<id>/
POST P classifiers/<id>/rebuild/    dataset, domain_expansion, max_expansion_terms
POST P classifiers/<id>/test/       [{text, label}] -> {accuracy, messages}
GET, POST P classifiers/<id>/topics/ ; GET, PUT, DELETE P classifiers/<id>/topics/<id>/
POST P classify/                    text, source_id (one or a list; not saved)
GET, POST P messages/ ; GET, DELETE P messages/<id>/
                                    filters: earliest, latest, older_than_id, newer_than_id;
                                    POST with replace=true replaces the matching messages
GET, POST P topics/ ; GET, PUT, DELETE P topics/<id>/    title, status, blocking, info
GET  P topics/<id>/messages/        outliers, and the message filters
GET  P topics_history/              earliest_created, latest_created, earliest_ended, latest_ended
GET  P stats/                       interval, num_buckets, at_time
GET  P usage/ ; GET P usage/<id>/   source, earliest, latest
GET  P config/ ; GET, PUT, DELETE P config/<key>/
POST P match/                       lumiwork's own aid, not Compass's: topic (a boolean
                                    specification), limit (20), threshold (0.4) -> the
                                    recent messages that match, best first, with
                                    each operand's score (why they match)

Classifiers
-----------
Every classifier works on the project's semantic space, built by the same
engine as API v4 (with its background knowledge) from the project's documents
and messages. Builds run in the background: building_state is "building", then
"ready" or "error" (info.error says why). A classifier is "inactive" until its
first version is ready; during a rebuild the previous version keeps classifying.
Scores are in [0, 1]; below the threshold (default 0.4) a classifier answers
UNCLASSIFIED with score 0. Changing a classifier's info (PUT) rebuilds it.

- voting: trained on the labelled documents (of `dataset`, if given): a soft vote
  of logistic regression, a calibrated linear SVM and nearest centroid on the
  semantic vectors, and logistic regression on term bags. Its topics are the labels.
- topic_based: topics are boolean specifications: words or phrases joined by AND,
  OR, NOT (upper case) and parentheses; no punctuation or quotes. Mixing AND and
  OR without parentheses is refused (400, saying why). Operands match concepts
  through the semantic space: "the boat crossed the stream" matches
  "river OR water". AND is the minimum of its operands' scores, OR the maximum,
  NOT one minus. An operand's score is normalised against what unrelated texts
  score, as the engine's noise floor is against what unrelated word pairs score:
  over random pairs of a project term and a project document without it, the
  best match between the operand and one of the message's concepts (its words,
  and the message itself) scores 0 at the 90th percentile and 1 at the 99th,
  and the message as a whole (its vector) 0 at the 70th and 1 at the 95th; the
  operand's score is the smaller of the two (a message naming the operand's own
  term needs only the first). A word only general knowledge knows counts only
  when general knowledge relates it to the operand above the background's own
  noise floor. So a text about something else (a phone's firmware against a
  novel's themes) scores 0 and stays UNCLASSIFIED at any threshold above 0.
  Classifiers stored before this calibration are calibrated again when they
  next classify.
- sentiment_combined (positive / negative / neutral), sentiment_split (positive,
  negative) and sentiment_custom (your wordlist, scores in [-5, 5], and topics as
  bands in [-1, 1]; "sentiment_wordlist" is accepted as its 2018 name): VADER's
  lexicon (the vaderSentiment package, MIT licence). With domain_expansion, the
  project's own terms near sentiment words join as info.domain_terms
  (max_expansion_terms per polarity, default 200); terms near both polarities go
  to info.term_conflicts and are not used. Both are editable with PUT info.

Choices where the documents are vague or disagree
-------------------------------------------------
- Classifier topics live under their classifier (P classifiers/<id>/topics/<id>/)
  and, as both documents say, can also be read, changed and deleted at
  P topics/<id>/: classifier topics and project topics take their ids from one
  sequence, so an id names one topic. (In a database made before they shared it,
  a project topic whose id is also a classifier topic's wins at P topics/<id>/.)
- Topic specifications may be given as "info" (2019) or "clause" (2018).
- The build state is "building_state" (2019: building / ready, plus error);
  the 2018 documents' "training_state" is not sent.
- PUT with info.topics replaces a topic-based classifier's topics.
- test/: every item needs text, label and language (the documents' "mandatory
  language value"); a sentiment classifier's "dataset" is stored, but its domain
  expansion uses the project's whole space.
- Domain expansion proposes only terms the project's documents use (the space
  also holds its messages'); turning domain_expansion off deletes domain_terms
  and term_conflicts.
- POST documents/ answers with the created documents (up to 20 shown, all
  counted) and no next or previous page.
- A classifier's dataset may be given at the top level (2019) or in info (2018).
- Sentiment classifiers need the project's semantic space too (to tokenize, and
  for domain expansion): the space is built from documents, else messages; a
  classifier built before the project has either reports building_state "error"
  (info.error says to add documents), and classify/ answers without its topics.
- A new user gets a temporary password, shown once in the creation answer
  ("password"), and must change it before doing anything else.
- An account that still owns projects is not deleted (400).
- Message "sentiment" is the general lexicon's score in (-1, 1), whatever
  classifiers exist; stats count a message as positive above
  config.sentiment_threshold, negative below its negative, neutral between.
- A message belongs to the nearest active topic whose cosine with it is at
  least {assign} (an analyst's topic keeps its central messages before
  machine-made pending ones), else to the nearest active or pending topic;
  "centrality" is the cosine with the topic minus {assign}, so negative values
  are outliers (shown with outliers=true). Membership depends only on the
  messages, the topics and the project's space: a message is placed when
  posted, and every message is placed again when a topic is created, changed
  or deleted, when a clustering replaces the pending topics (in the same
  transaction) and when the space is rebuilt. After a topic change that is done
  before the answer; after a rebuild of the space the messages' vectors are
  made again in the background (tokenizing every message once more: the time
  per 100,000 messages is in lumiwork's benchmarks/RESULTS.md), and
  P topics/<id>/messages/ says "membership": "updating" until it is done
  ("current" otherwise). A project's space is built from its documents (from
  its messages only when it has no documents), and a clustering takes the
  messages stored when it was started, so neither depends on when it ran.
- Clustering: when posted messages reach config.partition_min_messages and
  enough new ones arrived since the last clustering (or
  config.partition_force_build_after seconds passed), the most recent
  config.partition_max_messages are clustered (k-means on their vectors) into
  config.number_of_clusters pending topics titled by their characteristic
  terms; up to config.number_of_discardable_clusters of the previous pending
  topics move to topics_history/.
- velocity is the messages of the last time bucket per hour; acceleration the
  change of velocity from the bucket before, per hour. Buckets before the
  project's first message are null.
- Usage days start at noon UTC; the only source here is "api".

Configuration keys and defaults
-------------------------------
Used here: the partition_* keys (except partition_min_lifetime),
number_of_clusters, number_of_discardable_clusters and sentiment_threshold. The
assoc_* keys, partition_min_lifetime and labels_for_clustering are stored and
shown but do not change anything yet (the space is rebuilt on each classifier
build when the project's texts changed).
{config}
""".replace("{assign}", str(ASSIGN_THRESHOLD)).replace("{bulk}", f"{LIMITS['documents per upload']:,}").replace(
    "{config}", "\n".join(f"{key:<32} {value}" for key, value in CONFIG_DEFAULTS.items()))
