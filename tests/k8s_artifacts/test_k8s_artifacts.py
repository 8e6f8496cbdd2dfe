"""Checks of the installable Kubernetes artefacts: CRDs, manifests/, the Helm chart, Dockerfiles.

Run from this folder:  /usr/bin/python3 -m unittest -v test_k8s_artifacts
(CTest: k8s.artifacts, label unit). Needs PyYAML; `kubectl kustomize` is used when kubectl is
installed, and that test is skipped otherwise.
"""

import copy
import glob
import json
import os
import re
import shutil
import subprocess
import unittest

import yaml

import helm_render
import json_schema
import structural_schema as ss

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
CHART = os.path.join(ROOT, "charts", "tern")
MANIFESTS = os.path.join(ROOT, "manifests")
CRD_FILES = ("tern.dev_clusters.yaml", "tern.dev_topics.yaml")


def _load(path):
    with open(path, encoding="utf-8") as f:
        return yaml.safe_load(f)


def _load_all(path):
    with open(path, encoding="utf-8") as f:
        return [d for d in yaml.safe_load_all(f) if d is not None]


def _read(path):
    with open(path, "rb") as f:
        return f.read()


def _crd_schema(kind):
    for name in CRD_FILES:
        crd = _load(os.path.join(CHART, "crds", name))
        if crd["spec"]["names"]["kind"] == kind:
            return crd["spec"]["versions"][0]["schema"]["openAPIV3Schema"]
    raise KeyError(kind)


def _check(obj):
    """Errors of a Cluster or Topic after the API server's defaulting."""
    schema = _crd_schema(obj["kind"])
    return ss.validate(ss.apply_defaults(obj, schema), schema)


def _cluster(**spec):
    return {"apiVersion": "tern.dev/v1alpha1", "kind": "Cluster",
            "metadata": {"name": "c", "namespace": "default"}, "spec": spec}


def _topic(**spec):
    return {"apiVersion": "tern.dev/v1alpha1", "kind": "Topic",
            "metadata": {"name": "t", "namespace": "default"}, "spec": spec}


class YamlParses(unittest.TestCase):
    def test_every_yaml_file_parses(self):
        files = []
        for top in ("charts", "manifests", "metrics"):
            for ext in ("yaml", "yml"):
                files += glob.glob(os.path.join(ROOT, top, "**", f"*.{ext}"), recursive=True)
        files = [f for f in files if f"{os.sep}templates{os.sep}" not in f]
        self.assertGreater(len(files), 10)
        for path in files:
            with self.subTest(path=os.path.relpath(path, ROOT)):
                docs = _load_all(path)
                self.assertTrue(docs, "no document")

    def test_every_json_file_parses(self):
        files = glob.glob(os.path.join(ROOT, "charts", "**", "*.json"), recursive=True)
        files += glob.glob(os.path.join(ROOT, "metrics", "**", "*.json"), recursive=True)
        for path in files:
            with self.subTest(path=os.path.relpath(path, ROOT)):
                with open(path, encoding="utf-8") as f:
                    json.load(f)


class CrdCopies(unittest.TestCase):
    def test_manifests_copies_are_byte_identical(self):
        self.assertEqual(sorted(os.listdir(os.path.join(CHART, "crds"))), sorted(CRD_FILES))
        self.assertEqual(sorted(os.listdir(os.path.join(MANIFESTS, "crds"))), sorted(CRD_FILES))
        for name in CRD_FILES:
            with self.subTest(crd=name):
                self.assertEqual(
                    _read(os.path.join(CHART, "crds", name)),
                    _read(os.path.join(MANIFESTS, "crds", name)),
                    f"manifests/crds/{name} drifted from charts/tern/crds/{name} (the source): "
                    f"cp charts/tern/crds/{name} manifests/crds/")


class CrdShape(unittest.TestCase):
    def crds(self):
        return {name: _load(os.path.join(CHART, "crds", name)) for name in CRD_FILES}

    def test_names_group_version_scope(self):
        expected = {"tern.dev_clusters.yaml": ("Cluster", "clusters", {"terncluster", "tc"}),
                    "tern.dev_topics.yaml": ("Topic", "topics", {"terntopic", "tt"})}
        for name, crd in self.crds().items():
            kind, plural, short = expected[name]
            with self.subTest(crd=name):
                self.assertEqual(crd["apiVersion"], "apiextensions.k8s.io/v1")
                self.assertEqual(crd["metadata"]["name"], f"{plural}.tern.dev")
                spec = crd["spec"]
                self.assertEqual(spec["group"], "tern.dev")
                self.assertEqual(spec["scope"], "Namespaced")
                self.assertEqual(spec["names"]["kind"], kind)
                self.assertEqual(spec["names"]["plural"], plural)
                self.assertEqual(set(spec["names"]["shortNames"]), short)
                self.assertEqual(spec["names"]["categories"], ["tern"])
                self.assertEqual([v["name"] for v in spec["versions"]], ["v1alpha1"])
                version = spec["versions"][0]
                self.assertTrue(version["served"] and version["storage"])
                self.assertEqual(version["subresources"]["status"], {})

    def test_schemas_are_structural_without_cel(self):
        for name, crd in self.crds().items():
            with self.subTest(crd=name):
                schema = crd["spec"]["versions"][0]["schema"]["openAPIV3Schema"]
                self.assertEqual(ss.structural_problems(schema), [])
                self.assertNotIn("x-kubernetes-validations", json.dumps(crd))

    def test_printer_columns_and_scale_paths_exist_in_the_schema(self):
        for name, crd in self.crds().items():
            version = crd["spec"]["versions"][0]
            schema = version["schema"]["openAPIV3Schema"]
            columns = [c["name"] for c in version["additionalPrinterColumns"]]
            self.assertIn("Ready", columns)
            self.assertEqual(columns[-1], "Age")
            for column in version["additionalPrinterColumns"]:
                with self.subTest(crd=name, column=column["name"]):
                    if column["jsonPath"] == ".metadata.creationTimestamp":
                        continue
                    node = ss.schema_at(schema, column["jsonPath"])
                    self.assertIsNotNone(node, column["jsonPath"])
                    self.assertEqual(node["type"], column["type"])
            scale = version["subresources"].get("scale")
            if scale:
                for key in ("specReplicasPath", "statusReplicasPath", "labelSelectorPath"):
                    self.assertIsNotNone(ss.schema_at(schema, scale[key]), scale[key])
        cluster = self.crds()["tern.dev_clusters.yaml"]["spec"]["versions"][0]
        self.assertEqual(cluster["subresources"]["scale"],
                         {"specReplicasPath": ".spec.replicas",
                          "statusReplicasPath": ".status.replicas",
                          "labelSelectorPath": ".status.selector"})
        self.assertEqual([c["name"] for c in cluster["additionalPrinterColumns"]],
                         ["Ready", "Replicas", "ReadyReplicas", "Bootstrap", "Age"])
        topic = self.crds()["tern.dev_topics.yaml"]["spec"]["versions"][0]
        self.assertEqual([c["name"] for c in topic["additionalPrinterColumns"]],
                         ["Ready", "Cluster", "Partitions", "Replication", "Age"])


class CrdDefaults(unittest.TestCase):
    def test_an_empty_cluster_gets_every_default(self):
        schema = _crd_schema("Cluster")
        obj = ss.apply_defaults({"apiVersion": "tern.dev/v1alpha1", "kind": "Cluster",
                                 "metadata": {"name": "c"}}, schema)
        self.assertEqual(ss.validate(obj, schema), [])
        self.assertEqual(obj["spec"], {
            "replicas": 3,
            "imagePullPolicy": "IfNotPresent",
            "storage": {"size": "10Gi"},
            "listeners": {"internal": {"port": 9092}},
            "adminPort": 9644,
            "metadataStore": {"type": "managed",
                              "managed": {"replicas": 3, "storage": {"size": "1Gi"}}},
            "metrics": {"serviceMonitor": {"enabled": False, "interval": "30s"}},
        })

    def test_given_values_are_kept_and_nested_defaults_still_apply(self):
        schema = _crd_schema("Cluster")
        obj = ss.apply_defaults(_cluster(replicas=5, storage={"storageClassName": "fast"},
                                         listeners={"external": {"type": "NodePort"}}), schema)
        self.assertEqual(obj["spec"]["replicas"], 5)
        self.assertEqual(obj["spec"]["storage"], {"storageClassName": "fast", "size": "10Gi"})
        self.assertEqual(obj["spec"]["listeners"],
                         {"external": {"type": "NodePort", "port": 9094},
                          "internal": {"port": 9092}})

    def test_a_topic_gets_partitions_and_replication_factor(self):
        schema = _crd_schema("Topic")
        obj = ss.apply_defaults(_topic(clusterRef={"name": "tern"}), schema)
        self.assertEqual(obj["spec"], {"clusterRef": {"name": "tern"}, "partitions": 1,
                                       "replicationFactor": 3})
        self.assertEqual(ss.validate(obj, schema), [])


class Samples(unittest.TestCase):
    def samples(self):
        out = []
        for path in sorted(glob.glob(os.path.join(MANIFESTS, "samples", "*.yaml"))):
            out += [(os.path.basename(path), d) for d in _load_all(path)]
        return out

    def test_each_sample_validates_against_its_crd(self):
        samples = self.samples()
        self.assertEqual(sorted(d["kind"] for _, d in samples), ["Cluster", "Topic"])
        for name, doc in samples:
            with self.subTest(sample=name):
                self.assertEqual(doc["apiVersion"], "tern.dev/v1alpha1")
                self.assertEqual(_check(doc), [])

    def test_the_samples_are_the_readme_s_cluster_and_topic(self):
        docs = {d["kind"]: d for _, d in self.samples()}
        cluster, topic = docs["Cluster"], docs["Topic"]
        self.assertEqual(cluster["spec"]["replicas"], 3)
        self.assertEqual(topic["metadata"]["name"], "quickstart-events")
        self.assertEqual(topic["spec"]["partitions"], 3)
        self.assertEqual(topic["spec"]["replicationFactor"], 3)
        self.assertEqual(topic["spec"]["clusterRef"]["name"], cluster["metadata"]["name"])
        self.assertEqual(topic["metadata"]["namespace"], cluster["metadata"]["namespace"])


class InvalidResourcesAreRejected(unittest.TestCase):
    """The validator above is only worth something if it says no: each variant must fail."""

    def assertRejected(self, obj, fragment):
        errors = _check(obj)
        self.assertTrue(any(fragment in e for e in errors), f"{fragment!r} not in {errors}")

    def test_cluster_variants(self):
        self.assertRejected(_cluster(replicas=-1), "spec.replicas: -1 is less than the minimum")
        self.assertRejected(_cluster(replicas=0), "spec.replicas: 0 is less than the minimum")
        self.assertRejected(_cluster(replicas="3"), "spec.replicas: must be of type integer")
        self.assertRejected(_cluster(imagePullPolicy="Sometimes"), "spec.imagePullPolicy")
        self.assertRejected(_cluster(storage={"size": "ten gigs"}), "spec.storage.size")
        self.assertRejected(_cluster(config={"log.retention.ms": 1000}),
                            "spec.config.log.retention.ms: must be of type string")
        self.assertRejected(_cluster(listeners={"external": {}}),
                            "spec.listeners.external: type is required")
        self.assertRejected(_cluster(listeners={"external": {"type": "Ingress"}}),
                            "spec.listeners.external.type")
        self.assertRejected(_cluster(listeners={"internal": {"port": 70000}}),
                            "spec.listeners.internal.port: 70000 is greater than the maximum")
        self.assertRejected(_cluster(metadataStore={"type": "zookeeper"}),
                            "spec.metadataStore.type")
        self.assertRejected(_cluster(metadataStore={"type": "external", "external": {}}),
                            "spec.metadataStore.external: endpoints is required")
        self.assertRejected(
            _cluster(metadataStore={"type": "external", "external": {"endpoints": []}}),
            "fewer than 1 items")
        self.assertRejected(_cluster(resources={"limits": {"memory": "lots"}}),
                            "spec.resources.limits.memory")
        self.assertRejected(_cluster(rack={}), "spec.rack: topologyKey is required")
        self.assertRejected(_cluster(replica=3), "spec.replica: unknown field")
        self.assertRejected(_cluster(metrics={"serviceMonitor": {"enabled": "yes"}}),
                            "spec.metrics.serviceMonitor.enabled: must be of type boolean")

    def test_cluster_free_form_fields_stay_free(self):
        ok = _cluster(podTemplate={
            "affinity": {"nodeAffinity": {"anything": [{"goes": True}]}},
            "tolerations": [{"key": "k", "operator": "Exists", "effect": "NoSchedule"}],
            "nodeSelector": {"disk": "ssd"}},
            resources={"requests": {"cpu": 2, "memory": "4Gi"}},
            metadataStore={"type": "external",
                           "external": {"endpoints": ["etcd-0.etcd:2379",
                                                      "https://10.0.0.1:2379"]}})
        self.assertEqual(_check(ok), [])

    def test_topic_variants(self):
        self.assertRejected(_topic(partitions=3), "spec: clusterRef is required")
        self.assertRejected({"apiVersion": "tern.dev/v1alpha1", "kind": "Topic",
                             "metadata": {"name": "t"}}, "spec is required")
        self.assertRejected(_topic(clusterRef={}), "spec.clusterRef: name is required")
        self.assertRejected(_topic(clusterRef={"name": "Not_A_Name"}), "spec.clusterRef.name")
        self.assertRejected(_topic(clusterRef={"name": "tern"}, topicName="bad name!"),
                            "spec.topicName")
        self.assertRejected(_topic(clusterRef={"name": "tern"}, topicName="x" * 250),
                            "spec.topicName: longer than 249")
        self.assertRejected(_topic(clusterRef={"name": "tern"}, partitions=0),
                            "spec.partitions: 0 is less than the minimum")
        self.assertRejected(_topic(clusterRef={"name": "tern"}, replicationFactor=40000),
                            "spec.replicationFactor: 40000 is greater than the maximum")
        self.assertRejected(_topic(clusterRef={"name": "tern"}, config={"retention.ms": 5}),
                            "spec.config.retention.ms: must be of type string")

    def test_topic_names_kafka_allows_are_accepted(self):
        for name in ("quickstart-events", "a.b_c-D9", "x" * 249):
            self.assertEqual(_check(_topic(clusterRef={"name": "tern"}, topicName=name)), [])

    def test_status_conditions_are_checked(self):
        cond = {"type": "Ready", "status": "True", "reason": "AllBrokersReady", "message": "",
                "lastTransitionTime": "2026-01-01T00:00:00Z", "observedGeneration": 1}
        good = _cluster()
        good["status"] = {"conditions": [cond], "observedGeneration": 1, "replicas": 3,
                          "readyReplicas": 3, "selector": "app.kubernetes.io/instance=c",
                          "bootstrapServers": "c-bootstrap.default.svc:9092",
                          "brokers": [{"id": 0, "host": "c-0.c-brokers.default.svc",
                                       "ready": True}]}
        self.assertEqual(_check(good), [])
        bad = copy.deepcopy(good)
        bad["status"]["conditions"][0]["status"] = "Yes"
        self.assertRejected(bad, "status.conditions[0].status")
        bad = copy.deepcopy(good)
        bad["status"]["conditions"][0]["lastTransitionTime"] = "yesterday"
        self.assertRejected(bad, "RFC 3339")
        bad = copy.deepcopy(good)
        bad["status"]["conditions"].append(dict(cond))
        self.assertRejected(bad, "duplicate entry")
        bad = copy.deepcopy(good)
        del bad["status"]["conditions"][0]["reason"]
        self.assertRejected(bad, "reason is required")


class Manifests(unittest.TestCase):
    def test_kustomize_builds_everything_into_tern_system(self):
        kubectl = shutil.which("kubectl")
        if not kubectl:
            self.skipTest("kubectl is not installed")
        out = subprocess.run([kubectl, "kustomize", MANIFESTS], capture_output=True, text=True,
                             timeout=120)
        self.assertEqual(out.returncode, 0, out.stderr)
        docs = [d for d in yaml.safe_load_all(out.stdout) if d]
        kinds = sorted(d["kind"] for d in docs)
        self.assertEqual(kinds, sorted([
            "Namespace", "CustomResourceDefinition", "CustomResourceDefinition",
            "ServiceAccount", "ClusterRole", "ClusterRoleBinding", "Role", "RoleBinding",
            "Deployment", "Service"]))
        cluster_scoped = {"Namespace", "CustomResourceDefinition", "ClusterRole",
                          "ClusterRoleBinding"}
        for d in docs:
            if d["kind"] not in cluster_scoped:
                self.assertEqual(d["metadata"].get("namespace"), "tern-system", d["kind"])
        crds = {d["metadata"]["name"]: d for d in docs if d["kind"] == "CustomResourceDefinition"}
        for name in CRD_FILES:
            source = _load(os.path.join(CHART, "crds", name))
            self.assertEqual(crds[source["metadata"]["name"]], source)

    def test_kustomization_lists_every_manifest(self):
        k = _load(os.path.join(MANIFESTS, "kustomization.yaml"))
        self.assertEqual(k["namespace"], "tern-system")
        for res in k["resources"]:
            self.assertTrue(os.path.isfile(os.path.join(MANIFESTS, res)), res)
        self.assertEqual(sorted(r for r in k["resources"] if r.startswith("crds/")),
                         sorted(f"crds/{n}" for n in CRD_FILES))

    def test_operator_deployment(self):
        docs = {d["kind"]: d for d in _load_all(os.path.join(MANIFESTS, "operator.yaml"))}
        dep = docs["Deployment"]
        self.assertEqual(dep["spec"]["replicas"], 2)
        pod = dep["spec"]["template"]["spec"]
        self.assertEqual(pod["serviceAccountName"], "tern-operator")
        self.assertTrue(pod["securityContext"]["runAsNonRoot"])
        c = pod["containers"][0]
        self.assertEqual(c["image"], "ghcr.io/tern-dev/tern-operator:0.1.0")
        self.assertIn("--metrics-addr=0.0.0.0:8080", c["args"])
        self.assertIn("--leader-elect", c["args"])
        self.assertEqual(c["livenessProbe"]["httpGet"]["path"], "/healthz")
        self.assertEqual(c["readinessProbe"]["httpGet"]["path"], "/readyz")
        self.assertTrue(c["securityContext"]["readOnlyRootFilesystem"])
        self.assertEqual(c["resources"], {"requests": {"cpu": "50m", "memory": "64Mi"},
                                          "limits": {"memory": "256Mi"}})
        env = {e["name"]: e["valueFrom"]["fieldRef"]["fieldPath"] for e in c["env"]}
        self.assertEqual(env, {"POD_NAME": "metadata.name", "POD_NAMESPACE": "metadata.namespace"})
        # metrics/monitors/servicemonitor.yaml finds the operator by these labels and port name.
        svc = docs["Service"]
        self.assertEqual(svc["metadata"]["labels"]["app.kubernetes.io/component"], "operator")
        self.assertEqual(svc["spec"]["ports"][0]["name"], "metrics")


def _rules_key(rules):
    return sorted((tuple(sorted(r["apiGroups"])), tuple(sorted(r["resources"])),
                   tuple(sorted(r["verbs"]))) for r in rules)


class Chart(unittest.TestCase):
    def values(self):
        return _load(os.path.join(CHART, "values.yaml"))

    def schema(self):
        with open(os.path.join(CHART, "values.schema.json"), encoding="utf-8") as f:
            return json.load(f)

    def render(self, values=None):
        return helm_render.Renderer(CHART, values).render_all()

    def test_chart_yaml(self):
        chart = _load(os.path.join(CHART, "Chart.yaml"))
        self.assertEqual(chart["apiVersion"], "v2")
        self.assertEqual(chart["name"], "tern")
        self.assertEqual(chart["version"], "0.1.0")
        self.assertEqual(chart["appVersion"], "0.1.0")
        self.assertEqual(chart["kubeVersion"], ">=1.24.0-0")
        for key in ("description", "home", "sources", "maintainers", "keywords"):
            self.assertTrue(chart.get(key), key)

    def test_values_validate_against_the_schema(self):
        schema = self.schema()
        self.assertEqual(schema["$schema"], "http://json-schema.org/draft-07/schema#")
        self.assertEqual(json_schema.unknown_keywords(schema), [])
        self.assertEqual(json_schema.validate(self.values(), schema), [])

    def test_the_schema_covers_every_value(self):
        # Every key of values.yaml is declared, so additionalProperties: false rejects typos.
        def walk(values, schema, path):
            for k, v in values.items():
                props = schema.get("properties")
                if props is None:
                    continue  # a free-form map (labels, resources, cluster.spec)
                self.assertIn(k, props, f"{path}{k} is not in values.schema.json")
                if isinstance(v, dict):
                    walk(v, props[k], f"{path}{k}.")
        walk(self.values(), self.schema(), "")

    def test_the_schema_rejects_bad_values(self):
        schema = self.schema()
        for change, fragment in [
            ({"replicaCount": 0}, "replicaCount"),
            ({"replicaCount": "2"}, "replicaCount"),
            ({"replicas": 2}, "replicas: not allowed"),
            ({"image": {"pullPolicy": "Sometimes"}}, "pullPolicy"),
            ({"metrics": {"port": 0}}, "metrics.port"),
            ({"metrics": {"serviceMonitor": {"interval": "soon"}}}, "interval"),
            ({"watchNamespace": "Bad_NS"}, "watchNamespace"),
            ({"test": {"messages": 0}}, "test.messages"),
            ({"test": {"bootstrapServers": "no port"}}, "bootstrapServers"),
            ({"cluster": {"name": "UPPER"}}, "cluster.name"),
            ({"dashboards": {"labels": {"grafana_dashboard": 1}}}, "grafana_dashboard"),
        ]:
            with self.subTest(change=change):
                values = helm_render._merge(self.values(), change)
                errors = json_schema.validate(values, schema)
                self.assertTrue(any(fragment in e for e in errors), f"{fragment}: {errors}")

    def test_templates_use_only_values_that_exist(self):
        values = self.values()
        refs = set()
        for path in glob.glob(os.path.join(CHART, "templates", "**", "*"), recursive=True):
            if os.path.isfile(path):
                with open(path, encoding="utf-8") as f:
                    refs |= set(re.findall(r"\.Values((?:\.[A-Za-z_][A-Za-z0-9_]*)+)", f.read()))
        self.assertGreater(len(refs), 20)
        for ref in sorted(refs):
            node = values
            for part in ref.strip(".").split("."):
                self.assertIsInstance(node, dict, f".Values{ref}")
                self.assertIn(part, node, f".Values{ref} is not in values.yaml")
                node = node[part]

    def test_templates_use_only_files_in_the_chart(self):
        for path in glob.glob(os.path.join(CHART, "templates", "**", "*"), recursive=True):
            if not os.path.isfile(path):
                continue
            with open(path, encoding="utf-8") as f:
                text = f.read()
            for pattern in re.findall(r'\.Files\.(?:Get|Glob) "([^"]+)"', text):
                self.assertTrue(glob.glob(os.path.join(CHART, pattern)), pattern)

    def test_default_render(self):
        docs = helm_render.documents(self.render())
        kinds = sorted(d["kind"] for _, d in docs)
        self.assertEqual(kinds, sorted(["Deployment", "ServiceAccount", "ClusterRole",
                                        "ClusterRoleBinding", "Role", "RoleBinding", "Service",
                                        "Pod"]))
        for rel, d in docs:
            labels = d["metadata"]["labels"]
            for key in ("app.kubernetes.io/name", "app.kubernetes.io/instance",
                        "app.kubernetes.io/version", "app.kubernetes.io/part-of",
                        "app.kubernetes.io/managed-by", "helm.sh/chart"):
                self.assertIn(key, labels, f"{rel} {d['kind']}")

    def test_render_matches_the_plain_manifests(self):
        """The chart with default values installs what manifests/ installs."""
        chart = {(d["kind"], d["metadata"]["name"]): d
                 for _, d in helm_render.documents(self.render())}
        plain = {}
        for name in ("rbac.yaml", "operator.yaml"):
            for d in _load_all(os.path.join(MANIFESTS, name)):
                plain[(d["kind"], d["metadata"]["name"])] = d
        self.assertEqual(_rules_key(chart[("ClusterRole", "tern-operator")]["rules"]),
                         _rules_key(plain[("ClusterRole", "tern-operator")]["rules"]))
        self.assertEqual(
            _rules_key(chart[("Role", "tern-operator-leader-election")]["rules"]),
            _rules_key(plain[("Role", "tern-operator-leader-election")]["rules"]))
        cdep = chart[("Deployment", "tern-operator")]["spec"]
        pdep = plain[("Deployment", "tern-operator")]["spec"]
        self.assertEqual(cdep["replicas"], pdep["replicas"])
        cc = cdep["template"]["spec"]["containers"][0]
        pc = pdep["template"]["spec"]["containers"][0]
        for key in ("image", "args", "env", "ports", "livenessProbe", "readinessProbe",
                    "resources", "securityContext", "volumeMounts"):
            self.assertEqual(cc[key], pc[key], key)
        self.assertEqual(cdep["template"]["spec"]["securityContext"],
                         pdep["template"]["spec"]["securityContext"])
        self.assertIn(("Service", "tern-operator-metrics"), chart)

    def test_watch_namespace_uses_a_role_there(self):
        docs = helm_render.documents(self.render({"watchNamespace": "apps"}))
        by = {(d["kind"], d["metadata"]["name"]): d for _, d in docs}
        role = by[("Role", "tern-operator")]
        self.assertEqual(role["metadata"]["namespace"], "apps")
        self.assertEqual(by[("RoleBinding", "tern-operator")]["metadata"]["namespace"], "apps")
        cluster_rules = by[("ClusterRole", "tern-operator-cluster")]["rules"]
        self.assertEqual({r for rule in cluster_rules for r in rule["resources"]},
                         {"nodes", "customresourcedefinitions"})
        plain = {(d["kind"], d["metadata"]["name"]): d
                 for d in _load_all(os.path.join(MANIFESTS, "rbac.yaml"))}
        self.assertEqual(_rules_key(role["rules"] + cluster_rules),
                         _rules_key(plain[("ClusterRole", "tern-operator")]["rules"]))
        pod = by[("Deployment", "tern-operator")]["spec"]["template"]["spec"]
        args = pod["containers"][0]["args"]
        self.assertIn("--namespace=apps", args)

    def test_optional_monitoring_and_cluster(self):
        rendered = self.render({
            "metrics": {"serviceMonitor": {"enabled": True, "labels": {"release": "prom"}},
                        "prometheusRule": {"enabled": True}},
            "dashboards": {"enabled": True},
            "cluster": {"create": True, "name": "events"}})
        by = {d["kind"]: d for _, d in helm_render.documents(rendered)}
        sm = by["ServiceMonitor"]
        self.assertEqual(sm["metadata"]["labels"]["release"], "prom")
        self.assertEqual(sm["spec"]["endpoints"][0]["port"], "metrics")
        self.assertEqual(sm["spec"]["endpoints"][0]["relabelings"],
                         [{"targetLabel": "job", "replacement": "tern-operator"}])
        rules = _load(os.path.join(ROOT, "metrics", "alerts", "tern-rules.yml"))
        self.assertEqual(by["PrometheusRule"]["spec"]["groups"], rules["groups"])
        cm = by["ConfigMap"]
        self.assertEqual(cm["metadata"]["labels"]["grafana_dashboard"], "1")
        sources = sorted(glob.glob(os.path.join(ROOT, "metrics", "dashboards", "*.json")))
        self.assertEqual(sorted(cm["data"]), [os.path.basename(p) for p in sources])
        for p in sources:
            self.assertEqual(cm["data"][os.path.basename(p)], _read(p).decode())
        cluster = by["Cluster"]
        self.assertEqual(cluster["spec"]["image"], "ghcr.io/tern-dev/tern:0.1.0")
        self.assertEqual(_check(cluster), [])
        env = {e["name"]: e["value"] for e in by["Pod"]["spec"]["containers"][0]["env"]}
        self.assertEqual(env["BOOTSTRAP"], "events-bootstrap.tern-system.svc:9092")

    def test_helm_test_pod(self):
        docs = helm_render.documents(self.render({"test": {"messages": 25}}))
        pod = next(d for rel, d in docs if rel.startswith("tests/"))
        self.assertEqual(pod["metadata"]["annotations"]["helm.sh/hook"], "test")
        self.assertEqual(pod["spec"]["restartPolicy"], "Never")
        c = pod["spec"]["containers"][0]
        self.assertEqual(c["image"], "ghcr.io/tern-dev/tern:0.1.0")
        env = {e["name"]: e["value"] for e in c["env"]}
        self.assertEqual(env, {"BOOTSTRAP": "tern-bootstrap.default.svc:9092", "MESSAGES": "25",
                               "REPLICATION_FACTOR": "0", "TIMEOUT_MS": "60000"})
        script = c["args"][0]
        for needle in ("tern topics", "--create", "tern console-producer",
                       "tern console-consumer", "--from-beginning", "--max-messages",
                       "cmp -s /tmp/sent /tmp/received", "exit 1"):
            self.assertIn(needle, script)
        # Kubernetes would expand $(...) in args.
        self.assertNotIn("$(", script)

    def test_serviceMonitor_needs_the_service(self):  # noqa: N802
        with self.assertRaises(helm_render.TemplateError):
            self.render({"metrics": {"service": {"enabled": False},
                                     "serviceMonitor": {"enabled": True}}})


class ChartCopies(unittest.TestCase):
    def test_dashboards_are_copies_of_metrics_dashboards(self):
        source = sorted(os.path.basename(p)
                        for p in glob.glob(os.path.join(ROOT, "metrics", "dashboards", "*.json")))
        copies = sorted(os.path.basename(p)
                        for p in glob.glob(os.path.join(CHART, "dashboards", "*.json")))
        self.assertEqual(copies, source)
        for name in source:
            with self.subTest(dashboard=name):
                self.assertEqual(_read(os.path.join(CHART, "dashboards", name)),
                                 _read(os.path.join(ROOT, "metrics", "dashboards", name)),
                                 f"cp metrics/dashboards/{name} charts/tern/dashboards/")

    def test_alert_rules_are_a_copy(self):
        self.assertEqual(_read(os.path.join(CHART, "alerts", "tern-rules.yml")),
                         _read(os.path.join(ROOT, "metrics", "alerts", "tern-rules.yml")),
                         "cp metrics/alerts/tern-rules.yml charts/tern/alerts/")


class TemplateRenderer(unittest.TestCase):
    """The small Go-template interpreter behaves as Go's on the constructs the chart uses."""

    def render(self, text, dot=None):
        tree, defines = helm_render.parse(text)
        r = helm_render.Renderer.__new__(helm_render.Renderer)
        r.root, r.defines = dot or {}, defines
        return r.render(tree)

    def test_trimming_and_blocks(self):
        self.assertEqual(self.render("a  {{- 1 -}}  b"), "a1b")
        self.assertEqual(self.render("{{ if .x }}y{{ else if .z }}z{{ else }}n{{ end }}",
                                     {"x": False, "z": True}), "z")
        self.assertEqual(self.render("{{ with .m }}{{ .k }}{{ end }}", {"m": {"k": "v"}}), "v")
        self.assertEqual(self.render("{{ range .l }}[{{ . }}]{{ end }}", {"l": [1.0, "a"]}),
                         "[1][a]")
        self.assertEqual(self.render('{{ define "d" }}<{{ . }}>{{ end }}{{ include "d" "x" }}'),
                         "<x>")
        self.assertEqual(self.render("{{/* c */}}{{- $v := 2 }}{{ $v }}"), "2")

    def test_functions(self):
        self.assertEqual(self.render('{{ "abc" | trunc 2 }}'), "ab")
        self.assertEqual(self.render('{{ default "d" .x }}', {"x": ""}), "d")
        self.assertEqual(self.render('{{ .x | quote }}', {"x": 10.0}), '"10"')
        self.assertEqual(self.render('{{ printf "%s-%v" "a" 3 }}'), "a-3")
        self.assertEqual(self.render("{{ 1000000.0 }}"), "1e+06")
        self.assertEqual(self.render('{{ toYaml .m | nindent 2 }}', {"m": {"b": 1.0, "a": [2.0]}}),
                         "\n  a:\n  - 2\n  b: 1")
        self.assertEqual(self.render('{{ dig "a" "b" 7 .m }}', {"m": {"a": {}}}), "7")
        with self.assertRaises(helm_render.TemplateError):
            self.render("{{ unknownFunction 1 }}")
        with self.assertRaises(helm_render.TemplateError):
            self.render("{{ if 1 }}")


def _packages(text):
    return set(re.findall(r"[a-z0-9][a-z0-9.+-]+", text))


class Dockerfiles(unittest.TestCase):
    def dockerfile(self, name):
        with open(os.path.join(ROOT, "docker", name), encoding="utf-8") as f:
            return f.read()

    def apt_lists(self, text):
        """The package lists of each `apt-get install` in a Dockerfile, in order."""
        out = []
        for m in re.finditer(r"apt-get install -y --no-install-recommends\s*\\\n(.*?)(?:&&|$)",
                             text, re.S):
            out.append(_packages(m.group(1).replace("\\\n", " ")))
        return out

    def test_build_packages_come_from_install_deps(self):
        with open(os.path.join(ROOT, "scripts", "install-deps.sh"), encoding="utf-8") as f:
            script = f.read()
        known = _packages(script[script.index("packages=("):script.index(")\n")])
        for name in ("broker.Dockerfile", "operator.Dockerfile"):
            with self.subTest(dockerfile=name):
                build, runtime = self.apt_lists(self.dockerfile(name))
                self.assertEqual(build - known, set(), "not in scripts/install-deps.sh")
                self.assertFalse(any(p.endswith("-dev") for p in runtime), runtime)

    def test_images(self):
        broker = self.dockerfile("broker.Dockerfile")
        operator = self.dockerfile("operator.Dockerfile")
        for text in (broker, operator):
            self.assertIn("FROM debian:bookworm AS build", text)
            self.assertIn("FROM debian:bookworm-slim", text)
            self.assertIn("-DTERN_BUILD_TESTS=OFF", text)
            self.assertIn("USER 10001:10001", text)
            self.assertIn("grep -F 'not found'", text)
        self.assertIn("ninja -C build tern-broker tern", broker)
        self.assertIn("EXPOSE 9092 9644", broker)
        self.assertIn('ENTRYPOINT ["/usr/local/bin/tern-broker"]', broker)
        self.assertIn("chown 10001:10001 /var/lib/tern", broker)
        self.assertIn("ninja -C build tern-operator", operator)
        for m in re.finditer(r"^COPY (?!--from)(\S+) ", broker + operator, re.M):
            if m.group(1) != ".":
                self.assertTrue(os.path.exists(os.path.join(ROOT, m.group(1))), m.group(1))
        config = _load(os.path.join(ROOT, "docker", "broker.yaml"))
        self.assertEqual(config["log.dirs"], "/var/lib/tern")
        self.assertTrue(config["listeners"].endswith(":9092"))
        self.assertTrue(config["admin.listeners"].endswith(":9644"))


if __name__ == "__main__":
    unittest.main()
