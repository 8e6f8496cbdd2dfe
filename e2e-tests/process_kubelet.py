#!/usr/bin/python3
"""A "process kubelet" for the Kubernetes API test double: the StatefulSet controller and the
kubelet that the double does not have, with local processes instead of containers.

    process_kubelet.py --server http://127.0.0.1:PORT --root DIR [--bin-dir DIR]
                       [--probe-period-scale 0.2] [--max-grace-seconds 10]
                       [--restart-backoff-seconds 1] [--no-hosts]

- StatefulSet controller: pods <sts>-<ordinal> from the *current* template (ownerReferences,
  the statefulset.kubernetes.io/pod-name label, hostname/subdomain, one PVC per
  volumeClaimTemplate named <template>-<pod>); a pod deleted under OnDelete comes back from
  the current template once its processes are gone; pods at or above spec.replicas are deleted
  (OrderedReady: the highest first, one at a time; Parallel: all at once); StatefulSet status.
- Kubelet: each pod's containers run as local processes with exactly the pod's command, args
  and env (fieldRef, configMapKeyRef, secretKeyRef, $(VAR) expansion). Volumes are per-pod
  folders (configMap: files, re-written when the ConfigMap changes; emptyDir; PVC: a folder
  per claim that lives until the PVC object is deleted). The pod spec uses absolute mount paths,
  so those prefixes are rewritten to the folders in command, args, env and ConfigMap files; an
  absolute command that does not exist here (/usr/local/bin/etcd) is looked up by its base name
  on PATH, which starts with --bin-dir. Each pod gets an address 127.0.1.N as status.podIP, and
  "0.0.0.0" becomes that address (in args, env and ConfigMap files), so pods share ports.
- Probes: startupProbe, then readinessProbe and livenessProbe (httpGet, tcpSocket, exec) with
  their thresholds; periods are multiplied by --probe-period-scale (at least 0.5 s) so a test
  does not wait 10 s per probe. Status (phase, podIP, conditions, containerStatuses with
  restartCount, state and lastState) is written through the status subresource.
- restartPolicy Always: an exited process is started again after a back-off (by default 1 s,
  doubling up to 30 s, reset after 60 s of running; a real kubelet starts at 10 s) and
  restartCount grows.
- A pod that is gone from the API (or has a deletionTimestamp) is stopped: SIGTERM to its
  process, SIGKILL to its process group after min(terminationGracePeriodSeconds,
  --max-grace-seconds).
- DNS: as root, a marked block in /etc/hosts maps <pod>.<headless>.<ns>.svc (ready pods, or all
  with publishNotReadyAddresses), <svc>.<ns>.svc of a headless Service to one of its pods, and
  of a ClusterIP Service to one ready pod it selects (kept while that pod stays ready; with no
  ready pod, to 127.0.1.254 where nothing listens, like a Service without endpoints); each
  name also with .cluster.local. The block is replaced at start (blocks of dead kubelets are
  removed) and removed at exit. Only a Service whose port equals its target port works.
- <root>/state.json: the running pods and their PIDs; <root>/timeline.jsonl: one JSON line per
  pod event (created, started, ready, not_ready, exited, killing, stopped) with a time, for tests.

Not done: images (the binaries come from --bin-dir and PATH), resources, securityContext (the
processes run as the kubelet's user), init containers, Service environment variables.
"""

import argparse
import atexit
import base64
import copy
import datetime
import fcntl
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request

HOSTS_FILE = "/etc/hosts"
HOSTS_BEGIN = "# BEGIN tern-e2e process-kubelet pid="
HOSTS_END = "# END tern-e2e process-kubelet"
NO_ENDPOINTS_IP = "127.0.1.254"
NODE_NAME = "e2e-process-node"
NODE_IP = "127.0.0.1"
LOCK_FILE = "/tmp/tern-e2e-process-kubelet.lock"


def now_rfc3339():
    return datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def log(msg):
    sys.stderr.write(f"[{time.strftime('%H:%M:%S')}] process-kubelet: {msg}\n")
    sys.stderr.flush()


# ------------------------------------------------------------------------------- API client
class ApiError(Exception):
    def __init__(self, status, body):
        super().__init__(f"HTTP {status}: {body[:500]}")
        self.status = status
        self.body = body


class Api:
    """Just enough of a Kubernetes client: JSON over HTTP to one server."""

    def __init__(self, server, token=None):
        self.server = server.rstrip("/")
        self.token = token

    def request(self, method, path, body=None, content_type="application/json"):
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(self.server + path, data=data, method=method)
        if data is not None:
            req.add_header("Content-Type", content_type)
        if self.token:
            req.add_header("Authorization", f"Bearer {self.token}")
        try:
            with urllib.request.urlopen(req, timeout=15) as r:
                text = r.read().decode()
                return json.loads(text) if text else None
        except urllib.error.HTTPError as e:
            raise ApiError(e.code, e.read().decode("utf-8", "replace")) from None

    def get(self, path):
        try:
            return self.request("GET", path)
        except ApiError as e:
            if e.status == 404:
                return None
            raise

    def items(self, path):
        return self.request("GET", path).get("items", [])

    def create(self, path, obj):
        return self.request("POST", path, obj)

    def delete(self, path):
        try:
            return self.request("DELETE", path)
        except ApiError as e:
            if e.status == 404:
                return None
            raise

    def merge_patch(self, path, patch):
        return self.request("PATCH", path, patch, "application/merge-patch+json")


def core_path(kind_plural, ns=None, name=None, sub=None):
    p = "/api/v1" + (f"/namespaces/{ns}" if ns else "") + f"/{kind_plural}"
    if name:
        p += f"/{name}"
    if sub:
        p += f"/{sub}"
    return p


def sts_path(ns=None, name=None, sub=None):
    p = "/apis/apps/v1" + (f"/namespaces/{ns}" if ns else "") + "/statefulsets"
    if name:
        p += f"/{name}"
    if sub:
        p += f"/{sub}"
    return p


def meta(obj):
    return obj.get("metadata", {})


def key(obj):
    return (meta(obj).get("namespace", ""), meta(obj).get("name", ""))


def labels_match(selector, labels):
    """matchLabels and matchExpressions (In, NotIn, Exists, DoesNotExist) or a plain map."""
    if selector is None:
        return False
    if "matchLabels" not in selector and "matchExpressions" not in selector:
        return bool(selector) and all(labels.get(k) == v for k, v in selector.items())
    for k, v in (selector.get("matchLabels") or {}).items():
        if labels.get(k) != v:
            return False
    for e in selector.get("matchExpressions") or []:
        op, k, vals = e.get("operator"), e.get("key"), e.get("values") or []
        if op == "In" and labels.get(k) not in vals:
            return False
        if op == "NotIn" and labels.get(k) in vals:
            return False
        if op == "Exists" and k not in labels:
            return False
        if op == "DoesNotExist" and k in labels:
            return False
    return True


# ------------------------------------------------------------------------------ /etc/hosts
def _block_owner_alive(line):
    try:
        pid = int(line[len(HOSTS_BEGIN):].split()[0])
    except (ValueError, IndexError):
        return False
    if pid == os.getpid():
        return False
    try:
        os.kill(pid, 0)
        return True
    except ProcessLookupError:
        return False
    except PermissionError:
        return True


def render_hosts(current, entries):
    """`current` without our block (and without blocks of kubelets that are gone), plus a new
    block for `entries` (name -> ip) unless it is None."""
    out, skipping = [], False
    for line in current.splitlines():
        if line.startswith(HOSTS_BEGIN) and not _block_owner_alive(line):
            skipping = True
            continue
        if skipping:
            if line.startswith(HOSTS_END):
                skipping = False
            continue
        out.append(line)
    if entries is not None:
        out.append(f"{HOSTS_BEGIN}{os.getpid()} (removed when it exits)")
        by_ip = {}
        for name, ip in sorted(entries.items()):
            by_ip.setdefault(ip, []).append(name)
        for ip, names in sorted(by_ip.items()):
            for i in range(0, len(names), 6):  # short lines: some resolvers limit line length
                out.append(f"{ip} {' '.join(names[i:i + 6])}")
        out.append(HOSTS_END)
    return "\n".join(out) + "\n"


def write_hosts(entries, path=HOSTS_FILE):
    """Rewrites `path` in place (it may be a bind mount that cannot be renamed over): one write
    of the whole text, then a truncate, so a reader never sees an empty file."""
    with open(path, "r+") as f:
        fcntl.flock(f, fcntl.LOCK_EX)
        text = render_hosts(f.read(), entries)
        f.seek(0)
        f.write(text)
        f.truncate()
        f.flush()


# ---------------------------------------------------------------------------- substitution
_VAR_REF = re.compile(r"\$\$|\$\(([A-Za-z_][A-Za-z0-9_.-]*)\)")


def expand_vars(s, env):
    """The kubelet's $(VAR) expansion: $$ is a literal $, unknown references stay as written."""
    def sub(m):
        if m.group(0) == "$$":
            return "$"
        name = m.group(1)
        return env[name] if name in env else m.group(0)
    return _VAR_REF.sub(sub, s)


def make_rewriter(mounts, pod_ip):
    """A function that maps absolute mount paths to their host folders and 0.0.0.0 to the pod
    IP inside any string. `mounts` is [(mountPath, host folder)]."""
    hosts = {}
    for m, h in mounts:
        m = m.rstrip("/")
        if m:  # a mount at / is not rewritten
            hosts[m] = h
    if not hosts:
        return lambda s: s.replace("0.0.0.0", pod_ip)
    # One pass, longest mount path first, so a replacement is never rewritten again (the host
    # folders may themselves live under a mount path such as /tmp).
    alternatives = "|".join(re.escape(m) for m in sorted(hosts, key=len, reverse=True))
    pattern = re.compile(r"(?<![\w./-])(" + alternatives + r")(?=$|[/\s\"',:;=)}\]])")

    def rewrite(s):
        return pattern.sub(lambda mm: hosts[mm.group(1)], s).replace("0.0.0.0", pod_ip)
    return rewrite


# ---------------------------------------------------------------------------------- probes
def run_probe(probe, pod_ip, ports, env, cwd):
    """True when the probe succeeds."""
    timeout = max(1, int(probe.get("timeoutSeconds", 1)))
    if "httpGet" in probe:
        h = probe["httpGet"]
        port = h.get("port")
        port = ports.get(port, port) if isinstance(port, str) else port
        host = h.get("host") or pod_ip
        url = f"{h.get('scheme', 'HTTP').lower()}://{host}:{port}{h.get('path', '/')}"
        req = urllib.request.Request(url)
        for hdr in h.get("httpHeaders") or []:
            req.add_header(hdr["name"], hdr["value"])
        try:
            with urllib.request.urlopen(req, timeout=timeout) as r:
                return 200 <= r.status < 400
        except (urllib.error.URLError, OSError, ValueError):
            return False
    if "tcpSocket" in probe:
        port = probe["tcpSocket"].get("port")
        port = ports.get(port, port) if isinstance(port, str) else port
        try:
            with socket.create_connection((probe["tcpSocket"].get("host") or pod_ip, int(port)),
                                          timeout=timeout):
                return True
        except OSError:
            return False
    if "exec" in probe:
        try:
            return subprocess.run(probe["exec"]["command"], env=env, cwd=cwd, timeout=timeout,
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                  stdin=subprocess.DEVNULL).returncode == 0
        except (OSError, subprocess.TimeoutExpired):
            return False
    return True


class Prober:
    """One probe's state machine: `result` flips after failureThreshold failures or
    successThreshold successes, one attempt per (scaled) period."""

    def __init__(self, probe, scale, initial):
        self.probe = probe
        self.period = max(0.5, float(probe.get("periodSeconds", 10)) * scale)
        self.initial_delay = float(probe.get("initialDelaySeconds", 0)) * scale
        self.failure_threshold = int(probe.get("failureThreshold", 3))
        self.success_threshold = int(probe.get("successThreshold", 1))
        self.result = initial
        self.fails = self.successes = 0
        self.next_at = None

    def due(self, now, started_at):
        if self.next_at is None:
            self.next_at = started_at + self.initial_delay
        return now >= self.next_at

    def record(self, ok, now):
        self.next_at = now + self.period
        if ok:
            self.fails = 0
            self.successes += 1
            if self.successes >= self.success_threshold:
                self.result = True
        else:
            self.successes = 0
            self.fails += 1
            if self.fails >= self.failure_threshold:
                self.result = False
        return self.result


# -------------------------------------------------------------------------------- a pod
class PodRuntime:
    """The local processes of one pod (one per container), their probes and their status."""

    def __init__(self, kubelet, pod, ip):
        self.k = kubelet
        self.pod = pod
        self.ns, self.name = key(pod)
        self.uid = meta(pod).get("uid", "")
        self.ip = ip
        self.dir = os.path.join(kubelet.root, "pods", f"{self.ns}_{self.name}_{self.uid[:8]}")
        os.makedirs(self.dir, exist_ok=True)
        self.start_time = now_rfc3339()
        self.lock = threading.Lock()
        self.stopping = threading.Event()
        self.stopped = threading.Event()
        self.containers = {}  # name -> dict of runtime state
        self.mount_dirs = {}  # volume name -> host folder
        self.config_maps = {}  # volume name -> (configmap name, items, last data)
        self.grace = min(float(pod["spec"].get("terminationGracePeriodSeconds", 30)),
                         kubelet.max_grace)
        self.threads = []

    # -- volumes
    def prepare_volumes(self):
        for v in self.pod["spec"].get("volumes") or []:
            name = v["name"]
            if "persistentVolumeClaim" in v:
                claim = v["persistentVolumeClaim"]["claimName"]
                d = self.k.pvc_dir(self.ns, claim)
            else:
                d = os.path.join(self.dir, "volumes", name)
            os.makedirs(d, exist_ok=True)
            self.mount_dirs[name] = d
            if "configMap" in v:
                self.config_maps[name] = (v["configMap"]["name"], v["configMap"].get("items"), None)
            elif "secret" in v:
                sec = self.k.api.get(core_path("secrets", self.ns, v["secret"]["secretName"]))
                for k, val in ((sec or {}).get("data") or {}).items():
                    with open(os.path.join(d, k), "wb") as f:
                        f.write(base64.b64decode(val))

    def container_mounts(self, c):
        out = []
        for m in c.get("volumeMounts") or []:
            host = self.mount_dirs.get(m["name"])
            if host is None:
                continue
            if m.get("subPath"):
                host = os.path.join(host, m["subPath"])
            out.append((m["mountPath"], host))
        return out

    def all_mounts(self):
        out = []
        for c in self.pod["spec"].get("containers", []):
            out.extend(self.container_mounts(c))
        return out

    def sync_config_maps(self, config_maps):
        """Writes each ConfigMap volume's files (rewritten) when the data changed."""
        rewrite = make_rewriter(self.all_mounts(), self.ip)
        for vol, (cm_name, items, last) in list(self.config_maps.items()):
            cm = config_maps.get((self.ns, cm_name))
            data = (cm or {}).get("data") or {}
            if data == last:
                continue
            d = self.mount_dirs[vol]
            wanted = {i["key"]: i.get("path", i["key"]) for i in items} if items else \
                {k: k for k in data}
            for k, path in wanted.items():
                if k not in data:
                    continue
                target = os.path.join(d, path)
                os.makedirs(os.path.dirname(target), exist_ok=True)
                tmp = target + ".tmp"
                with open(tmp, "w") as f:
                    f.write(rewrite(data[k]))
                os.replace(tmp, target)
            self.config_maps[vol] = (cm_name, items, data)

    # -- environment
    def field_ref(self, path):
        m = meta(self.pod)
        if path == "metadata.name":
            return m.get("name", "")
        if path == "metadata.namespace":
            return m.get("namespace", "")
        if path == "metadata.uid":
            return m.get("uid", "")
        if path == "spec.nodeName":
            return self.pod["spec"].get("nodeName", "")
        if path == "spec.serviceAccountName":
            return self.pod["spec"].get("serviceAccountName", "")
        if path in ("status.podIP", "status.podIPs"):
            return self.ip
        if path == "status.hostIP":
            return NODE_IP
        mm = re.match(r"metadata\.(labels|annotations)\['(.+)'\]$", path)
        if mm:
            return (m.get(mm.group(1)) or {}).get(mm.group(2), "")
        raise ValueError(f"unsupported fieldRef {path}")

    def container_env(self, c):
        env = {}
        for ef in c.get("envFrom") or []:
            prefix = ef.get("prefix", "")
            if "configMapRef" in ef:
                cm = self.k.api.get(core_path("configmaps", self.ns, ef["configMapRef"]["name"]))
                for k, v in ((cm or {}).get("data") or {}).items():
                    env[prefix + k] = v
            if "secretRef" in ef:
                s = self.k.api.get(core_path("secrets", self.ns, ef["secretRef"]["name"]))
                for k, v in ((s or {}).get("data") or {}).items():
                    env[prefix + k] = base64.b64decode(v).decode()
        for e in c.get("env") or []:
            if "value" in e:
                env[e["name"]] = expand_vars(e["value"], env)
                continue
            vf = e.get("valueFrom") or {}
            if "fieldRef" in vf:
                env[e["name"]] = self.field_ref(vf["fieldRef"]["fieldPath"])
            elif "configMapKeyRef" in vf:
                r = vf["configMapKeyRef"]
                cm = self.k.api.get(core_path("configmaps", self.ns, r["name"]))
                env[e["name"]] = ((cm or {}).get("data") or {}).get(r["key"], "")
            elif "secretKeyRef" in vf:
                r = vf["secretKeyRef"]
                s = self.k.api.get(core_path("secrets", self.ns, r["name"]))
                raw = ((s or {}).get("data") or {}).get(r["key"], "")
                env[e["name"]] = base64.b64decode(raw).decode()
            else:
                env[e["name"]] = ""
        return env

    def container_argv(self, c):
        env = self.container_env(c)
        rewrite = make_rewriter(self.container_mounts(c), self.ip)
        command = [rewrite(expand_vars(s, env)) for s in c.get("command") or []]
        args = [rewrite(expand_vars(s, env)) for s in c.get("args") or []]
        if not command:
            raise ValueError(f"container {c['name']} has no command: images are not run here")
        argv = command + args
        path = f"{self.k.bin_dir}:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
        if os.path.isabs(argv[0]) and not os.access(argv[0], os.X_OK):
            found = shutil.which(os.path.basename(argv[0]), path=path)
            if found:
                argv[0] = found
        full_env = {"PATH": path, "HOSTNAME": self.name, "HOME": self.dir, "LANG": "C.UTF-8"}
        for k, v in env.items():
            full_env[k] = rewrite(v)
        cwd = rewrite(c["workingDir"]) if c.get("workingDir") else self.dir
        os.makedirs(cwd, exist_ok=True)
        return argv, full_env, cwd

    # -- lifecycle
    def start(self):
        self.prepare_volumes()
        self.sync_config_maps(self.k.config_map_cache)
        for c in self.pod["spec"].get("containers", []):
            st = {"spec": c, "proc": None, "restarts": 0, "ready": False, "started": False,
                  "state": {"waiting": {"reason": "ContainerCreating"}}, "last_state": {},
                  "pid": None}
            self.containers[c["name"]] = st
            t = threading.Thread(target=self._run_container, args=(st,), daemon=True,
                                 name=f"{self.name}/{c['name']}")
            t.start()
            self.threads.append(t)

    def _run_container(self, st):
        c = st["spec"]
        ports = {p["name"]: p["containerPort"] for p in c.get("ports") or [] if "name" in p}
        backoff = self.k.backoff
        log_path = os.path.join(self.dir, f"{c['name']}.log")
        while not self.stopping.is_set():
            try:
                argv, env, cwd = self.container_argv(c)
            except Exception as e:  # a broken spec: like CreateContainerConfigError
                with self.lock:
                    st["state"] = {"waiting": {"reason": "CreateContainerConfigError",
                                               "message": str(e)}}
                self.k.changed.set()
                self.stopping.wait(2)
                continue
            logf = open(log_path, "ab")
            logf.write(f"\n===== {now_rfc3339()} start #{st['restarts']}: {argv!r}\n".encode())
            logf.flush()
            try:
                proc = subprocess.Popen(argv, env=env, cwd=cwd, stdout=logf,
                                        stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                        start_new_session=True)
            except OSError as e:
                logf.close()
                with self.lock:
                    st["state"] = {"waiting": {"reason": "RunContainerError", "message": str(e)}}
                self.k.changed.set()
                self.stopping.wait(backoff)
                backoff = min(backoff * 2, 30)
                continue
            started_at = time.monotonic()
            started_rfc = now_rfc3339()
            with self.lock:
                st["proc"], st["pid"] = proc, proc.pid
                st["state"] = {"running": {"startedAt": started_rfc}}
                st["ready"], st["started"] = False, "startupProbe" not in c
            self.k.timeline(self, "started", container=c["name"], pid=proc.pid,
                            restarts=st["restarts"])
            self.k.event(self.pod, "Normal", "Started",
                         f"Started container {c['name']} (pid {proc.pid})")
            self.k.changed.set()
            self.k.write_state()
            startup = Prober(c["startupProbe"], self.k.scale, False) if "startupProbe" in c else None
            readiness = Prober(c["readinessProbe"], self.k.scale, False) \
                if "readinessProbe" in c else None
            liveness = Prober(c["livenessProbe"], self.k.scale, True) \
                if "livenessProbe" in c else None
            killed_by_liveness = False
            while not self.stopping.is_set() and proc.poll() is None:
                now = time.monotonic()
                if startup and not st["started"]:
                    if startup.due(now, started_at):
                        ok = run_probe(startup.probe, self.ip, ports, env, cwd)
                        if startup.record(ok, time.monotonic()):
                            with self.lock:
                                st["started"] = True
                            started_at = time.monotonic()  # readiness starts from here
                            self.k.changed.set()
                        elif startup.fails >= startup.failure_threshold:
                            self.k.event(self.pod, "Warning", "Unhealthy",
                                         "Startup probe failed; restarting")
                            killed_by_liveness = True
                            self._kill(proc, self.grace)
                            break
                else:
                    if readiness and readiness.due(now, started_at):
                        before = readiness.result
                        ok = readiness.record(run_probe(readiness.probe, self.ip, ports, env, cwd),
                                              time.monotonic())
                        if ok != before:
                            with self.lock:
                                st["ready"] = ok
                            self.k.timeline(self, "ready" if ok else "not_ready",
                                            container=c["name"], pid=proc.pid)
                            if not ok:
                                self.k.event(self.pod, "Warning", "Unhealthy",
                                             "Readiness probe failed")
                            self.k.changed.set()
                    elif readiness is None and not st["ready"]:
                        with self.lock:
                            st["ready"] = True
                        self.k.timeline(self, "ready", container=c["name"], pid=proc.pid)
                        self.k.changed.set()
                    if liveness and liveness.due(now, started_at):
                        if not liveness.record(run_probe(liveness.probe, self.ip, ports, env, cwd),
                                               time.monotonic()):
                            self.k.event(self.pod, "Warning", "Unhealthy",
                                         "Liveness probe failed; restarting")
                            killed_by_liveness = True
                            self._kill(proc, self.grace)
                            break
                self.stopping.wait(0.1)
            if self.stopping.is_set():
                self._kill(proc, self.grace)
            rc = proc.wait()
            logf.close()
            ran = time.monotonic() - started_at
            reason = "Completed" if rc == 0 else ("Error" if rc > 0 else
                                                 f"Signal{-rc}")
            with self.lock:
                st["proc"], st["ready"] = None, False
                st["last_state"] = {"terminated": {
                    "exitCode": rc if rc >= 0 else 128 - rc, "reason": reason,
                    "startedAt": started_rfc, "finishedAt": now_rfc3339()}}
            self.k.timeline(self, "exited", container=c["name"], pid=proc.pid, rc=rc,
                            liveness=killed_by_liveness, stopping=self.stopping.is_set())
            if self.stopping.is_set():
                with self.lock:
                    st["state"] = {"terminated": st["last_state"]["terminated"]}
                break
            if ran > 60:
                backoff = self.k.backoff
            with self.lock:
                st["restarts"] += 1
                st["state"] = {"waiting": {"reason": "CrashLoopBackOff",
                                           "message": f"back-off {backoff:.0f}s restarting "
                                                      f"failed container={c['name']}"}}
            self.k.event(self.pod, "Warning", "BackOff",
                         f"container {c['name']} exited ({reason}); restarting in {backoff:.0f}s")
            self.k.changed.set()
            self.k.write_state()
            self.stopping.wait(backoff)
            backoff = min(backoff * 2, 30)

    @staticmethod
    def _kill(proc, grace):
        if proc.poll() is not None:
            return
        try:
            os.kill(proc.pid, signal.SIGTERM)
        except ProcessLookupError:
            return
        try:
            proc.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            pass
        try:
            os.killpg(proc.pid, signal.SIGKILL)  # the "container": its whole process group
        except (ProcessLookupError, PermissionError):
            pass

    def stop(self):
        """Stops every container (SIGTERM, SIGKILL after the grace period); blocks."""
        if not self.stopping.is_set():
            self.k.timeline(self, "killing", grace=self.grace)
            self.k.event(self.pod, "Normal", "Killing", "Stopping container(s)")
        self.stopping.set()
        for t in self.threads:
            t.join(timeout=self.grace + 15)
        for st in self.containers.values():
            proc = st["proc"]
            if proc is not None and proc.poll() is None:
                try:
                    os.killpg(proc.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                proc.wait(timeout=10)
        self.k.timeline(self, "stopped")
        self.stopped.set()

    # -- status
    def ready(self):
        with self.lock:
            return bool(self.containers) and all(st["ready"] for st in self.containers.values())

    def pids(self):
        with self.lock:
            return {n: st["proc"].pid for n, st in self.containers.items() if st["proc"]}

    def status(self, prev_conditions):
        with self.lock:
            statuses = []
            for name, st in self.containers.items():
                cs = {"name": name, "ready": st["ready"], "restartCount": st["restarts"],
                      "started": bool(st["started"] and st["proc"]),
                      "image": st["spec"].get("image", ""), "imageID": "",
                      "state": st["state"], "lastState": st["last_state"]}
                if st["proc"]:
                    cs["containerID"] = f"process://{st['proc'].pid}"
                statuses.append(cs)
        ready = bool(statuses) and all(s["ready"] for s in statuses)
        prev = {c["type"]: c for c in prev_conditions or []}

        def cond(t, ok):
            s = "True" if ok else "False"
            p = prev.get(t)
            ts = p["lastTransitionTime"] if p and p.get("status") == s and \
                p.get("lastTransitionTime") else now_rfc3339()
            return {"type": t, "status": s, "lastProbeTime": None, "lastTransitionTime": ts}
        return {
            "phase": "Running", "hostIP": NODE_IP, "hostIPs": [{"ip": NODE_IP}],
            "podIP": self.ip, "podIPs": [{"ip": self.ip}], "startTime": self.start_time,
            "qosClass": "BestEffort",
            "conditions": [cond("Initialized", True), cond("Ready", ready),
                           cond("ContainersReady", ready), cond("PodScheduled", True)],
            "containerStatuses": statuses,
        }


# ----------------------------------------------------------------------------- the kubelet
class ProcessKubelet:
    def __init__(self, api, root, bin_dir, scale=0.2, max_grace=10.0, manage_hosts=True,
                 poll=0.3, backoff=1.0):
        self.api = api
        self.root = root
        self.bin_dir = bin_dir
        self.scale = scale
        self.max_grace = max_grace
        self.manage_hosts = manage_hosts
        self.poll = poll
        self.backoff = backoff
        self.pods = {}  # (ns, name) -> PodRuntime
        self.terminating = {}  # (ns, name) -> PodRuntime being stopped
        self.ips = {}  # (ns, name) -> ip, stable per pod name
        self.config_map_cache = {}
        self.written_status = {}  # (ns, name, uid) -> status dict
        self.hosts_entries = None
        self.sticky = {}  # service key -> pod key it resolves to
        self.changed = threading.Event()
        self.halt = threading.Event()
        self.state_lock = threading.Lock()
        self.timeline_lock = threading.Lock()
        self.events_sent = 0
        os.makedirs(os.path.join(root, "pods"), exist_ok=True)
        os.makedirs(os.path.join(root, "pvcs"), exist_ok=True)
        self.timeline_path = os.path.join(root, "timeline.jsonl")

    # -- records for tests
    def timeline(self, rt, what, **extra):
        line = {"t": time.time(), "ns": rt.ns, "pod": rt.name, "uid": rt.uid, "event": what,
                **extra}
        with self.timeline_lock, open(self.timeline_path, "a") as f:
            f.write(json.dumps(line) + "\n")

    def write_state(self):
        with self.state_lock:
            state = {"pid": os.getpid(), "pods": {}}
            for (ns, name), rt in list(self.pods.items()) + list(self.terminating.items()):
                state["pods"][f"{ns}/{name}"] = {"uid": rt.uid, "ip": rt.ip, "dir": rt.dir,
                                                 "pids": rt.pids(), "ready": rt.ready(),
                                                 "terminating": rt.stopping.is_set()}
            tmp = os.path.join(self.root, "state.json.tmp")
            with open(tmp, "w") as f:
                json.dump(state, f, indent=1)
            os.replace(tmp, os.path.join(self.root, "state.json"))

    def event(self, pod, typ, reason, message):
        ns, name = key(pod)
        self.events_sent += 1
        ev = {"apiVersion": "v1", "kind": "Event",
              "metadata": {"name": f"{name}.{time.time_ns():x}{self.events_sent}", "namespace": ns},
              "involvedObject": {"apiVersion": "v1", "kind": "Pod", "name": name, "namespace": ns,
                                 "uid": meta(pod).get("uid", "")},
              "reason": reason, "message": message, "type": typ,
              "source": {"component": "kubelet", "host": NODE_NAME},
              "firstTimestamp": now_rfc3339(), "lastTimestamp": now_rfc3339(), "count": 1}
        try:
            self.api.create(core_path("events", ns), ev)
        except (ApiError, OSError):
            pass  # best effort, as in Kubernetes

    def pvc_dir(self, ns, claim):
        return os.path.join(self.root, "pvcs", f"{ns}_{claim}")

    def allocate_ip(self, k):
        if k in self.ips:
            return self.ips[k]
        used = set(self.ips.values())
        for n in range(1, 254):
            ip = f"127.0.1.{n}"
            if ip not in used:
                self.ips[k] = ip
                return ip
        raise RuntimeError("no pod addresses left")

    # -- the loop
    def ensure_node(self):
        if self.api.get(core_path("nodes", name=NODE_NAME)) is None:
            self.api.create(core_path("nodes"), {
                "apiVersion": "v1", "kind": "Node",
                "metadata": {"name": NODE_NAME, "labels": {
                    "kubernetes.io/hostname": NODE_NAME, "kubernetes.io/os": "linux",
                    "topology.kubernetes.io/zone": "e2e-zone-a"}}})
        self.api.merge_patch(core_path("nodes", name=NODE_NAME, sub="status"), {"status": {
            "addresses": [{"type": "InternalIP", "address": NODE_IP},
                          {"type": "Hostname", "address": NODE_NAME}],
            "conditions": [{"type": "Ready", "status": "True", "reason": "KubeletReady",
                            "lastHeartbeatTime": now_rfc3339(),
                            "lastTransitionTime": now_rfc3339()}]}})

    def run(self):
        self.ensure_node()
        if self.manage_hosts:
            write_hosts({})
        while not self.halt.is_set():
            try:
                self.step()
            except (ApiError, OSError) as e:
                log(f"step failed: {e}")
            self.changed.wait(self.poll)
            self.changed.clear()

    def step(self):
        sets = self.api.items(sts_path())
        pods = self.api.items(core_path("pods"))
        pvcs = self.api.items(core_path("persistentvolumeclaims"))
        services = self.api.items(core_path("services"))
        self.config_map_cache = {key(cm): cm for cm in self.api.items(core_path("configmaps"))}
        by_key = {key(p): p for p in pods}

        for sts in sets:
            self.sync_stateful_set(sts, pods, by_key, pvcs)

        # Pods that are gone, replaced or being deleted: stop their processes (in the
        # background, so one slow shutdown does not hold up the others).
        for k, rt in list(self.pods.items()):
            p = by_key.get(k)
            if p is None or meta(p).get("uid") != rt.uid or "deletionTimestamp" in meta(p):
                del self.pods[k]
                self.terminating[k] = rt
                threading.Thread(target=self._finish_stop, args=(k, rt, p), daemon=True).start()
        # New pods on this node.
        started = False
        for k, p in by_key.items():
            if p["spec"].get("nodeName") != NODE_NAME or "deletionTimestamp" in meta(p):
                continue
            if k in self.pods or k in self.terminating:
                continue
            rt = PodRuntime(self, p, self.allocate_ip(k))
            self.pods[k] = rt
            self.timeline(rt, "created", ip=rt.ip)
            started = True
        if started:
            self.sync_dns(services, by_key)  # names resolve before the processes start
        for rt in self.pods.values():
            if not rt.containers:
                rt.start()
            else:
                rt.sync_config_maps(self.config_map_cache)
        self.sync_dns(services, by_key)
        self.write_statuses(by_key)
        self.delete_released_pvc_dirs(pvcs)
        self.write_state()

    def _finish_stop(self, k, rt, pod):
        rt.stop()
        with self.state_lock:
            if self.terminating.get(k) is rt:
                del self.terminating[k]
        shutil.rmtree(os.path.join(rt.dir, "volumes"), ignore_errors=True)
        if pod is not None and "deletionTimestamp" in meta(pod):
            try:  # the kubelet's final delete once the containers are gone
                self.api.request("DELETE", core_path("pods", rt.ns, rt.name),
                                 {"kind": "DeleteOptions", "apiVersion": "v1",
                                  "gracePeriodSeconds": 0,
                                  "preconditions": {"uid": rt.uid}})
            except (ApiError, OSError):
                pass
        self.changed.set()

    def sync_stateful_set(self, sts, pods, by_key, pvcs):
        ns, name = key(sts)
        if "deletionTimestamp" in meta(sts):
            return
        spec = sts["spec"]
        replicas = int(spec.get("replicas", 1))
        parallel = spec.get("podManagementPolicy", "OrderedReady") == "Parallel"
        uid = meta(sts)["uid"]
        owned = {}
        for p in pods:
            if key(p)[0] != ns:
                continue
            for ref in meta(p).get("ownerReferences") or []:
                if ref.get("uid") == uid and ref.get("controller"):
                    m = re.fullmatch(re.escape(name) + r"-(\d+)", meta(p)["name"])
                    if m:
                        owned[int(m.group(1))] = p
        pvc_names = {key(c) for c in pvcs}
        # Create missing pods (after the old instance's processes are gone).
        for i in range(replicas):
            if i in owned:
                continue
            pod_name = f"{name}-{i}"
            if (ns, pod_name) in self.terminating or (ns, pod_name) in by_key:
                continue
            if not parallel and any(not self.pod_ready(owned.get(j)) for j in range(i)):
                break
            self.create_pod(sts, i, pvc_names)
            if not parallel:
                break
        # Remove pods above replicas: the highest ordinal first.
        extra = sorted((i for i in owned if i >= replicas), reverse=True)
        for i in extra:
            if "deletionTimestamp" not in meta(owned[i]):
                self.api.delete(core_path("pods", ns, meta(owned[i])["name"]))
            if not parallel:
                break
        # Status.
        live = [p for i, p in owned.items() if i < replicas and "deletionTimestamp" not in meta(p)]
        ready = sum(1 for p in live if self.pod_ready(p))
        status = {"observedGeneration": meta(sts).get("generation", 1), "replicas": len(live),
                  "readyReplicas": ready, "availableReplicas": ready,
                  "currentReplicas": len(live), "updatedReplicas": len(live)}
        old = sts.get("status") or {}
        if any(old.get(k) != v for k, v in status.items()):
            try:
                self.api.merge_patch(sts_path(ns, name, "status"), {"status": status})
            except ApiError as e:
                if e.status not in (404, 409):
                    raise

    @staticmethod
    def pod_ready(p):
        if p is None:
            return False
        for c in (p.get("status") or {}).get("conditions") or []:
            if c.get("type") == "Ready":
                return c.get("status") == "True"
        return False

    def create_pod(self, sts, i, pvc_names):
        ns, name = key(sts)
        spec = sts["spec"]
        pod_name = f"{name}-{i}"
        tmpl = copy.deepcopy(spec.get("template") or {})
        md = tmpl.get("metadata") or {}
        labels = dict(md.get("labels") or {})
        labels["statefulset.kubernetes.io/pod-name"] = pod_name
        labels["apps.kubernetes.io/pod-index"] = str(i)
        labels["controller-revision-hash"] = f"{name}-{meta(sts).get('generation', 1)}"
        pod_spec = tmpl.get("spec") or {}
        pod_spec["hostname"] = pod_name
        pod_spec["subdomain"] = spec.get("serviceName", "")
        pod_spec["nodeName"] = NODE_NAME
        volumes = pod_spec.setdefault("volumes", [])
        for t in spec.get("volumeClaimTemplates") or []:
            tname = meta(t)["name"]
            claim = f"{tname}-{pod_name}"
            if (ns, claim) not in pvc_names:
                pvc = {"apiVersion": "v1", "kind": "PersistentVolumeClaim",
                       "metadata": {"name": claim, "namespace": ns,
                                    "labels": dict(meta(t).get("labels") or {})},
                       "spec": copy.deepcopy(t.get("spec") or {})}
                try:
                    self.api.create(core_path("persistentvolumeclaims", ns), pvc)
                    self.api.merge_patch(core_path("persistentvolumeclaims", ns, claim, "status"),
                                         {"status": {"phase": "Bound", "accessModes":
                                                     pvc["spec"].get("accessModes", []),
                                                     "capacity": (pvc["spec"].get("resources")
                                                                  or {}).get("requests", {})}})
                except ApiError as e:
                    if e.status != 409:
                        raise
            volumes = [v for v in volumes if v.get("name") != tname]
            volumes.append({"name": tname, "persistentVolumeClaim": {"claimName": claim}})
        pod_spec["volumes"] = volumes
        pod = {"apiVersion": "v1", "kind": "Pod",
               "metadata": {"name": pod_name, "namespace": ns, "labels": labels,
                            "annotations": dict(md.get("annotations") or {}),
                            "ownerReferences": [{"apiVersion": "apps/v1", "kind": "StatefulSet",
                                                 "name": name, "uid": meta(sts)["uid"],
                                                 "controller": True,
                                                 "blockOwnerDeletion": True}]},
               "spec": pod_spec}
        try:
            self.api.create(core_path("pods", ns), pod)
        except ApiError as e:
            if e.status != 409:
                raise

    def write_statuses(self, by_key):
        for k, rt in list(self.pods.items()):
            p = by_key.get(k)
            if p is None:
                continue
            prev = (p.get("status") or {}).get("conditions")
            st = rt.status(prev)
            wkey = (k, rt.uid)
            comparable = json.dumps(st, sort_keys=True)
            if self.written_status.get(wkey) == comparable and \
                    (p.get("status") or {}).get("podIP") == rt.ip:
                continue
            try:
                self.api.merge_patch(core_path("pods", rt.ns, rt.name, "status"), {"status": st})
                self.written_status[wkey] = comparable
            except ApiError as e:
                if e.status not in (404, 409):
                    raise

    def sync_dns(self, services, by_key):
        if not self.manage_hosts:
            return
        running = {k: rt for k, rt in self.pods.items() if not rt.stopping.is_set()}
        entries = {}

        def add(name, ip):
            entries[name] = ip
            entries[name + ".cluster.local"] = ip

        for svc in services:
            ns, sname = key(svc)
            spec = svc.get("spec") or {}
            selector = spec.get("selector")
            if not selector:
                continue
            headless = spec.get("clusterIP") == "None"
            publish = bool(spec.get("publishNotReadyAddresses"))
            members = []
            for k, rt in sorted(running.items()):
                if k[0] != ns:
                    continue
                p = by_key.get(k)
                if p is None or not labels_match(selector, meta(p).get("labels") or {}):
                    continue
                ready = rt.ready()
                if headless:
                    if ready or publish:
                        members.append((k, rt))
                        if p["spec"].get("subdomain") == sname and p["spec"].get("hostname"):
                            add(f"{p['spec']['hostname']}.{sname}.{ns}.svc", rt.ip)
                elif ready:
                    members.append((k, rt))
            skey = (ns, sname)
            member_keys = {k for k, _ in members}
            if self.sticky.get(skey) not in member_keys:
                self.sticky[skey] = members[0][0] if members else None
            chosen = self.sticky[skey]
            add(f"{sname}.{ns}.svc", running[chosen].ip if chosen else NO_ENDPOINTS_IP)
        if entries != self.hosts_entries:
            write_hosts(entries)
            self.hosts_entries = entries

    def delete_released_pvc_dirs(self, pvcs):
        live = {f"{ns}_{n}" for ns, n in (key(c) for c in pvcs)}
        in_use = set()
        for rt in list(self.pods.values()) + list(self.terminating.values()):
            in_use.update(os.path.basename(d) for d in rt.mount_dirs.values())
        base = os.path.join(self.root, "pvcs")
        for d in os.listdir(base):
            if d not in live and d not in in_use:
                shutil.rmtree(os.path.join(base, d), ignore_errors=True)

    def shutdown(self):
        """Stops every pod's processes and removes the hosts block."""
        self.halt.set()
        runtimes = list(self.pods.values()) + list(self.terminating.values())
        threads = [threading.Thread(target=rt.stop, daemon=True) for rt in runtimes]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=self.max_grace + 20)
        self.pods.clear()
        self.write_state()
        if self.manage_hosts:
            remove_hosts_block()


def remove_hosts_block():
    try:
        write_hosts(None)
    except OSError as e:
        log(f"could not remove the /etc/hosts block: {e}")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--server", required=True)
    ap.add_argument("--token")
    ap.add_argument("--root", required=True, help="folder for pod folders, volumes and logs")
    ap.add_argument("--bin-dir", default=os.environ.get("TERN_BIN_DIR", os.path.join(
        os.path.dirname(os.path.abspath(__file__)), "..", "build", "bin")))
    ap.add_argument("--probe-period-scale", type=float, default=0.2)
    ap.add_argument("--max-grace-seconds", type=float, default=10.0)
    ap.add_argument("--restart-backoff-seconds", type=float, default=1.0,
                    help="first restart delay of an exited container (doubles up to 30 s; "
                         "a real kubelet starts at 10 s)")
    ap.add_argument("--no-hosts", action="store_true", help="do not edit /etc/hosts")
    a = ap.parse_args()
    manage_hosts = not a.no_hosts
    if manage_hosts and os.geteuid() != 0:
        sys.exit("process-kubelet: editing /etc/hosts needs root (or pass --no-hosts)")
    lock = open(LOCK_FILE, "w")
    try:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        sys.exit(f"process-kubelet: another one is running ({LOCK_FILE} is locked)")
    kubelet = ProcessKubelet(Api(a.server, a.token), os.path.abspath(a.root),
                             os.path.abspath(a.bin_dir), a.probe_period_scale,
                             a.max_grace_seconds, manage_hosts,
                             backoff=a.restart_backoff_seconds)
    done = threading.Event()

    def on_signal(signum, _frame):
        kubelet.halt.set()
        kubelet.changed.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    if manage_hosts:
        atexit.register(remove_hosts_block)
    try:
        t = threading.Thread(target=lambda: (kubelet.run(), done.set()), daemon=True)
        t.start()
        print(f"process-kubelet ready: node={NODE_NAME} root={kubelet.root}", flush=True)
        while not kubelet.halt.is_set() and t.is_alive():
            kubelet.halt.wait(0.5)
    finally:
        kubelet.shutdown()
        log("stopped")


if __name__ == "__main__":
    main()
