"""Evaluates Rollgate's flags through the real OpenFeature Python SDK and its OFREP provider.

Usage: check_ofrep.py BASE_URL SDK_KEY

The Rust test `tests/tests/e2e/ofrep/openfeature_python.rs` starts the server, seeds the flags
named below through the admin API, runs this script with the venv's Python and asserts
on the JSON it prints: one object per case with the value (and its Python type), the
variant, the reason, the error code and the error message as the SDK reports them.
"""

import json
import sys

from openfeature import api
from openfeature.contrib.provider.ofrep import OFREPProvider
from openfeature.evaluation_context import EvaluationContext


def plain(value):
    """An enum (Reason, ErrorCode) as its wire name; anything else unchanged."""
    return getattr(value, "value", value)


def describe(details):
    return {
        "value": details.value,
        "type": type(details.value).__name__,
        "variant": details.variant,
        "reason": plain(details.reason),
        "error_code": plain(details.error_code),
        "error_message": details.error_message,
        "metadata": dict(details.flag_metadata or {}),
    }


def main():
    base_url, sdk_key = sys.argv[1], sys.argv[2]
    api.set_provider(
        OFREPProvider(
            base_url,
            headers_factory=lambda: {"Authorization": f"Bearer {sdk_key}"},
        )
    )
    client = api.get_client("rollgate-e2e")

    user = EvaluationContext(targeting_key="user-42", attributes={"country": "NL"})
    outsider = EvaluationContext(targeting_key="user-42", attributes={"country": "US"})
    anonymous = EvaluationContext(attributes={"country": "US"})
    bad_key = EvaluationContext(attributes={"targetingKey": 42})

    cases = {
        "boolean_rule": client.get_boolean_details("py-bool", False, user),
        "boolean_default": client.get_boolean_details("py-bool", True, outsider),
        "string_split": client.get_string_details("py-string", "fallback", user),
        "integer_static": client.get_integer_details("py-int", 0, user),
        "big_integer": client.get_integer_details("py-big-int", 0, user),
        "float_static": client.get_float_details("py-float", 0.5, user),
        "object_rule": client.get_object_details("py-object", {"fallback": True}, user),
        "object_default": client.get_object_details("py-object", {"fallback": True}, outsider),
        "disabled": client.get_boolean_details("py-disabled", True, user),
        "flag_not_found": client.get_boolean_details("py-missing", True, user),
        "targeting_key_missing": client.get_string_details("py-string", "fallback", anonymous),
        "no_context_static": client.get_integer_details("py-int", 0),
        "invalid_context": client.get_boolean_details("py-bool", True, bad_key),
    }

    # A wrong key, on its own domain: the SDK reports an error and hands back the default.
    api.set_provider(
        OFREPProvider(base_url, headers_factory=lambda: {"Authorization": "Bearer rg_sdk_nope_x"}),
        domain="unauthorized",
    )
    cases["unauthorized"] = api.get_client("unauthorized").get_boolean_details("py-bool", True, user)

    print(json.dumps({name: describe(details) for name, details in cases.items()}))
    api.shutdown()


if __name__ == "__main__":
    main()
