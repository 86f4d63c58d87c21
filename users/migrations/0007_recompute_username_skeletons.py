"""Username skeletons recomputed: look-alikes are now mapped before case is folded (a capital I
looks like a small l), so some stored skeletons change."""

import users.usernames
from django.db import migrations


def recompute_skeletons(apps, schema_editor):
    User = apps.get_model("users", "User")
    seen = set()
    wanted = {}
    for pk, username, stored in User.objects.order_by("pk").values_list("pk", "username", "username_skeleton").iterator(
        chunk_size=2000
    ):
        skeleton = users.usernames.username_skeleton(username)
        if skeleton in seen:
            # Two look-alikes registered before the rule: the older keeps the skeleton, the newer
            # keeps its name with a key no real skeleton can take (skeletons have no spaces).
            skeleton = f"{skeleton} #{pk}"
        seen.add(skeleton)
        if skeleton != stored:
            wanted[pk] = skeleton
    # In two steps, as the column is unique: a row's new skeleton may be another row's old one.
    # The interim keys (empty skeleton, then the key's number) are taken by no row.
    for pk in wanted:
        User.objects.filter(pk=pk).update(username_skeleton=f" #{pk}")
    for pk, skeleton in wanted.items():
        User.objects.filter(pk=pk).update(username_skeleton=skeleton)


class Migration(migrations.Migration):

    dependencies = [
        ('users', '0006_user_revoked_sessions'),
    ]

    operations = [
        migrations.RunPython(recompute_skeletons, migrations.RunPython.noop, elidable=True),
    ]
