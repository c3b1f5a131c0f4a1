from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Principal(StrEnum):
    """How the request proved who it is; the key headers decide before the user headers."""

    ANONYMOUS = "anonymous"
    TEACHER = "teacher"
    INTERNAL = "internal"
    ADMIN = "admin"


class UnguardedRouteError(RuntimeError):
    """A route read the teacher of a request that no `require_teacher` guard checked."""


@dataclass(frozen=True, slots=True)
class Caller:
    """`user_id` is the gateway's X-User-ID: the teacher, or the user an internal call acts for."""

    principal: Principal
    user_id: str | None = None
    org_id: str | None = None
    admin_user: str | None = None

    @property
    def teacher_id(self) -> str:
        if self.user_id is None:
            raise UnguardedRouteError("teacher_id is only known behind the require_teacher guard")
        return self.user_id
