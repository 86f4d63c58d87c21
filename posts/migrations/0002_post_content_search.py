"""Full-text search over post content on PostgreSQL: a GIN index on the same expression the
search queries use (``SearchVector("content", config="simple")``). Other databases search with a
plain LIKE and get no index here."""

from django.db import migrations

INDEX = "posts_post_content_fts_idx"
CREATE = (
    f"CREATE INDEX IF NOT EXISTS {INDEX} ON posts_post "
    "USING gin (to_tsvector('simple'::regconfig, COALESCE(content, '')))"
)
DROP = f"DROP INDEX IF EXISTS {INDEX}"


def create_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE)


def drop_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP)


class Migration(migrations.Migration):
    dependencies = [("posts", "0001_initial")]

    operations = [migrations.RunPython(create_index, drop_index)]
