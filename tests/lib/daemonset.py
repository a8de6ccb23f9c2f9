# SPDX-License-Identifier: MIT
"""daemonset.py - the Kubernetes DaemonSet manifest of doc/deploying.md, read
the way the tests need it (python3-yaml's safe loader: a syntax error is
an error).

  daemonset.py fields DOC      one "name=value" line per field the node
                               agent relies on (checked by daemonset.t)
  daemonset.py podman DOC [MOUNTPATH=HOSTPATH]... [image=NAME]
                               the podman run arguments that give a
                               container what the manifest gives the pod:
                               --privileged, one -v per hostPath volume
                               (HOSTPATH replaced for the mount paths
                               named), then the image (NAME instead when
                               given), then its args; one per line

The manifest is the fenced ```yaml block of DOC holding "kind: DaemonSet".
Exit status 1 (and one line saying what) when there is none, when the YAML
does not parse, or when a field the node agent needs is missing.
"""
import re
import sys

import yaml


def manifest(doc):
    """The DaemonSet document of the first ```yaml block that holds one."""
    text = open(doc, encoding="utf-8").read()
    for block in re.findall(r"^```yaml\n(.*?)^```$", text, re.S | re.M):
        if "kind: DaemonSet" in block:
            for d in yaml.safe_load_all(block):
                if isinstance(d, dict) and d.get("kind") == "DaemonSet":
                    return d
    sys.exit(f"daemonset.py: no ```yaml block with a DaemonSet in {doc}")


def pod(d):
    """The pod spec, its one container and its hostPath volumes by name."""
    spec = d["spec"]["template"]["spec"]
    (container,) = spec["containers"]
    volumes = {v["name"]: v["hostPath"] for v in spec.get("volumes", []) if "hostPath" in v}
    return spec, container, volumes


def fields(d):
    spec, c, volumes = pod(d)
    yield "apiVersion", d["apiVersion"]
    yield "kind", d["kind"]
    labels = d["spec"]["template"]["metadata"]["labels"]
    yield "selector_matches", all(labels.get(k) == v for k, v in d["spec"]["selector"]["matchLabels"].items())
    yield "image", c["image"]
    yield "imagePullPolicy", c.get("imagePullPolicy", "")
    yield "command", " ".join(c.get("command", []))
    yield "args", " ".join(c.get("args", []))
    yield "privileged", c.get("securityContext", {}).get("privileged", False)
    yield "tolerations", " ".join(t.get("operator", "") for t in spec.get("tolerations", []))
    for m in c.get("volumeMounts", []):
        host = volumes.get(m["name"])
        yield "mount " + m["mountPath"], "%s %s ro=%s" % (
            host["path"] if host else "(not a hostPath)", host.get("type", "") if host else "",
            m.get("readOnly", False))


def podman(d, replace):
    _, c, volumes = pod(d)
    if c.get("securityContext", {}).get("privileged"):
        yield "--privileged"
    for m in c.get("volumeMounts", []):
        host = volumes[m["name"]]["path"]
        host = replace.get(m["mountPath"], host)
        yield "-v"
        yield "%s:%s%s" % (host, m["mountPath"], ":ro" if m.get("readOnly") else "")
    if c.get("command"):
        yield "--entrypoint"
        yield c["command"][0]
    yield replace.get("image", c["image"])
    yield from c.get("command", [])[1:]
    yield from c.get("args", [])


def main():
    if len(sys.argv) < 3 or sys.argv[1] not in ("fields", "podman"):
        sys.exit("usage: daemonset.py fields|podman DOC [MOUNTPATH=HOSTPATH]...")
    try:
        d = manifest(sys.argv[2])
        if sys.argv[1] == "fields":
            for k, v in fields(d):
                print(f"{k}={v}")
        else:
            replace = dict(a.split("=", 1) for a in sys.argv[3:])
            for arg in podman(d, replace):
                print(arg)
    except yaml.YAMLError as e:
        sys.exit(f"daemonset.py: {sys.argv[2]}: the DaemonSet's YAML does not parse: {e}")
    except (KeyError, TypeError, ValueError) as e:
        sys.exit(f"daemonset.py: {sys.argv[2]}: the DaemonSet lacks a field the node agent needs: {e!r}")


main()
