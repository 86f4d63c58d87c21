"""The throttle of filing reports, shared by every API that files them."""

from django.conf import settings

from mini_twitter.api.throttles import UserWriteThrottle, scaled_rate


class ReportCreateThrottle(UserWriteThrottle):
    """Reports per user, stricter than other writes (as the sensitive endpoints): each one costs
    staff time."""

    scope = "report"

    def rate_from_settings(self):
        return scaled_rate(settings.THROTTLE_RATE_USER, settings.THROTTLE_SENSITIVE_DIVISOR)
