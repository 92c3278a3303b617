"""GET /metrics read the way Prometheus reads it: the official Python client's OpenMetrics
parser (strict: TYPE before samples, counters end in _total, # EOF last) must accept the whole
exposition, and what the daemon did must show in it."""

import sys
import urllib.request

from prometheus_client.openmetrics.parser import text_string_to_metric_families

url, token = sys.argv[1], sys.argv[2]


def get(path, auth=True):
    req = urllib.request.Request(url + path)
    if auth:
        req.add_header("Authorization", "Bearer " + token)
    try:
        with urllib.request.urlopen(req) as r:
            return r.status, r.headers.get("content-type", ""), r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.headers.get("content-type", ""), e.read().decode()


for _ in range(3):
    assert get("/api/v1/apps")[0] == 200
assert get("/api/v1/apps/0190a3c4-0000-7000-8000-000000000000")[0] == 404
status, _, _ = get("/metrics", auth=False)
assert status == 401, status
status, ctype, text = get("/metrics")
assert status == 200, status
assert ctype.startswith("application/openmetrics-text"), ctype
families = {f.name: f for f in text_string_to_metric_families(text)}
for name, kind in [
    ("refine_operation_duration_seconds", "histogram"),
    ("refine_operation_errors", "counter"),
    ("refine_sse_connections", "gauge"),
    ("refine_event_bus_subscribers", "gauge"),
    ("refine_database_bytes", "gauge"),
    ("refine_process_resident_memory_bytes", "gauge"),
    ("refine_runner_waiting_goals", "gauge"),
]:
    assert name in families, f"{name} missing: {sorted(families)}"
    assert families[name].type == kind, (name, families[name].type)
count = [
    s.value
    for s in families["refine_operation_duration_seconds"].samples
    if s.name.endswith("_count") and s.labels.get("operation") == "apps.list"
]
assert count == [3.0], count
errors = [
    (s.labels, s.value)
    for s in families["refine_operation_errors"].samples
    if s.labels.get("operation") == "apps.get"
]
assert errors == [({"operation": "apps.get", "code": "not_found"}, 1.0)], errors
daemon = [s for s in families["refine_process_resident_memory_bytes"].samples if s.labels["kind"] == "daemon"]
assert len(daemon) == 1 and daemon[0].value > 1e6, daemon
print(f"metrics: {len(families)} families parsed by prometheus_client's OpenMetrics parser")
