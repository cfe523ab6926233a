from __future__ import annotations

from typing import Any, ClassVar

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from linli.core.models import RunningCount
from linli.registry.querysets import (
    BuildingChildQuerySet,
    GridScopedQuerySet,
    HouseholdQuerySet,
    ResidentChildQuerySet,
)


class HouseUse(models.TextChoices):
    OWNER_OCCUPIED = "owner_occupied", "自住"
    RENTED = "rented", "出租"
    VACANT = "vacant", "空置"
    BUSINESS = "business", "经营"


class Gender(models.TextChoices):
    MALE = "male", "男"
    FEMALE = "female", "女"


class ResidenceType(models.TextChoices):
    REGISTERED = "registered", "户籍"
    PERMANENT = "permanent", "常住"
    FLOATING = "floating", "流动"
    LODGING = "lodging", "寄住"


class ResidentStatus(models.TextChoices):
    ACTIVE = "active", "在册"
    MOVED_OUT = "moved_out", "迁出"
    DECEASED = "deceased", "死亡"
    # A duplicate registration folded into another resident (resident_merge); kept for its history.
    MERGED = "merged", "已合并"


class Building(models.Model):
    """楼栋, in one grid. `number` is stored bare ("8", not "8栋"), unique within the grid."""

    grid = models.ForeignKey("areas.Area", on_delete=models.PROTECT, related_name="buildings")
    number = models.CharField(max_length=20)
    name = models.CharField(max_length=60, blank=True)
    address = models.CharField(max_length=200, blank=True)

    objects: ClassVar[GridScopedQuerySet] = GridScopedQuerySet.as_manager()  # type: ignore[assignment]

    class Meta:
        verbose_name = "楼栋"
        verbose_name_plural = "楼栋"
        ordering = ["grid__path", "number"]
        constraints = [
            models.UniqueConstraint(fields=["grid", "number"], name="building_number_unique_in_grid")
        ]

    def __str__(self) -> str:
        return self.name or f"{self.number}栋"

    @property
    def audit_area_path(self) -> str:
        return self.grid.path


class Entrance(models.Model):
    """单元: a staircase/entrance of a building."""

    building = models.ForeignKey(Building, on_delete=models.PROTECT, related_name="entrances")
    number = models.CharField(max_length=20)

    objects: ClassVar[BuildingChildQuerySet] = BuildingChildQuerySet.as_manager()  # type: ignore[assignment]

    class Meta:
        verbose_name = "单元"
        verbose_name_plural = "单元"
        ordering = ["building", "number"]
        constraints = [models.UniqueConstraint(fields=["building", "number"], name="entrance_number_unique")]

    def __str__(self) -> str:
        return f"{self.building}{self.number}单元"


def house_label(building: str, entrance: str | None, room: str) -> str:
    """How a dwelling is written: building-entrance-room (3-2-501), or building-room without entrances."""
    return f"{building}-{entrance}-{room}" if entrance else f"{building}-{room}"


class House(models.Model):
    """房屋: one dwelling. Its use may change (rented out, vacated)."""

    Use = HouseUse

    building = models.ForeignKey(Building, on_delete=models.PROTECT, related_name="houses")
    entrance = models.ForeignKey(
        Entrance, null=True, blank=True, on_delete=models.PROTECT, related_name="houses"
    )
    room_number = models.CharField(max_length=20)
    use = models.CharField(max_length=16, choices=Use.choices, default=Use.OWNER_OCCUPIED)
    area_m2 = models.DecimalField(max_digits=7, decimal_places=2, null=True, blank=True)
    notes = models.CharField(max_length=200, blank=True)

    objects: ClassVar[BuildingChildQuerySet] = BuildingChildQuerySet.as_manager()  # type: ignore[assignment]

    class Meta:
        verbose_name = "房屋"
        verbose_name_plural = "房屋"
        ordering = ["building", "entrance", "room_number"]
        constraints = [
            models.UniqueConstraint(
                fields=["building", "entrance", "room_number"],
                condition=Q(entrance__isnull=False),
                name="house_room_unique_in_entrance",
            ),
            models.UniqueConstraint(
                fields=["building", "room_number"],
                condition=Q(entrance__isnull=True),
                name="house_room_unique_in_building",
            ),
            models.CheckConstraint(
                condition=Q(use__in=HouseUse.values),
                name="house_use_valid",
            ),
        ]

    def __str__(self) -> str:
        entrance = self.entrance.number if self.entrance_id and self.entrance else None
        return house_label(self.building.number, entrance, self.room_number)

    @property
    def audit_area_path(self) -> str:
        return self.building.grid.path


class Household(models.Model):
    """户: the people registered together in a house; one of them is the head."""

    house = models.ForeignKey(House, on_delete=models.PROTECT, related_name="households")
    number = models.CharField("户号", max_length=30, blank=True)
    head = models.ForeignKey(
        "Resident", null=True, blank=True, on_delete=models.SET_NULL, related_name="headed_households"
    )

    objects: ClassVar[HouseholdQuerySet] = HouseholdQuerySet.as_manager()  # type: ignore[assignment]

    class Meta:
        verbose_name = "户"
        verbose_name_plural = "户"

    def __str__(self) -> str:
        return f"{self.house}户" + (f"（{self.number}）" if self.number else "")

    @property
    def audit_area_path(self) -> str:
        return self.house.building.grid.path


class TagGroup(models.Model):
    code = models.CharField(max_length=32, unique=True)
    name = models.CharField(max_length=40)
    order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        verbose_name = "标签分组"
        verbose_name_plural = "标签分组"
        ordering = ["order", "code"]

    def __str__(self) -> str:
        return self.name


class Tag(models.Model):
    """重点人群 label. Sensitive tags (低保, 残疾 …) are seen only with the view_sensitive capability."""

    group = models.ForeignKey(TagGroup, on_delete=models.PROTECT, related_name="tags")
    code = models.CharField(max_length=40, unique=True)
    name = models.CharField(max_length=40, unique=True)
    sensitive = models.BooleanField(default=False)
    # Other words ledgers use for this tag, separated by 、 or commas (e.g. 残疾人: "残疾、残疾人员").
    aliases = models.CharField(max_length=200, blank=True)
    description = models.CharField(max_length=200, blank=True)
    order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        verbose_name = "标签"
        verbose_name_plural = "标签"
        ordering = ["group__order", "order", "code"]

    def __str__(self) -> str:
        return self.name

    @staticmethod
    def hidden_q(user: Any, prefix: str = "") -> Q:
        """The tags `user` may not see: sensitive ones without view_sensitive, and the party member tag
        (党员: membership is political status) without the party capability. None (console): none hidden."""
        from linli.core.capabilities import Capability

        hidden = Q(**{f"{prefix}pk__in": []})
        if user is None:
            return hidden
        if not user.can(Capability.VIEW_SENSITIVE):
            hidden |= Q(**{f"{prefix}sensitive": True})
        if not user.can(Capability.PARTY):
            hidden |= Q(**{f"{prefix}code__in": sorted(PARTY_TAG_CODES)})
        return hidden

    def hidden_from(self, user: Any) -> bool:
        from linli.core.capabilities import Capability

        if user is None:
            return False
        return (self.sensitive and not user.can(Capability.VIEW_SENSITIVE)) or (
            self.code in PARTY_TAG_CODES and not user.can(Capability.PARTY)
        )


# Tags that say someone is a party member: shown only to users with the party capability.
PARTY_TAG_CODES = frozenset({"party_member"})


class Resident(models.Model):
    Gender = Gender

    ResidenceType = ResidenceType

    Status = ResidentStatus

    grid = models.ForeignKey("areas.Area", on_delete=models.PROTECT, related_name="residents")
    name = models.CharField(max_length=50)
    id_number = models.CharField(max_length=18, unique=True)
    gender = models.CharField(max_length=6, choices=Gender.choices)
    birth_date = models.DateField()
    ethnicity = models.CharField(max_length=20, blank=True)
    phone = models.CharField(max_length=20, blank=True)
    education = models.CharField(max_length=20, blank=True)
    political_status = models.CharField(max_length=20, blank=True)
    residence_type = models.CharField(
        max_length=12, choices=ResidenceType.choices, default=ResidenceType.PERMANENT
    )
    house = models.ForeignKey(
        House, null=True, blank=True, on_delete=models.SET_NULL, related_name="residents"
    )
    household = models.ForeignKey(
        Household, null=True, blank=True, on_delete=models.SET_NULL, related_name="members"
    )
    relation_to_head = models.CharField(max_length=20, blank=True)
    tags = models.ManyToManyField(Tag, through="ResidentTag", related_name="residents", blank=True)
    notes = models.TextField(blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.ACTIVE)
    status_since = models.DateField(null=True, blank=True)
    merged_into = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="merged_duplicates"
    )
    # Search keys, derived by the services from name/ID/phone. Reversed strings turn
    # "ends with" (last digits of an ID or phone) into an indexable prefix search.
    name_pinyin = models.CharField(max_length=200, blank=True)
    name_initials = models.CharField(max_length=50, blank=True)
    id_reversed = models.CharField(max_length=18, db_index=True)
    phone_reversed = models.CharField(max_length=20, blank=True, db_index=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    objects: ClassVar[GridScopedQuerySet] = GridScopedQuerySet.as_manager()  # type: ignore[assignment]

    class Meta:
        verbose_name = "居民"
        verbose_name_plural = "居民"
        ordering = ["grid__path", "name"]
        constraints = [
            models.CheckConstraint(condition=Q(gender__in=Gender.values), name="resident_gender_valid"),
            models.CheckConstraint(
                condition=Q(residence_type__in=ResidenceType.values),
                name="resident_residence_type_valid",
            ),
            models.CheckConstraint(
                condition=Q(status__in=ResidentStatus.values), name="resident_status_valid"
            ),
        ]
        indexes = [
            # Lists by grid and status; with the residence type, population counts read the index alone.
            models.Index(fields=["grid", "status", "residence_type"], name="resident_grid_status_type_idx"),
            models.Index(fields=["birth_date"], name="resident_birth_idx"),
            # The dashboards' age pyramid (registry.dashboard.age_bands) counts from this index alone,
            # not from the wide rows (a full table scan was the registry's slowest cold figure).
            models.Index(
                fields=["status", "grid", "gender", "birth_date"], name="resident_status_grid_age_idx"
            ),
            # Pinyin and initials prefixes, with the grid so a scoped count never reads the table, and
            # each beside the other: the overlap of the two (see selectors.pinyin_page) is counted from
            # the narrower range ("zh": 2,800 initials entries, not 37,000 pinyin ones: 4.8 → 0.5 ms).
            # SQLite indexes carry the rowid (= id) anyway; PostgreSQL needs it included.
            models.Index(
                fields=["name_pinyin", "grid", "name_initials"],
                name="resident_pinyin_grid_idx",
                include=["id"],
            ),
            models.Index(
                fields=["name_initials", "grid", "name_pinyin"],
                name="resident_initials_pinyin_idx",
                include=["id"],
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def audit_area_path(self) -> str:
        return self.grid.path


class ResidentTag(models.Model):
    resident = models.ForeignKey(Resident, on_delete=models.CASCADE, related_name="tag_links")
    tag = models.ForeignKey(Tag, on_delete=models.PROTECT, related_name="resident_links")
    since = models.DateField(default=timezone.localdate)

    objects: ClassVar[ResidentChildQuerySet] = ResidentChildQuerySet.as_manager()  # type: ignore[assignment]

    class Meta:
        constraints = [models.UniqueConstraint(fields=["resident", "tag"], name="residenttag_unique")]

    def __str__(self) -> str:
        return f"{self.resident_id}:{self.tag_id}"


class ResidentChange(models.Model):
    """One line of a resident's history: who changed what, when, from what to what."""

    class Kind(models.TextChoices):
        CREATE = "create", "登记"
        UPDATE = "update", "修改"
        STATUS = "status", "状态变更"
        IMPORT = "import", "导入更新"
        MOVE = "move", "迁居"
        MERGE = "merge", "合并"

    resident = models.ForeignKey(Resident, on_delete=models.CASCADE, related_name="changes")
    at = models.DateTimeField(default=timezone.now)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    actor_label = models.CharField(max_length=150, blank=True)
    kind = models.CharField(max_length=10, choices=Kind.choices)
    effective_date = models.DateField(null=True, blank=True)
    changes = models.JSONField(default=dict)

    objects: ClassVar[ResidentChildQuerySet] = ResidentChildQuerySet.as_manager()  # type: ignore[assignment]

    class Meta:
        verbose_name = "居民变更记录"
        verbose_name_plural = "居民变更记录"
        ordering = ["resident", "-at", "-id"]
        indexes = [models.Index(fields=["resident", "at"], name="residentchange_res_at_idx")]

    def __str__(self) -> str:
        return f"{self.resident_id} {self.kind} {self.at:%Y-%m-%d}"


class NameGram(models.Model):
    """One- and two-character pieces of residents' names, so a name substring is an index lookup.

    张三丰 → 张, 三, 丰, 张三, 三丰. Kept by the registry's write paths (services, import, demo);
    `grid` is copied so the scope filter needs no join.
    """

    resident = models.ForeignKey(Resident, on_delete=models.CASCADE, related_name="+")
    grid = models.ForeignKey("areas.Area", on_delete=models.CASCADE, related_name="+")
    gram = models.CharField(max_length=2)

    class Meta:
        indexes = [models.Index(fields=["gram", "grid", "resident"], name="namegram_lookup_idx")]
        constraints = [models.UniqueConstraint(fields=["resident", "gram"], name="namegram_unique")]

    def __str__(self) -> str:
        return f"{self.gram}:{self.resident_id}"


def name_grams(name: str) -> set[str]:
    chars = [c for c in name if not c.isspace()]
    return set(chars) | {a + b for a, b in zip(chars, chars[1:], strict=False)}


class RegisterCount(RunningCount):
    """The register's running counts per grid (linli/registry/counts.py), kept by database triggers in the
    transaction of every write to residents, their tags, houses, households and buildings — the services',
    an import's, a restore's or a bulk load's alike — so the dashboards read a few hundred rows instead of
    counting a street's residents after each write.

    `kind` and `key`: "type" and a residence type (residents on the register), "born" and gender and year of
    birth ("female:1952", for the age pyramid), "tag" and a tag's id (their tags), "house" and a house use,
    "household" and "". On PostgreSQL a statement appends its changes as
    rows of its own (no row is updated, so concurrent writers never wait for each other or deadlock on a
    counter); the rows of one key are summed when read and folded into one by the sweep. Derived data:
    not backed up (a restore's own writes rebuild it), rebuilt by `linli registry recount`.
    """

    grid = models.ForeignKey("areas.Area", on_delete=models.DO_NOTHING, db_constraint=False, related_name="+")

    objects: ClassVar[GridScopedQuerySet] = GridScopedQuerySet.as_manager()  # type: ignore[assignment]

    class Meta:
        indexes = [models.Index(fields=["grid", "kind", "key"], name="registercount_grid_kind_key")]

    def __str__(self) -> str:
        return f"{self.grid_id}:{self.kind}:{self.key}={self.n}"
