"""Static files storage: WhiteNoise's compressed, content-hashed names once ``collectstatic`` has
written its manifest; the plain names before that (WhiteNoise then serves them from the apps), so a
production start without ``collectstatic`` still renders the admin and Swagger UI."""

from whitenoise.storage import CompressedManifestStaticFilesStorage


class StaticFilesStorage(CompressedManifestStaticFilesStorage):
    def stored_name(self, name: str) -> str:
        try:
            return super().stored_name(name)
        except ValueError:  # not collected: no manifest entry, no file to hash
            return name
