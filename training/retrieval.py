"""Reply suggestion by retrieval: the resolutions of the most similar resolved tickets."""

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer


class ResolutionRetriever:
    """TF-IDF cosine nearest neighbours over resolved tickets (rows are L2-normalised)."""

    def __init__(self, *, max_features: int = 50_000):
        self.max_features = max_features

    def fit(self, texts: list[str], resolutions: list[str], ticket_ids: list[int]):
        self.vectorizer_ = TfidfVectorizer(
            ngram_range=(1, 2), sublinear_tf=True, min_df=1, max_features=self.max_features
        )
        self.matrix_ = self.vectorizer_.fit_transform(texts).tocsr()
        self.resolutions_ = list(resolutions)
        self.ticket_ids_ = np.array(ticket_ids, dtype=np.int64)
        return self

    def query(self, text: str, *, k: int = 3, exclude_ticket_id: int | None = None) -> list[dict]:
        scores = (self.matrix_ @ self.vectorizer_.transform([text]).T).toarray().ravel()
        if exclude_ticket_id is not None:
            scores[self.ticket_ids_ == exclude_ticket_id] = -1.0
        top = np.argsort(-scores)[:k]
        return [
            {
                "ticket_id": int(self.ticket_ids_[i]),
                "score": round(float(scores[i]), 4),
                "resolution": self.resolutions_[i],
            }
            for i in top
            if scores[i] > 0
        ]


SKOPS_TRUSTED_TYPES = ["training.retrieval.ResolutionRetriever", "scipy.sparse._csr.csr_matrix"]
