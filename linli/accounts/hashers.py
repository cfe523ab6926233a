from django.contrib.auth.hashers import Argon2PasswordHasher


class QuickArgon2PasswordHasher(Argon2PasswordHasher):
    """Real Argon2 with small cost parameters, for the test suite only (see conftest.py).

    Production uses Django's defaults (100 MiB, 2 passes); tests sign in hundreds
    of times and must not spend minutes hashing.
    """

    algorithm = "argon2"
    time_cost = 1
    memory_cost = 1024
    parallelism = 1
