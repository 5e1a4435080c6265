from tests.storage.conftest import Db, _close_engines, db, make_db  # noqa: F401  (fixtures)
