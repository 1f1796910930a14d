"""The two shapes real tenants give provisionOnDemand's answer (a stringKeyStringValuePair whose
strings hold the report), chosen by the `pod_answer_shape` setting:

- `result` (the docs' shape): `key` is JSON `{"result": ..., "details": {...}}`, `value` the JSON
  report object (provisioningSteps, modifiedProperties, statusInfo ...).
- `statusInfo` (what the Entra cross-tenant synchronization how-to prints, and users pasted in
  hamilton issues 203 and 226): `key` is the .NET type name below, not JSON, and `value` a JSON
  array of report objects, one per subject.
"""

from tests.emulator.envelope import Response, context_url
from tests.emulator.util import compact

STATUS_INFO_KEY = "Microsoft.Identity.Health.CPP.Common.DataContracts.SyncFabric.StatusInfo"
SHAPES = ("result", "statusInfo")


def pod_answer(settings, version, key, value):
    body = {"@odata.context": context_url(version, "microsoft.graph.stringKeyStringValuePair")}
    if settings.pod_answer_shape == "statusInfo":
        body.update(key=STATUS_INFO_KEY, value=compact([value]))
    else:
        body.update(key=compact(key), value=compact(value))
    return Response(200, body)
