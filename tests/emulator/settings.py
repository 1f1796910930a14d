"""Run-time settings of the emulator, changed by options at start and POST /_emulator/config."""

import threading


def flag(v):
    """A boolean setting: true/false (any case), 1/0, or a JSON boolean."""
    if isinstance(v, bool):
        return v
    if str(v).strip().lower() in ("1", "true", "yes", "on"):
        return True
    if str(v).strip().lower() in ("0", "false", "no", "off"):
        return False
    raise ValueError(v)


class Settings:
    """Every value has a default; `update` checks names and types."""

    FIELDS = {
        "latency_ms": (float, 0.0),          # added to every Graph response
        "time_scale": (float, 1.0),          # real seconds per minute of Graph time
        "token_lifetime": (int, 3600),       # expires_in of issued access tokens (seconds)
        "auth": (str, "none"),               # none | required
        "pod_rate_limit": (int, 5),          # provisionOnDemand requests per window per job
        "pod_rate_window_s": (float, 10.0),
        "bulk_rate_limit": (int, 40),        # bulkUpload requests per second per job
        "device_code_interval": (int, 5),    # seconds a device-code client must wait between polls
        "device_code_lifetime": (int, 900),  # expires_in of a device code (seconds)
        "refresh_token_lifetime": (int, 86400),
        "page_size": (int, 100),             # default page of /servicePrincipals
        "sp_page_max": (int, 999),           # service principals per page whatever $top says
        "pod_answer_shape": (str, "result"),
        "chunked": (flag, False),            # answers with Transfer-Encoding: chunked (transport.py)
        "gzip": (flag, False),               # answers gzip-encoded when Accept-Encoding allows  # provisionOnDemand answer: result | statusInfo (pod_shapes.py)
        "log_rate_limit": (int, 5),          # /auditLogs/provisioning requests per window per app+tenant
        "log_rate_window_s": (float, 10.0),
        "log_page_max": (int, 1000),         # events per page of /auditLogs/provisioning, whatever $top says
        "audit_log_access": (str, "granted"),  # granted | denied (no AuditLog.Read.All) | unlicensed
    }

    def __init__(self, **kw):
        self.lock = threading.Lock()
        for name, (_, default) in self.FIELDS.items():
            setattr(self, name, default)
        self.update(kw)

    def update(self, values):
        """Applies known keys; returns a list of problems (unknown key, bad value)."""
        problems = []
        for k, v in values.items():
            if k not in self.FIELDS:
                problems.append(f"unknown setting {k!r}")
                continue
            typ = self.FIELDS[k][0]
            try:
                v = typ(v)
            except (TypeError, ValueError):
                problems.append(f"bad value for {k!r}: {v!r}")
                continue
            if k == "auth" and v not in ("none", "required"):
                problems.append("auth must be 'none' or 'required'")
                continue
            if k == "pod_answer_shape" and v not in ("result", "statusInfo"):
                problems.append("pod_answer_shape must be 'result' or 'statusInfo'")
                continue
            if k == "audit_log_access" and v not in ("granted", "denied", "unlicensed"):
                problems.append("audit_log_access must be 'granted', 'denied' or 'unlicensed'")
                continue
            if k == "time_scale" and v <= 0:
                problems.append("time_scale must be > 0")
                continue
            setattr(self, k, v)
        return problems

    def as_dict(self):
        return {k: getattr(self, k) for k in self.FIELDS}
