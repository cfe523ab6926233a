from datetime import date
from decimal import Decimal
from typing import Annotated, Any

from ninja import Field, Schema

# Row ids are 64-bit in both databases; a larger number is refused as malformed (422) rather than
# overflowing the database driver into a 500.
MAX_ID = 2**63 - 1
Id = Annotated[int, Field(ge=1, le=MAX_ID)]
# Far beyond any real list (a street has some 260,000 residents, 5,200 pages of 50), yet small enough
# that page × page size stays a valid SQL OFFSET.
MAX_PAGE = 1_000_000
PageNumber = Annotated[int, Field(ge=1, le=MAX_PAGE)]


class ErrorOut(Schema):
    detail: str
    field: str | None = None
    code: str = "invalid"


class HealthOut(Schema):
    status: str
    database: str
    version: str


class AreaRef(Schema):
    id: int
    kind: str
    code: str
    name: str
    path: str


class AreaOut(Schema):
    id: int
    parent_id: int | None
    kind: str
    kind_label: str = Field(..., alias="get_kind_display")
    code: str
    name: str
    path: str
    depth: int
    latitude: Decimal | None
    longitude: Decimal | None
    boundary: dict[str, Any] | None
    description: str


class AreaCreateIn(Schema):
    parent_id: int
    kind: str
    code: str
    name: str
    latitude: Decimal | None = None
    longitude: Decimal | None = None
    boundary: dict[str, Any] | None = None
    description: str = ""


class AreaUpdateIn(Schema):
    name: str | None = None
    latitude: Decimal | None = None
    longitude: Decimal | None = None
    boundary: dict[str, Any] | None = None
    description: str | None = None


class UserRef(Schema):
    id: int
    username: str
    full_name: str


class AssignmentOut(Schema):
    id: int
    grid: AreaRef
    user: UserRef
    duty: str
    start_date: date
    end_date: date | None


class MeOut(Schema):
    id: int
    username: str
    full_name: str
    role: str
    role_label: str
    areas: list[AreaRef]
    capabilities: list[str]
