"""Small helpers shared by the emulator's modules: time formats, ids, JSON."""

import copy
import datetime
import json
import marshal
import random
import re
import uuid

NEVER = "0001-01-01T00:00:00Z"      # Graph's DateTimeOffset.MinValue as the sync service writes it
MAX_INTERVAL = "P10675199DT2H48M5.4775807S"  # .NET TimeSpan.MaxValue: the interval of a disabled job


def utcnow():
    return datetime.datetime.now(datetime.timezone.utc)


def iso(dt=None):
    """DateTimeOffset as the sync service writes it: seconds precision, 'Z'."""
    dt = dt or utcnow()
    return dt.strftime("%Y-%m-%dT%H:%M:%SZ")


def iso7(dt=None):
    """DateTimeOffset with seven fractional digits (provisioning reports, discovery)."""
    dt = dt or utcnow()
    return dt.strftime("%Y-%m-%dT%H:%M:%S.") + f"{dt.microsecond:06d}0Z"


def inner_date(dt=None):
    """innerError.date: no zone, no fraction."""
    dt = dt or utcnow()
    return dt.strftime("%Y-%m-%dT%H:%M:%S")


def aad_timestamp(dt=None):
    """Timestamp of Entra ID (AADSTS) errors: 'YYYY-MM-DD HH:MM:SSZ'."""
    dt = dt or utcnow()
    return dt.strftime("%Y-%m-%d %H:%M:%SZ")


def new_guid():
    return str(uuid.uuid4())


class IdSource:
    """Deterministic GUIDs for a seed, so a tenant built twice has the same ids."""

    def __init__(self, seed, salt=""):
        self.rng = random.Random(f"{seed}/{salt}")

    def guid(self):
        return str(uuid.UUID(int=self.rng.getrandbits(128), version=4))

    def hex32(self):
        return self.guid().replace("-", "")


def guid_for(*parts):
    """A GUID derived from text (stable across runs)."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, "graphsyncfs-emulator:" + "/".join(map(str, parts))))


def dumps(obj):
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def compact(obj):
    """The JSON text of a value as the sync service embeds it in strings (no spaces)."""
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":"))


_DURATION = re.compile(r"^P(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?)?$")


def duration_minutes(text):
    """Minutes of an ISO-8601 duration like 'PT40M' or 'P1DT2H' (None when not parseable)."""
    m = _DURATION.match(text or "")
    if not m or text == "P":
        return None
    d, h, mi, s = m.groups()
    return int(d or 0) * 1440 + int(h or 0) * 60 + int(mi or 0) + float(s or 0) / 60.0


def deep_merge(dst, src):
    """Merges dict `src` into dict `dst` recursively; lists and scalars replace."""
    for k, v in src.items():
        if isinstance(v, dict) and isinstance(dst.get(k), dict):
            deep_merge(dst[k], v)
        else:
            dst[k] = v
    return dst


def json_copy(obj):
    """A deep copy of JSON-shaped data (dicts, lists, strings, numbers, None) made in C: a
    schema or template copied for each answer with copy.deepcopy cost the emulator more CPU than
    the filesystem under test spent on a whole-tenant walk (tests/bench, issue 14)."""
    try:
        return marshal.loads(marshal.dumps(obj))
    except ValueError:   # something marshal does not know: copy it the slow way
        return copy.deepcopy(obj)
