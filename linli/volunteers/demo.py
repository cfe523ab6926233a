"""Demo volunteers: about 2% of the street's residents registered in their communities (a few partner-unit
volunteers and party members reporting among them, a few applications waiting), an association → corps →
team tree per community, and a year of activities — past ones signed in, out and confirmed (some sign-outs
forgotten and closed by the sweep, some corrected), the next two weeks open with bookings."""

from __future__ import annotations

import random
import secrets
from datetime import datetime, time, timedelta

from django.db import transaction
from django.utils import timezone

from linli.areas.models import Area
from linli.core.demo import DemoContext
from linli.registry import normalise
from linli.registry.models import Resident, ResidentStatus, name_grams
from linli.volunteers import rollup
from linli.volunteers.models import (
    AVAILABILITY_CODES,
    Activity,
    ActivityStatus,
    RecordStatus,
    ServiceRecord,
    SignMethod,
    Skill,
    Team,
    TeamLevel,
    TeamMembership,
    Volunteer,
    VolunteerKind,
    VolunteerNameGram,
    VolunteerStatus,
)
from linli.volunteers.services import counted_minutes

DEMO_AFTER = ("areas", "registry")
SHARE = 0.02
ACTIVITIES = [
    ("陪独居老人买菜", "社区服务站", "elderly"),
    ("楼道清扫", "各楼栋", "environment"),
    ("义诊进社区", "社区卫生服务站", "medical"),
    ("小家电义务维修", "社区广场", "repair"),
    ("法律咨询日", "社区党群服务中心", "legal"),
    ("四点半课堂", "社区活动室", "children"),
    ("夜间治安巡逻", "辖区主要道路", "patrol"),
    ("文明劝导", "小区出入口", "civilization"),
    ("陪同就医", "区人民医院", "escort"),
    ("广场舞活动组织", "社区广场", "culture"),
]
UNITS = ["市供电公司", "区人民医院", "区实验小学", "市自来水公司", "区税务局"]


def demo_build(ctx: DemoContext) -> None:
    ctx.counts["volunteers"], ctx.counts["service_records"] = build_demo_volunteers(
        street=ctx.street, seed=ctx.seed
    )


@transaction.atomic
def build_demo_volunteers(*, street: Area, seed: int, now: datetime | None = None) -> tuple[int, int]:
    now = now or timezone.now()
    rng = random.Random(seed + 19)
    skills = {s.code: s for s in Skill.objects.all()}
    communities = list(Area.objects.filter(kind=Area.Kind.COMMUNITY, path__startswith=street.path + "/"))
    volunteers_made = records_made = 0
    for community in communities:
        residents = list(
            Resident.objects.filter(
                grid__path__startswith=community.path + "/",
                status=ResidentStatus.ACTIVE,
                birth_date__lte=now.date().replace(year=now.year - 18),
                birth_date__gte=now.date().replace(year=now.year - 75),
            )
            .exclude(phone="")
            .order_by("pk")
            .values_list("pk", "name", "id_number", "gender", "birth_date", "phone", "grid_id")
        )
        if not residents:
            continue
        total = Resident.objects.filter(grid__path__startswith=community.path + "/").count()
        chosen = rng.sample(residents, min(len(residents), max(5, round(total * SHARE))))
        volunteers = []
        for pk, name, id_number, gender, birth, phone, grid_id in chosen:
            kind = rng.choices(
                [VolunteerKind.RESIDENT, VolunteerKind.PARTY_MEMBER, VolunteerKind.UNIT], [8, 1.5, 0.5]
            )[0]
            pinyin, initials = normalise.name_keys(name)
            volunteers.append(
                Volunteer(
                    community=community,
                    grid_id=grid_id,
                    resident_id=pk,
                    kind=kind,
                    unit_name=rng.choice(UNITS) if kind != VolunteerKind.RESIDENT else "",
                    name=name,
                    id_number=id_number,
                    gender=gender,
                    birth_date=birth,
                    phone=phone,
                    availability=sorted(rng.sample(sorted(AVAILABILITY_CODES), rng.randint(0, 6))),
                    photo_consent=rng.random() < 0.7,
                    status=rng.choices(
                        [
                            VolunteerStatus.ACTIVE,
                            VolunteerStatus.APPLIED,
                            VolunteerStatus.SUSPENDED,
                            VolunteerStatus.LEFT,
                        ],
                        [90, 4, 3, 3],
                    )[0],
                    channel=rng.choice(["staff", "self", "import"]),
                    name_pinyin=pinyin,
                    name_initials=initials,
                    id_reversed=id_number[::-1],
                    phone_reversed=phone[::-1],
                    created_at=now - timedelta(days=rng.randint(370, 1500)),
                )
            )
        Volunteer.objects.bulk_create(volunteers, batch_size=1000)
        volunteers_made += len(volunteers)
        # The name grams the services keep for the substring search.
        VolunteerNameGram.objects.bulk_create(
            [
                VolunteerNameGram(volunteer_id=v.pk, community_id=community.pk, gram=gram)
                for v in volunteers
                for gram in sorted(name_grams(v.name))
            ],
            batch_size=2000,
        )
        links = Volunteer.skills.through
        links.objects.bulk_create(
            [
                links(volunteer_id=v.pk, skill_id=s.pk)
                for v in volunteers
                for s in rng.sample(list(skills.values()), rng.randint(1, 3))
            ],
            batch_size=2000,
        )
        active = [v for v in volunteers if v.status == VolunteerStatus.ACTIVE]
        assoc = Team.objects.create(
            community=community, level=TeamLevel.ASSOCIATION, name=f"{community.name}志愿者协会"
        )
        teams = []
        for corps_name, team_names in (
            ("为老服务总队", ["助老服务队", "健康服务队"]),
            ("平安文明总队", ["治安巡逻队", "文明劝导队", "青少年服务队"]),
        ):
            corps = Team.objects.create(
                community=community, level=TeamLevel.CORPS, name=corps_name, parent=assoc
            )
            teams += [
                Team.objects.create(community=community, level=TeamLevel.TEAM, name=n, parent=corps)
                for n in team_names
            ]
        memberships = []
        members: dict[int, list[Volunteer]] = {}
        for v in active:
            for team in rng.sample(teams, rng.choice([1, 1, 1, 2])):
                members.setdefault(team.pk, []).append(v)
        for team in teams:
            for i, v in enumerate(members.get(team.pk, [])):
                memberships.append(
                    TeamMembership(team=team, volunteer=v, is_leader=i == 0, joined_on=v.created_at.date())
                )
        TeamMembership.objects.bulk_create(memberships, batch_size=2000)
        records_made += _activities(community, teams, members, rng, now, skills)
    return volunteers_made, records_made


def _activities(
    community: Area,
    teams: list[Team],
    members: dict[int, list[Volunteer]],
    rng: random.Random,
    now: datetime,
    skills: dict[str, Skill],
) -> int:
    tz = timezone.get_current_timezone()
    today = timezone.localdate(now)
    activities: list[Activity] = []
    plans: list[tuple[Activity, list[Volunteer]]] = []
    day = today - timedelta(days=365)
    while day <= today + timedelta(days=14):
        day += timedelta(days=rng.choice([2, 3, 4, 5]))
        team = rng.choice(teams)
        pool = members.get(team.pk, [])
        if not pool:
            continue
        title, place, skill = rng.choice(ACTIVITIES)
        start = datetime.combine(day, time(rng.choice([8, 9, 14, 15, 19])), tzinfo=tz)
        end = start + timedelta(hours=rng.choice([1, 2, 2, 3]))
        a = Activity(
            community=community,
            team=team,
            title=title,
            place=place,
            starts_at=start,
            ends_at=end,
            capacity=rng.randint(4, 12),
            status=ActivityStatus.CONFIRMED if end < now else ActivityStatus.PUBLISHED,
            checkin_token=secrets.token_urlsafe(18),
            confirmed_at=end + timedelta(hours=2) if end < now else None,
            created_at=start - timedelta(days=7),
        )
        activities.append(a)
        plans.append((a, rng.sample(pool, min(len(pool), rng.randint(2, a.capacity)))))
    Activity.objects.bulk_create(activities, batch_size=1000)
    links = Activity.skills.through
    links.objects.bulk_create(
        [
            links(activity_id=a.pk, skill_id=skills[code].pk)
            for a in activities
            for t, _, code in ACTIVITIES
            if t == a.title and code in skills
        ]
    )
    records = []
    for a, people in plans:
        past = a.ends_at < now
        for v in people:
            r = ServiceRecord(
                volunteer=v,
                activity=a,
                community=community,
                grid_id=v.grid_id,
                team=a.team,
                day=timezone.localdate(a.starts_at),
                booked_at=a.created_at + timedelta(days=1),
            )
            if past:
                fate = rng.random()
                if fate < 0.08:
                    r.status = RecordStatus.ABSENT
                else:
                    r.signed_in_at = a.starts_at + timedelta(minutes=rng.randint(-10, 20))
                    r.sign_in_method = rng.choice([SignMethod.QR, SignMethod.QR, SignMethod.ROLL_CALL])
                    if fate < 0.14:
                        r.signed_out_at, r.sign_out_method, r.auto_closed = a.ends_at, SignMethod.SWEEP, True
                    else:
                        r.signed_out_at = a.ends_at - timedelta(minutes=rng.randint(-5, 40))
                        r.sign_out_method = r.sign_in_method
                    r.signed_out_at = max(r.signed_out_at, r.signed_in_at)
                    r.minutes = counted_minutes(a, r.signed_in_at, r.signed_out_at)
                    r.status = RecordStatus.CONFIRMED
                    r.confirmed_at = a.confirmed_at
            records.append(r)
    ServiceRecord.objects.bulk_create(records, batch_size=2000)
    # Confirmed as `records_confirm` would have: into the statistics' monthly roll-up too.
    rollup.add(r for r in records if r.status == RecordStatus.CONFIRMED)
    return len(records)
