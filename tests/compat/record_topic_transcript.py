"""Sends the topic requests of tests/fixtures/zaqar_topics_transcript.json
to a Zaqar v2 server and prints what it answered, in that file's format.

    python3 record_topic_transcript.py http://127.0.0.1:8888 > transcript.json

Run it against a real Zaqar (zaqar-peer) to record the transcript, and
against tidings to compare by hand; tests/api/topics.rs replays the
recorded answers that do not depend on a topic storage driver. Standard
library only.
"""
import json
import sys
import urllib.error
import urllib.request

CLIENT_ID = "3381af922b9e11e3b19171861300734c"
PROJECT = "topic-transcript"
PATCH = "application/openstack-messaging-v2.0-json-patch"

# (method, path, request body or None, content type, headers to drop)
STEPS = [
    ("PUT", "/v2/topics/t1", None, None, ()),
    ("PUT", "/v2/topics/t1", None, None, ()),
    ("PUT", "/v2/topics/bad%20name", None, None, ()),
    ("PUT", "/v2/topics/" + "x" * 65, None, None, ()),
    ("PUT", "/v2/topics/t1", None, None, ("Client-ID",)),
    ("GET", "/v2/topics?limit=0", None, None, ()),
    ("GET", "/v2/topics", None, None, ()),
    ("GET", "/v2/topics/t1", None, None, ()),
    ("GET", "/v2/topics/t1/stats", None, None, ()),
    ("PATCH", "/v2/topics/t1", [{"op": "add", "path": "/metadata/a", "value": 1}], PATCH, ()),
    ("PATCH", "/v2/topics/t1", [{"op": "add", "path": "/metadata/a", "value": 1}], "application/json", ()),
    ("POST", "/v2/topics/t1/purge", {}, "application/json", ()),
    ("POST", "/v2/topics/t1/purge", {"resource_types": ["bogus"]}, "application/json", ()),
    ("POST", "/v2/topics/t1/messages", {"messages": [{"body": {"k": 1}}]}, "application/json", ()),
    ("GET", "/v2/topics/t1/messages", None, None, ()),
    ("POST", "/v2/topics/t1/subscriptions", {"subscriber": "http://127.0.0.1:9/x", "ttl": 3600}, "application/json", ()),
    ("GET", "/v2/topics/t1/subscriptions", None, None, ()),
    ("POST", "/v2/topics/t1/claims", {"ttl": 60}, "application/json", ()),
    ("DELETE", "/v2/topics/t1", None, None, ()),
]


def send(base, method, path, body, content_type, drop):
    headers = {"Client-ID": CLIENT_ID, "X-Project-ID": PROJECT}
    for name in drop:
        headers.pop(name, None)
    data = None
    if body is not None:
        data = json.dumps(body).encode()
        headers["Content-Type"] = content_type
    req = urllib.request.Request(base + path, data=data, headers=headers, method=method)
    try:
        with urllib.request.urlopen(req) as resp:
            status, raw, location = resp.status, resp.read(), resp.headers.get("Location")
    except urllib.error.HTTPError as err:
        status, raw, location = err.code, err.read(), err.headers.get("Location")
    try:
        answer = json.loads(raw) if raw else None
    except ValueError:
        answer = raw.decode(errors="replace")
    step = {"method": method, "path": path, "status": status}
    if body is not None:
        step["request"] = body
        step["content_type"] = content_type
    if drop:
        step["drop_headers"] = list(drop)
    if location:
        step["location"] = location
    if answer is not None:
        step["body"] = answer
    return step


def main(base):
    steps = [send(base.rstrip("/"), *s) for s in STEPS]
    json.dump({"recorded_against": base, "project": PROJECT, "steps": steps}, sys.stdout, indent=2)
    print()


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: record_topic_transcript.py BASE_URL")
    main(sys.argv[1])
