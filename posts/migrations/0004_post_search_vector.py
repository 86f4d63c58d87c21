"""A stored full-text document per post on PostgreSQL, kept by a trigger, with a GIN index. Search
then neither re-parses the content of matching rows (to filter or to rank) nor depends on the
planner matching an expression index. Other databases get a plain, unused column."""

import django.contrib.postgres.search
from django.db import migrations

FORWARD = [
    """
    CREATE OR REPLACE FUNCTION posts_post_search_vector_update() RETURNS trigger AS $$
    BEGIN
        NEW.search_vector := to_tsvector('simple'::regconfig, COALESCE(NEW.content, ''));
        RETURN NEW;
    END
    $$ LANGUAGE plpgsql
    """,
    "DROP TRIGGER IF EXISTS posts_post_search_vector_trigger ON posts_post",
    """
    CREATE TRIGGER posts_post_search_vector_trigger
    BEFORE INSERT OR UPDATE OF content ON posts_post
    FOR EACH ROW EXECUTE FUNCTION posts_post_search_vector_update()
    """,
    "UPDATE posts_post SET search_vector = to_tsvector('simple'::regconfig, COALESCE(content, ''))",
    "CREATE INDEX IF NOT EXISTS posts_post_search_vector_idx ON posts_post USING gin (search_vector)",
    "DROP INDEX IF EXISTS posts_post_content_fts_idx",
]
BACKWARD = [
    "DROP TRIGGER IF EXISTS posts_post_search_vector_trigger ON posts_post",
    "DROP FUNCTION IF EXISTS posts_post_search_vector_update()",
    "DROP INDEX IF EXISTS posts_post_search_vector_idx",
    "CREATE INDEX IF NOT EXISTS posts_post_content_fts_idx ON posts_post "
    "USING gin (to_tsvector('simple'::regconfig, COALESCE(content, '')))",
]


def _run(statements):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            for statement in statements:
                schema_editor.execute(statement)

    return run


class Migration(migrations.Migration):
    dependencies = [("posts", "0003_drop_redundant_fk_indexes")]

    operations = [
        migrations.AddField(
            model_name="post",
            name="search_vector",
            field=django.contrib.postgres.search.SearchVectorField(editable=False, null=True),
        ),
        migrations.RunPython(_run(FORWARD), _run(BACKWARD)),
    ]
