import pytest

from tests.feedback.operations import make_classification, make_sentiment, make_suggestion


@pytest.fixture
def classification(org):
    return make_classification(org, arm="B")


@pytest.fixture
def sentiment(org):
    return make_sentiment(org)


@pytest.fixture
def suggestion(org):
    return make_suggestion(org)
