"""DRF pieces shared by every app: pagination, errors, throttles, permissions, schema helpers."""
