"""Usernames get a look-alike skeleton (backfilled, then unique); names lose control characters."""

import mini_twitter.api.text
import users.usernames
from django.db import migrations, models


def backfill_skeletons(apps, schema_editor):
    User = apps.get_model("users", "User")
    seen = set()
    for user in User.objects.order_by("pk").only("pk", "username").iterator(chunk_size=2000):
        skeleton = users.usernames.username_skeleton(user.username)
        if skeleton in seen:
            # Two look-alikes registered before the rule: the older keeps the skeleton, the newer
            # keeps its name with a key no real skeleton can take (skeletons have no spaces).
            skeleton = f"{skeleton} #{user.pk}"
        seen.add(skeleton)
        User.objects.filter(pk=user.pk).update(username_skeleton=skeleton)


def strip_control_characters(apps, schema_editor):
    """Names stored before the single-line rule: control characters and line breaks become spaces."""
    Profile = apps.get_model("users", "Profile")
    ApiKey = apps.get_model("users", "ApiKey")
    text = mini_twitter.api.text
    for model, fields in ((Profile, ("display_name", "location")), (ApiKey, ("name",))):
        for row in model.objects.only("pk", *fields).iterator(chunk_size=2000):
            fixed = {f: text.one_line(getattr(row, f)) for f in fields if text.has_control_characters(getattr(row, f))}
            if fixed:
                model.objects.filter(pk=row.pk).update(**fixed)


class Migration(migrations.Migration):

    dependencies = [
        ('auth', '0012_alter_user_first_name_max_length'),
        ('users', '0004_drop_fk_index_covered_by_composite'),
    ]

    operations = [
        migrations.AddField(
            model_name='user',
            name='username_skeleton',
            field=models.TextField(editable=False, null=True),
        ),
        migrations.RunPython(backfill_skeletons, migrations.RunPython.noop, elidable=True),
        migrations.AlterField(
            model_name='user',
            name='username_skeleton',
            field=models.TextField(editable=False),
        ),
        migrations.RunPython(strip_control_characters, migrations.RunPython.noop, elidable=True),
        migrations.AlterField(
            model_name='apikey',
            name='name',
            field=models.CharField(max_length=100, validators=[mini_twitter.api.text.validate_single_line]),
        ),
        migrations.AlterField(
            model_name='profile',
            name='display_name',
            field=models.CharField(blank=True, max_length=50, validators=[mini_twitter.api.text.validate_single_line]),
        ),
        migrations.AlterField(
            model_name='profile',
            name='location',
            field=models.CharField(blank=True, max_length=100, validators=[mini_twitter.api.text.validate_single_line]),
        ),
        migrations.AlterField(
            model_name='user',
            name='username',
            field=models.CharField(error_messages={'unique': 'A user with that username already exists.'}, help_text='150 characters or fewer: letters, digits and @/./+/-/_ only, the letters of one script (Latin may be combined with Chinese, Japanese or Korean); no look-alike of an existing username.', max_length=150, unique=True, validators=[users.usernames.UsernameValidator()], verbose_name='username'),
        ),
        migrations.AddConstraint(
            model_name='user',
            constraint=models.UniqueConstraint(fields=('username_skeleton',), name='users_user_username_skeleton_unique'),
        ),
    ]
