import factory

from users.models import User

PASSWORD = "correct-horse-battery-staple"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda o: f"{o.username}@example.com")

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        password = kwargs.pop("password", PASSWORD)
        display_name = kwargs.pop("display_name", "")
        user = model_class.objects.create_user(*args, password=password, **kwargs)
        if display_name:
            user.profile.display_name = display_name
            user.profile.save(update_fields=["display_name"])
        return user
