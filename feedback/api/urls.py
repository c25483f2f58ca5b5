from django.urls import path

from feedback.api import views

urlpatterns = [
    path("ai/feedback", views.FeedbackView.as_view(), name="ai-feedback"),
]
