"""One naming convention for the constraints and indexes of the services' tables.

Named constraints let Alembic autogenerate and drop them predictably; one convention means a
constraint's name tells which table and columns it covers in every service's database.
"""

from __future__ import annotations

from sqlalchemy import MetaData

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def service_metadata() -> MetaData:
    """A MetaData for a service's declarative base, with the shared naming convention."""
    return MetaData(naming_convention=NAMING_CONVENTION)
