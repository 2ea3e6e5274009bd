from django.urls import path

from .interop import ClaimProvView, ClaimReviewFeedView, ClaimReviewImportView, ClaimReviewView

urlpatterns = [
    path("claims/<int:id>/claimreview/", ClaimReviewView.as_view(), name="claim-claimreview"),
    path("claims/<int:id>/prov/", ClaimProvView.as_view(), name="claim-prov"),
    path("claimreview/", ClaimReviewFeedView.as_view(), name="claimreview-feed"),
    path("claimreview/import/", ClaimReviewImportView.as_view(), name="claimreview-import"),
]
