"""Reads Prometheus text exposition from stdin with the reference parser
(prometheus_client, PyPI) and prints what it understood as JSON: the type of each
family and every sample. A malformed exposition raises, and the test fails."""
import json
import sys

from prometheus_client.parser import text_string_to_metric_families

families = {}
samples = []
for family in text_string_to_metric_families(sys.stdin.read()):
    families[family.name] = family.type
    for s in family.samples:
        samples.append({"name": s.name, "labels": s.labels, "value": s.value})
print(json.dumps({"families": families, "samples": samples}))
