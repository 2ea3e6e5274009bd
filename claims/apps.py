from django.apps import AppConfig


class ClaimsConfig(AppConfig):
    name = "claims"

    def ready(self) -> None:
        # Sources sit below claims and cannot call them: a change of a source's standing in
        # traces (its parent, its anonymity) is announced by sources.services, in the
        # change's transaction, and the claims it originates get their trace summaries again.
        from sources.services import source_standing_changed

        from .services import source_standing_refresh

        source_standing_changed.connect(source_standing_refresh, dispatch_uid="claims.trace_summaries")
