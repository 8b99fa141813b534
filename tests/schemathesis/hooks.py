"""Schemathesis hooks for tidings' own media types (SCHEMATHESIS_HOOKS).

- PATCH /v2/queues/{queue} takes a JSON patch under Zaqar's media type;
- POST /v2/bounces takes the raw bounce message (message/rfc822);
- GET /v2 answers Zaqar's JSON home document (application/json-home).
"""
import json

import schemathesis


@schemathesis.serializer("application/openstack-messaging-v2.0-json-patch")
def json_patch(ctx, value):
    if isinstance(value, bytes):
        return {"data": value}
    return {"data": json.dumps(value, default=str).encode("utf-8")}


@schemathesis.serializer("message/rfc822")
def rfc822(ctx, value):
    if isinstance(value, bytes):
        return {"data": value}
    if not isinstance(value, str):
        value = json.dumps(value, default=str)
    return {"data": value.encode("utf-8")}


@schemathesis.deserializer("application/json-home")
def json_home(ctx, response):
    return json.loads(response.content)
