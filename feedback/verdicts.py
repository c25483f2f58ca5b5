"""What a feedback says about a prediction: pure rules, no database.

`final` is the label the agent stands behind. For classification and sentiment a correction
names it; a positive feedback without one accepts the prediction. The prediction is correct
iff final == predicted; a negative feedback without a correction is incorrect with an
unknown true label; a neutral one without a correction says nothing (outcome unknown). With a
final label the example text → final label is voted for (source user_acceptance when it
agrees with the prediction, user_correction when it does not).

For a suggestion helpfulness is the measure: `wasHelpful` when given, else positive →
helpful, negative → not helpful; with neither, a suggestion marked used counts as helpful.
Helpful → correct (true label = the predicted label), not helpful → incorrect, otherwise
unknown. A helpful suggestion becomes the example text → suggestion content (for the
fine-tuning export), unless the content is blank or longer than the training app takes as a
label: cutting a reply would teach a wrong one, so such a suggestion is judged, not voted for.
"""

from dataclasses import dataclass

from feedback.choices import FeedbackValue, OperationType
from training.choices import ExampleSource
from training.importers import MAX_LABEL_LENGTH


@dataclass(frozen=True)
class Verdict:
    correct: bool | None
    true_label: str
    # The label this feedback votes for as the example's (in its operation type's task), and
    # the vote's source; "" when it votes for none.
    example_label: str = ""
    example_source: str = ""


def label_verdict(*, predicted: str, corrected: str | None, feedback: str) -> Verdict:
    """Classification or sentiment: `corrected` is the agent's label, if any."""
    final = corrected
    if final is None and feedback == FeedbackValue.POSITIVE:
        final = predicted
    if final is None:
        return Verdict(correct=False if feedback == FeedbackValue.NEGATIVE else None, true_label="")
    correct = final == predicted
    return Verdict(
        correct=correct,
        true_label=final,
        example_label=final,
        example_source=ExampleSource.USER_ACCEPTANCE if correct else ExampleSource.USER_CORRECTION,
    )


def suggestion_helpful(*, feedback: str, was_helpful: bool | None) -> bool | None:
    if was_helpful is not None:
        return was_helpful
    return {FeedbackValue.POSITIVE: True, FeedbackValue.NEGATIVE: False}.get(feedback)


def suggestion_verdict(
    *,
    feedback: str,
    was_used: bool | None,
    was_helpful: bool | None,
    predicted: str,
    content: str,
) -> Verdict:
    helpful = suggestion_helpful(feedback=feedback, was_helpful=was_helpful)
    correct = helpful if helpful is not None else (True if was_used else None)
    if not correct:
        return Verdict(correct=correct, true_label="")
    if not content.strip() or len(content.strip()) > MAX_LABEL_LENGTH:
        return Verdict(correct=True, true_label=predicted)
    return Verdict(
        correct=True,
        true_label=predicted,
        example_label=content,
        example_source=ExampleSource.USER_ACCEPTANCE,
    )


def verdict(
    *,
    operation_type: str,
    operation: dict,
    feedback: str,
    corrected: str | None = None,
    was_used: bool | None = None,
    was_helpful: bool | None = None,
) -> Verdict:
    """The verdict of one feedback on its operation, as read by OPERATION_FIELDS and
    PREDICTION_FIELD."""
    if operation_type == OperationType.SUGGESTION:
        return suggestion_verdict(
            feedback=feedback,
            was_used=was_used,
            was_helpful=was_helpful,
            predicted=operation["inference_log__predicted_label"] or "",
            content=operation[PREDICTION_FIELD[operation_type]],
        )
    return label_verdict(
        predicted=operation[PREDICTION_FIELD[operation_type]],
        corrected=corrected,
        feedback=feedback,
    )


# What a verdict reads of an operation: the shared fields, and per type its prediction (the
# predicted label, or the suggested reply).
OPERATION_FIELDS = ("id", "input_text", "inference_log__predicted_label")
PREDICTION_FIELD = {
    # The model's label (a category's name, unless the category was renamed or deleted since).
    OperationType.CLASSIFICATION: "inference_log__predicted_label",
    OperationType.SENTIMENT: "sentiment",
    OperationType.SUGGESTION: "content",
}
