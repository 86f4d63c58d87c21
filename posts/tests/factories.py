import factory

from posts import services
from posts.models import Post, PostHashtag
from users.tests.factories import UserFactory


class PostFactory(factory.django.DjangoModelFactory):
    """Posts made through the service, so hashtags, mentions and counters are real."""

    class Meta:
        model = Post

    author = factory.SubFactory(UserFactory)
    content = factory.Sequence(lambda n: f"post number {n}")

    @classmethod
    def _create(cls, model_class, author, content, reply_to=None, **kwargs):
        post = services.post_create(author=author, content=content, reply_to_id=reply_to.pk if reply_to else None)
        if kwargs.get("created_at"):
            Post.objects.filter(pk=post.pk).update(created_at=kwargs["created_at"])
            PostHashtag.objects.filter(post=post).update(created_at=kwargs["created_at"])
            post.refresh_from_db()
        return post
