"""Every write of the feedback app: submitting feedback, and the sweep that turns it into
training examples. Import from the package (`from feedback.services import ...`)."""

from feedback.services.examples import feedback_examples_apply
from feedback.services.submit import FeedbackSubmission, feedback_submit

__all__ = ["FeedbackSubmission", "feedback_examples_apply", "feedback_submit"]
