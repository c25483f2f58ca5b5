from django.urls import path
from rest_framework.routers import SimpleRouter

from aiops.api import views

router = SimpleRouter(trailing_slash=False)
router.register("tickets", views.TicketViewSet, basename="ticket")
router.register("categories", views.CategoryViewSet, basename="category")
router.register("classifications", views.ClassificationViewSet, basename="classification")
router.register("suggestions", views.SuggestionViewSet, basename="suggestion")
router.register("sentiments", views.SentimentViewSet, basename="sentiment")

urlpatterns = [
    path("ai/classify", views.ClassifyView.as_view(), name="ai-classify"),
    path("ai/suggest", views.SuggestView.as_view(), name="ai-suggest"),
    path("ai/sentiment", views.SentimentView.as_view(), name="ai-sentiment"),
    *router.urls,
]
