"""The voting classifier: a supervised ensemble trained on labelled documents.

Four voters each give class probabilities; the classifier's score for a topic is their
plain mean (soft voting), so scores are in [0, 1] and sum to 1 over the topics.

- `LogisticVoter` on the 150-d semantic message vectors (multinomial logistic regression).
- `CalibratedSvmVoter` on the same vectors: a linear SVM whose decision values are mapped
  to probabilities by Platt scaling fitted on 3-fold out-of-fold decisions (Platt 1999;
  what sklearn's CalibratedClassifierCV(method="sigmoid", ensemble=False) does).
- `CentroidVoter`: cosine to each class's mean vector, softmax with temperature 0.05.
- `LogisticVoter` on tf-idf bags of the project's terms: the semantic vectors blur names
  and rare words that a label may hinge on; the bag keeps them.

The fitted state of every voter is plain arrays, so a classifier round-trips through
JSON (`to_data` / `from_data`) without pickles. Everything is seeded: same documents,
same classifier. The C values were chosen by 5-fold cross-validation on the *training*
sentences of the Siddhartha chapter split (tests/data/classify-voting-split.md), never on
the held-out ones. Measured (top-1 accuracy, 4 chapters, chance 0.25-0.30): vector
logistic C=1 0.646 (C=10 0.627, C=30 0.600); SVM C=0.3 0.644 (C=1 0.622, C=3 0.591);
terms logistic C=3 0.663 (C=1 0.639, C=10 0.653); centroid 0.596; the vote 0.684, above
every single voter, which is why the ensemble votes. The temperature does not change the
centroid's own top-1; 0.05 makes its probabilities about as confident as the others'.
"""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import scipy.sparse as sp
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold, cross_val_predict
from sklearn.svm import LinearSVC

from ..model import Model
from .base import TestReport, TopicScore, assign, check_num_topics, check_unit, make_test_report
from .messages import Messages, prepare

DEFAULT_THRESHOLD = 0.4      # compass-api-endpoints-2018.txt: "Default value is 0.4"
SEED = 0
VECTOR_C = 1.0               # logistic regression on unit semantic vectors
SVM_C = 0.3
TERMS_C = 3.0                # logistic regression on tf-idf bags of terms
CENTROID_TEMPERATURE = 0.05  # cosines of a sentence to chapter means differ by ~0.05


def _softmax(logits: np.ndarray) -> np.ndarray:
    shifted = logits - logits.max(axis=1, keepdims=True)
    exp = np.exp(shifted)
    return exp / exp.sum(axis=1, keepdims=True)


def _as_columns(decision: np.ndarray) -> np.ndarray:
    """sklearn's binary decision_function is 1-D (positive class); make it (n, 2)."""
    return np.column_stack([-decision, decision]) if decision.ndim == 1 else decision


class LogisticVoter:
    """Softmax of X @ coef.T + intercept; coef (classes, features)."""

    def __init__(self, coef: np.ndarray, intercept: np.ndarray):
        self.coef = np.asarray(coef, dtype=np.float64)
        self.intercept = np.asarray(intercept, dtype=np.float64)

    @classmethod
    def fit(cls, features, labels: np.ndarray, classes: int, c: float) -> LogisticVoter:
        model = LogisticRegression(C=c, max_iter=2000, random_state=SEED).fit(features, labels)
        coef, intercept = model.coef_, model.intercept_
        if classes == 2:   # sklearn keeps one row for two classes: logits (-z/2, z/2)
            coef, intercept = np.vstack([-coef / 2, coef / 2]), np.array([-intercept[0] / 2, intercept[0] / 2])
        return cls(coef, intercept)

    def probabilities(self, features) -> np.ndarray:
        return _softmax(np.asarray(features @ self.coef.T) + self.intercept)

    def to_data(self) -> dict:
        return {"coef": self.coef.round(7).tolist(), "intercept": self.intercept.round(7).tolist()}


class CalibratedSvmVoter:
    """Linear SVM decisions d (n, classes) -> sigmoid(a * d + b) per class, normalised."""

    def __init__(self, coef, intercept, slope, offset):
        self.coef = np.asarray(coef, dtype=np.float64)
        self.intercept = np.asarray(intercept, dtype=np.float64)
        self.slope = np.asarray(slope, dtype=np.float64)
        self.offset = np.asarray(offset, dtype=np.float64)

    @classmethod
    def fit(cls, features: np.ndarray, labels: np.ndarray, classes: int, c: float) -> CalibratedSvmVoter:
        svm = LinearSVC(C=c, random_state=SEED, max_iter=10000)
        folds = StratifiedKFold(n_splits=min(3, int(np.bincount(labels).min())), shuffle=True, random_state=SEED)
        decisions = _as_columns(cross_val_predict(svm, features, labels, cv=folds, method="decision_function"))
        slope, offset = np.zeros(classes), np.zeros(classes)
        for k in range(classes):
            platt = LogisticRegression(C=1e6, max_iter=1000).fit(decisions[:, k:k + 1], labels == k)
            slope[k], offset[k] = platt.coef_[0, 0], platt.intercept_[0]
        svm.fit(features, labels)
        coef, intercept = svm.coef_, svm.intercept_
        if classes == 2:
            coef, intercept = np.vstack([-coef, coef]), np.array([-intercept[0], intercept[0]])
        return cls(coef, intercept, slope, offset)

    def probabilities(self, features: np.ndarray) -> np.ndarray:
        decisions = features @ self.coef.T + self.intercept
        sigmoid = 1.0 / (1.0 + np.exp(-(self.slope * decisions + self.offset)))
        total = sigmoid.sum(axis=1, keepdims=True)
        return np.divide(sigmoid, total, out=np.full_like(sigmoid, 1 / sigmoid.shape[1]), where=total > 0)

    def to_data(self) -> dict:
        return {name: getattr(self, name).round(7).tolist() for name in ("coef", "intercept", "slope", "offset")}


class CentroidVoter:
    """softmax(cos(x, class mean) / temperature); centroids (classes, dimensions) unit rows."""

    def __init__(self, centroids, temperature: float = CENTROID_TEMPERATURE):
        self.centroids = np.asarray(centroids, dtype=np.float64)
        self.temperature = float(temperature)

    @classmethod
    def fit(cls, vectors: np.ndarray, labels: np.ndarray, classes: int) -> CentroidVoter:
        means = np.vstack([vectors[labels == k].mean(axis=0) for k in range(classes)])
        norms = np.linalg.norm(means, axis=1, keepdims=True)
        return cls(means / np.where(norms == 0, 1, norms))

    def probabilities(self, vectors: np.ndarray) -> np.ndarray:
        return _softmax(vectors @ self.centroids.T / self.temperature)

    def to_data(self) -> dict:
        return {"centroids": self.centroids.round(7).tolist(), "temperature": self.temperature}


def term_features(model: Model, messages: Messages, vocabulary: dict[str, int]) -> sp.csr_matrix:
    """(messages, vocabulary) tf-idf rows, L2-normalised, over the given term strings."""
    rows, cols, values = [], [], []
    for i, indices in enumerate(messages.term_indices):
        weights: dict[int, float] = {}
        for index in indices:
            column = vocabulary.get(model.terms[index])
            if column is not None:
                weights[column] = weights.get(column, 0.0) + float(model.idf[index])
        norm = np.sqrt(sum(w * w for w in weights.values())) or 1.0
        for column, weight in weights.items():
            rows.append(i)
            cols.append(column)
            values.append(weight / norm)
    return sp.csr_matrix((values, (rows, cols)), shape=(len(messages), len(vocabulary)))


class VotingClassifier:
    """Supervised classifier: topics are the training labels (sorted)."""

    kind = "voting"

    def __init__(self, topics: Sequence[str], vocabulary: Sequence[str], voters: dict,
                 threshold: float = DEFAULT_THRESHOLD, num_topics: int | str = 1):
        self.topics = list(topics)
        self.vocabulary = list(vocabulary)
        self._vocabulary_index = {term: i for i, term in enumerate(self.vocabulary)}
        self.voters = voters
        self.threshold = check_unit("threshold", threshold)
        self.num_topics = check_num_topics(num_topics)

    @classmethod
    def train(cls, model: Model, texts: Sequence[str] | Messages, labels: Sequence[str],
              threshold: float = DEFAULT_THRESHOLD, num_topics: int | str = 1) -> VotingClassifier:
        """Fit the four voters on labelled texts (at least 2 labels, 2 texts each)."""
        messages = prepare(model, texts)
        topics = sorted(set(labels))
        if len(messages) != len(labels):
            raise ValueError(f"{len(messages)} texts but {len(labels)} labels")
        counts = {topic: list(labels).count(topic) for topic in topics}
        if len(topics) < 2 or min(counts.values()) < 2:
            raise ValueError(f"a voting classifier needs at least 2 labels with 2 documents each; got {counts}")
        y = np.array([topics.index(label) for label in labels])
        vocabulary = sorted({model.terms[i] for indices in messages.term_indices for i in indices})
        vectors = messages.vectors.astype(np.float64)
        bags = term_features(model, messages, {term: i for i, term in enumerate(vocabulary)})
        k = len(topics)
        voters = {"vector_logistic": LogisticVoter.fit(vectors, y, k, VECTOR_C),
                  "vector_svm": CalibratedSvmVoter.fit(vectors, y, k, SVM_C),
                  "vector_centroid": CentroidVoter.fit(vectors, y, k),
                  "terms_logistic": LogisticVoter.fit(bags, y, k, TERMS_C)}
        return cls(topics, vocabulary, voters, threshold, num_topics)

    @property
    def topic_names(self) -> list[str]:
        return self.topics

    def voter_probabilities(self, model: Model, texts: Sequence[str] | Messages) -> dict[str, np.ndarray]:
        """Each voter's (messages, topics) probabilities."""
        messages = prepare(model, texts)
        vectors = messages.vectors.astype(np.float64)
        bags = term_features(model, messages, self._vocabulary_index)
        return {name: voter.probabilities(bags if name.startswith("terms") else vectors)
                for name, voter in self.voters.items()}

    def scores(self, model: Model, texts: Sequence[str] | Messages) -> np.ndarray:
        """(messages, topics) mean of the voters' probabilities, in [0, 1]."""
        return np.mean(list(self.voter_probabilities(model, texts).values()), axis=0)

    def classify(self, model: Model, texts: Sequence[str] | Messages) -> list[list[TopicScore]]:
        return [assign(self.topics, row, self.threshold, self.num_topics) for row in self.scores(model, texts)]

    def test(self, model: Model, texts: Sequence[str], labels: Sequence[str]) -> TestReport:
        messages = prepare(model, texts)
        scores = self.scores(model, messages)
        assigned = [assign(self.topics, row, self.threshold, self.num_topics) for row in scores]
        return make_test_report(self.topics, scores, assigned, messages.texts, labels)

    def to_data(self) -> dict:
        return {"type": self.kind, "threshold": self.threshold, "num_topics": self.num_topics,
                "topics": self.topics, "vocabulary": self.vocabulary,
                "voters": {name: voter.to_data() for name, voter in self.voters.items()}}

    @classmethod
    def from_data(cls, data: dict) -> VotingClassifier:
        voters_data = data["voters"]
        voters = {"vector_logistic": LogisticVoter(**voters_data["vector_logistic"]),
                  "vector_svm": CalibratedSvmVoter(**voters_data["vector_svm"]),
                  "vector_centroid": CentroidVoter(**voters_data["vector_centroid"]),
                  "terms_logistic": LogisticVoter(**voters_data["terms_logistic"])}
        return cls(data["topics"], data["vocabulary"], voters, data["threshold"], data["num_topics"])
