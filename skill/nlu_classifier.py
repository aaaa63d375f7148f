"""The statistical half of :mod:`skill.nlu`: an intent classifier trained from the samples.

Features are TF-IDF weighted character n-grams (3-5, inside word boundaries, which
tolerate typos, inflections and missing accents) and word uni/bigrams, fed to a
linear SVM (liblinear: trains in about 0.2 s); a softmax over its scores gives the
confidence.  Texts are
accent-folded (:func:`fold`) on both sides, so "varfor gor det ont i halen" reads like
"varför gör det ont i hälen".  Training takes a few hundred milliseconds per locale.

Only our own front ends (console, web page, tests) import this module; the Alexa path
(handlers, Lambda) never does, so scikit-learn stays out of the Lambda package.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
from scipy.sparse import hstack
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.svm import LinearSVC

from skill.nlu import fold

#: Regularisation strength of the linear SVM (larger: fits the samples closer).
C = 0.5
#: Scale of the SVM's scores before the softmax that turns them into probabilities; chosen
#: on the dev set (tests/data/nlu_dev) so that the probabilities track accuracy.
TEMPERATURE = 4.0
#: The SVM solver's stopping tolerance (liblinear's default is 1e-4; a coarser one trains
#: several times faster and predicts the same intents on the dev set).
TOLERANCE = 1e-4
#: Character n-gram sizes (inside word boundaries).
CHAR_NGRAMS = (3, 5)


@dataclass(frozen=True)
class Prediction:
    """The best intent and its probability, and the runner-up's."""

    intent: str
    probability: float
    runner_up: str
    runner_up_probability: float


class IntentClassifier:
    """TF-IDF (characters + words) and a linear model over folded texts."""

    def __init__(self, texts: Sequence[str], labels: Sequence[str]) -> None:
        if len(set(labels)) < 2:
            raise ValueError("an intent classifier needs at least two intents")
        folded = [fold(t) for t in texts]
        chars = TfidfVectorizer(
            analyzer="char_wb", ngram_range=CHAR_NGRAMS, sublinear_tf=True, dtype=np.float32
        )
        words = TfidfVectorizer(
            analyzer="word",
            ngram_range=(1, 2),
            token_pattern=r"(?u)\b\w+\b",
            sublinear_tf=True,
            dtype=np.float32,
        )
        features = hstack([chars.fit_transform(folded), words.fit_transform(folded)]).tocsr()
        model = LinearSVC(C=C, tol=TOLERANCE)
        model.fit(features, list(labels))
        self.classes: list[str] = [str(c) for c in model.classes_]
        # Prediction reads plain arrays: one small weighted sum, no per-call validation.
        self._parts: list[_Part] = []
        offset = 0
        for vectorizer in (chars, words):
            vocab = {str(k): int(v) + offset for k, v in vectorizer.vocabulary_.items()}
            self._parts.append(_Part(vectorizer.build_analyzer(), vocab))
            offset += len(vocab)
        self._idf = np.concatenate([chars.idf_, words.idf_]).astype(np.float32)
        coef, bias = model.coef_, model.intercept_
        if coef.shape[0] == 1:  # two classes: one score for the second, its negative first
            coef, bias = np.vstack([-coef, coef]), np.concatenate([-bias, bias])
        self._coef = np.ascontiguousarray(coef.T, dtype=np.float32)
        self._bias = bias.astype(np.float32)

    def knows_a_word(self, text: str) -> bool:
        """Whether any word of the text occurs in the training texts."""
        vocab = self._parts[1].vocab
        return any(word in vocab for word in fold(text).split())

    def scores(self, text: str) -> np.ndarray:
        """The linear model's raw score per class for one (normalised) text."""
        folded = fold(text)
        index: list[np.ndarray] = []
        values: list[np.ndarray] = []
        for part in self._parts:
            found = Counter(i for i in map(part.vocab.get, part.analyzer(folded)) if i is not None)
            if not found:
                continue
            ids = np.fromiter(found.keys(), dtype=np.intp, count=len(found))
            tf = np.fromiter(found.values(), dtype=np.float32, count=len(found))
            vec = (1.0 + np.log(tf)) * self._idf[ids]
            index.append(ids)
            values.append(vec / np.linalg.norm(vec))
        if not index:
            return self._bias.copy()
        return np.concatenate(values) @ self._coef[np.concatenate(index)] + self._bias

    def predict(self, text: str) -> Prediction:
        """The two most likely intents, with softmax probabilities over the scores."""
        scores = self.scores(text) * TEMPERATURE
        probs = np.exp(scores - scores.max())
        probs /= probs.sum()
        second, first = np.argpartition(probs, -2)[-2:]
        if probs[second] > probs[first]:
            first, second = second, first
        return Prediction(
            self.classes[first], float(probs[first]), self.classes[second], float(probs[second])
        )


@dataclass(frozen=True)
class _Part:
    analyzer: Callable[[str], list[str]]
    vocab: dict[str, int]
