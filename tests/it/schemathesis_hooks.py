# Loaded by schemathesis (SCHEMATHESIS_HOOKS) in tests/it/api_contract.rs.
#
# The plan upload is TOML, which schemathesis has no serializer for; TOML is text, so send it
# as text.
#
# Some operations act on a resource that must exist and be in the right state (an open alert,
# an incident, a report stage not yet submitted, a model with a trend plan). Identifiers that
# schemathesis generates name nothing, so every such request would answer 404 and the logic
# behind it would stay untested. The test creates those resources before the run and passes
# their identifiers in VIGIL_SCHEMATHESIS_KNOWN (JSON: route template -> {"path": {parameter:
# value}, "body": {field: value}, "drop": [field], "body_only_for": {field: [path parameter,
# [values]]}}). Every other request to such a route gets them; the rest keep their generated
# values, so the 404 and 422 answers stay exercised too.
import itertools
import json
import os

import schemathesis

schemathesis.serializer.alias("application/toml", "text/plain")

KNOWN = json.loads(os.environ.get("VIGIL_SCHEMATHESIS_KNOWN", "{}"))
_turn = itertools.count()


@schemathesis.hook
def before_call(ctx, case, **kwargs):
    known = KNOWN.get(case.operation.path)
    if not known or next(_turn) % 2:
        return
    params = dict(case.path_parameters or {})
    params.update(known.get("path", {}))
    case.path_parameters = params
    # A body field that only some values of a path parameter take (an alert's
    # reporting_country belongs to an escalation): dropped where it does not belong, as a
    # client that read the field's description would.
    if isinstance(case.body, dict):
        for field in known.get("drop", []):
            case.body.pop(field, None)
        case.body.update(known.get("body", {}))
        for field, rule in known.get("body_only_for", {}).items():
            parameter, allowed = rule
            if params.get(parameter) not in allowed:
                case.body.pop(field, None)
