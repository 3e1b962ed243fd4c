#!/usr/bin/env python3
"""Validate the Orrery chart's rendered manifests against Kubernetes' own resource schemas
(PyPI kubernetes-validate, strict: unknown fields are errors).

helm-sdkpy cannot render a chart without installing it, so the chart is installed (Helm's
own library, values merged as lint.py does) into a stand-in API server on 127.0.0.1 that
answers discovery and accepts every object; the objects Helm sends are the rendered
manifests. Kinds without a bundled schema (the Prometheus operator's ServiceMonitor and
PrometheusRule) are reported as skipped.

usage: validate.py CHART [VALUES.yaml ...] [--set-json JSON]
       validate.py --files MANIFEST.yaml ...
Prints one line per object; exits 0 when every object with a schema is valid, else 1.
"""
import asyncio
import json
import os
import shutil
import sys
import tempfile
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import yaml

KUBERNETES_VERSION = "1.33.0"

# Discovery: what the stand-in server says it serves (group/version -> (kind, plural, namespaced)).
RESOURCES = {
    "v1": [("Pod", "pods", True), ("Service", "services", True), ("ConfigMap", "configmaps", True),
           ("Secret", "secrets", True), ("ServiceAccount", "serviceaccounts", True),
           ("Namespace", "namespaces", False), ("PersistentVolumeClaim", "persistentvolumeclaims", True)],
    "apps/v1": [("Deployment", "deployments", True), ("StatefulSet", "statefulsets", True), ("DaemonSet", "daemonsets", True)],
    "autoscaling/v2": [("HorizontalPodAutoscaler", "horizontalpodautoscalers", True)],
    "policy/v1": [("PodDisruptionBudget", "poddisruptionbudgets", True)],
    "networking.k8s.io/v1": [("Ingress", "ingresses", True), ("NetworkPolicy", "networkpolicies", True)],
    "batch/v1": [("Job", "jobs", True)],
    "rbac.authorization.k8s.io/v1": [("Role", "roles", True), ("RoleBinding", "rolebindings", True)],
    "monitoring.coreos.com/v1": [("ServiceMonitor", "servicemonitors", True), ("PrometheusRule", "prometheusrules", True)],
}


def resource_list(group_version):
    return {
        "kind": "APIResourceList", "apiVersion": "v1", "groupVersion": group_version,
        "resources": [{"name": plural, "singularName": kind.lower(), "namespaced": ns, "kind": kind,
                       "verbs": ["create", "delete", "get", "list", "patch", "update", "watch"]}
                      for kind, plural, ns in RESOURCES[group_version]],
    }


def group_list():
    groups = {}
    for gv in RESOURCES:
        if "/" in gv:
            group, version = gv.split("/")
            groups.setdefault(group, []).append({"groupVersion": gv, "version": version})
    return {"kind": "APIGroupList", "apiVersion": "v1",
            "groups": [{"name": g, "versions": v, "preferredVersion": v[0]} for g, v in groups.items()]}


class StandIn(BaseHTTPRequestHandler):
    """Answers discovery, says nothing exists yet, accepts every object and keeps it."""
    created = []

    def log_message(self, *args):
        pass

    def reply(self, code, body):
        data = json.dumps(body).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def not_found(self):
        self.reply(404, {"kind": "Status", "apiVersion": "v1", "status": "Failure", "reason": "NotFound", "code": 404,
                         "message": "not found"})

    def do_GET(self):
        path = self.path.split("?")[0].rstrip("/")
        if path == "/version":
            major, minor, _ = KUBERNETES_VERSION.split(".")
            return self.reply(200, {"major": major, "minor": minor, "gitVersion": "v" + KUBERNETES_VERSION, "platform": "linux/amd64"})
        if path == "/api":
            return self.reply(200, {"kind": "APIVersions", "versions": ["v1"],
                                    "serverAddressByClientCIDRs": [{"clientCIDR": "0.0.0.0/0", "serverAddress": "127.0.0.1"}]})
        if path == "/apis":
            return self.reply(200, group_list())
        if path == "/api/v1":
            return self.reply(200, resource_list("v1"))
        parts = path.split("/")
        if len(parts) == 4 and parts[1] == "apis" and f"{parts[2]}/{parts[3]}" in RESOURCES:
            return self.reply(200, resource_list(f"{parts[2]}/{parts[3]}"))
        last = parts[-1]
        for gv, kinds in RESOURCES.items():
            for kind, plural, _ in kinds:
                if last == plural:  # a list: empty
                    return self.reply(200, {"kind": kind + "List", "apiVersion": gv, "metadata": {"resourceVersion": "1"}, "items": []})
        self.not_found()

    def body(self):
        return json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))) or b"{}")

    def echoed_protobuf(self, code):
        """Helm's own release record comes from a typed client in protobuf: echo it (it is
        not a chart manifest). False for anything else."""
        if "protobuf" not in (self.headers.get("Content-Type") or ""):
            return False
        data = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        self.send_response(code)
        self.send_header("Content-Type", self.headers.get("Content-Type"))
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)
        return True

    def do_POST(self):
        if self.echoed_protobuf(201):
            return
        obj = self.body()
        meta = obj.setdefault("metadata", {})
        meta.setdefault("namespace", "default")
        meta.update({"uid": f"00000000-0000-0000-0000-{len(self.created):012d}", "resourceVersion": "1",
                     "creationTimestamp": "2026-01-01T00:00:00Z"})
        StandIn.created.append(obj)
        self.reply(201, obj)

    def do_PUT(self):
        if not self.echoed_protobuf(200):
            self.reply(200, self.body())

    do_PATCH = do_PUT

    def do_DELETE(self):
        self.reply(200, {"kind": "Status", "apiVersion": "v1", "status": "Success"})


def render(chart, overlays):
    """The objects Helm creates when installing `chart` with the merged values."""
    from helm_sdkpy.actions import Configuration, Install
    from lint import merge

    server = ThreadingHTTPServer(("127.0.0.1", 0), StandIn)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    kubeconfig = yaml.safe_dump({
        "apiVersion": "v1", "kind": "Config", "current-context": "stand-in",
        "clusters": [{"name": "stand-in", "cluster": {"server": f"http://127.0.0.1:{server.server_port}"}}],
        "contexts": [{"name": "stand-in", "context": {"cluster": "stand-in", "user": "stand-in", "namespace": "default"}}],
        "users": [{"name": "stand-in", "user": {"token": "stand-in"}}],
    })
    values = yaml.safe_load((Path(chart) / "values.yaml").read_text()) or {}
    for o in overlays:
        values = merge(values, o)
    with tempfile.TemporaryDirectory(prefix="orrery-validate-") as tmp:
        copy = Path(tmp) / Path(chart).name
        shutil.copytree(chart, copy)
        (copy / "values.yaml").write_text(yaml.safe_dump(values, sort_keys=False))
        # Helm builds hooks (the migration Job) with OpenAPI validation against the server,
        # which the stand-in cannot serve: render them as ordinary objects, their
        # annotations renamed, so they are installed and validated like the rest.
        for template in (copy / "templates").rglob("*.yaml"):
            template.write_text(template.read_text().replace("helm.sh/hook", "validate.orrery/hook"))
        kc = Path(tmp) / "kubeconfig"
        kc.write_text(kubeconfig)
        os.environ["HELM_DRIVER"] = "memory"
        config = Configuration(namespace="default", kubeconfig=str(kc))
        asyncio.run(Install(config).run("orrery", str(copy), wait=False, timeout=60))
    server.shutdown()
    return [o for o in StandIn.created if o.get("kind")]


def validate(objects):
    """Validate each object; returns the number of invalid ones."""
    import kubernetes_validate
    from kubernetes_validate.utils import SchemaNotFoundError, ValidationError

    bad = 0
    for obj in objects:
        name = f"{obj.get('kind')}/{(obj.get('metadata') or {}).get('name')}"
        # What the server added is not part of the manifest.
        obj = json.loads(json.dumps(obj))
        for key in ("uid", "resourceVersion", "creationTimestamp"):
            (obj.get("metadata") or {}).pop(key, None)
        try:
            kubernetes_validate.validate(obj, KUBERNETES_VERSION, strict=True)
            print(f"  ok    {name}")
        except SchemaNotFoundError:
            print(f"  skip  {name} (no schema for {obj.get('apiVersion')} {obj.get('kind')})")
        except ValidationError as e:
            bad += 1
            inner = e.__context__  # jsonschema's error: where and what
            where = ".".join(str(p) for p in getattr(inner, "absolute_path", [])) or "(top)"
            print(f"  ERROR {name}: {where}: {getattr(inner, 'message', str(e).splitlines()[0])}")
    return bad


def main(argv):
    if argv and argv[0] == "--files":
        objects = [d for f in argv[1:] for d in yaml.safe_load_all(Path(f).read_text()) if d]
    else:
        chart, overlays, rest = argv[0], [], argv[1:]
        while rest:
            arg = rest.pop(0)
            overlays.append(json.loads(rest.pop(0)) if arg == "--set-json" else yaml.safe_load(Path(arg).read_text()) or {})
        objects = render(chart, overlays)
    if not objects:
        print("  ERROR: no manifests rendered")
        return 1
    bad = validate(objects)
    print(f"  manifests: {len(objects)}, invalid: {bad}")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).parent))
    sys.exit(main(sys.argv[1:]))
