"""Every write of the feedback app: submitting feedback, the sweep that turns it into
training examples, and a reviewer labelling a prediction from the label queue. Import from
the package (`from feedback.services import ...`)."""

from feedback.services.examples import feedback_examples_apply
from feedback.services.label_queue import LabelQueueSubmission, label_queue_submit
from feedback.services.submit import FeedbackSubmission, feedback_submit

__all__ = [
    "FeedbackSubmission",
    "LabelQueueSubmission",
    "feedback_examples_apply",
    "feedback_submit",
    "label_queue_submit",
]
