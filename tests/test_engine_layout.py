"""The engine's layout (csrc/README.md, "Layers") holds: every file of csrc/ has its layer, and
each layer uses only itself and the layers below it, with no cycle where one is not allowed, no
header include cycle, and no engine file over ~800 lines.

The sources are read as text: a file uses another by including it, or by calling a function or
naming an object (an ops table) that the other defines. A function defined in several files (a
backend each, such as the pollers) counts as the header's that declares it. Declarations are not
uses: zf.h declares the whole API, and socket.h the pattern tables, without depending on them.

Run as a script to print what it finds for any tree (`python3 tests/test_engine_layout.py DIR`),
e.g. an older csrc/ to see which arrows it had."""

import collections
import os
import re
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CSRC = os.path.join(ROOT, "csrc")

# Bottom first. A file may use the files of its own layer and of the layers before it. In a layer
# marked as one unit, files may use each other both ways (the files of one component sharing an
# internal header; the platform's per-OS files); elsewhere, uses between the modules of one layer
# (a module: x.h with x.c) must not go round in a circle.
LAYERS = [
    ("platform", True, """platform.h sys.h sys_posix.h sys_win.h sys_win.c sodium_config.h"""),
    ("primitives", False, """msg.h msg.c queue.h queue.c idmap.h idmap.c cmd.h pipe.h pipe.c signaler.h signaler.c
        poller.h poller_list.h poller_list.c poller_epoll.c poller_poll.c poller_select.c crypto.h
        crypto.c
        curve.h curve.c zmtp.h zmtp.c addr.h addr.c net.h net.c meta.h meta.c options.h options.c
        options_more.c accept_filter.c zf.h ctx_link.h sock_link.h monitor.h monitor.c"""),
    ("I/O loop", False, """io.h io.c"""),
    ("sessions and mechanisms", True, """session.h session.c engine_zmtp.c engine_raw.c mech.h
        mech.c mech_null.c mech_plain.h mech_plain.c mech_curve.c connecter.c listener.c socks.h
        socks.c zap_client.h zap_client.c zap.h zap.c direct_send.c"""),
    ("socket core", True, """socket.h socket.c socket_wait.c socket_options.c route.c routing.h routing.c subs.h
        subs.c"""),
    ("shared pattern code", False, """sock_raw.c"""),
    ("patterns", False, """sock_pipeline.c sock_reqrep.c sock_pubsub.c sock_stream.c"""),
    ("devices", False, """proxy.c"""),
    ("context", False, """ctx.h ctx.c"""),
]
# A module is x.h with x.c; these files are parts of another module (they implement its header).
MODULE_OF = {"options_more.c": "options", "accept_filter.c": "options", "poller_list.h": "poller",
             "poller_list.c": "poller",
             "poller_epoll.c": "poller", "poller_poll.c": "poller", "poller_select.c": "poller"}
MAX_LINES = 850  # "no engine file over ~800 lines" (issue 15); the largest is socket.c


def _strip(text):
    """Comments, string and character literals, and preprocessor lines blanked (lines kept)."""
    text = re.sub(r"/\*.*?\*/", lambda m: "\n" * m.group(0).count("\n"), text, flags=re.S)
    text = re.sub(r"//[^\n]*", "", text)
    text = re.sub(r'"(\\.|[^"\\\n])*"', '""', text)
    text = re.sub(r"'(\\.|[^'\\\n])*'", "''", text)
    return re.sub(r"^[ \t]*#[^\n]*(\\\n[^\n]*)*", "", text, flags=re.M)


_FUNC_HEAD = re.compile(r"\b(\w+)\s*\(([^;{}]*)\)\s*\{$")
_OBJECT_DEF = re.compile(r"^(?!static\b)(?:const\s+)?\w+\s+(zf_\w+)\s*(?:\[[^\]]*\])?\s*=", re.M)
_IDENT = re.compile(r"\bzf_\w+\b")


def read_tree(csrc):
    """files -> (includes, function bodies and initialisers, definitions, declarations)."""
    files = sorted(f for f in os.listdir(csrc) if f.endswith((".c", ".h")))
    includes, uses_text, defines, declares = {}, {}, collections.defaultdict(set), collections.defaultdict(set)
    for f in files:
        with open(os.path.join(csrc, f), encoding="utf-8") as fh:
            raw = fh.read()
        includes[f] = {m.group(1) for m in re.finditer(r'^\s*#\s*include\s+"([^"]+)"', raw, re.M)
                       if m.group(1) in files}
        text = _strip(raw)
        # split the top level into blocks: a function body is a top-level {...} whose head ends
        # in a parameter list; an initialiser (an ops table) is one whose head ends in '='
        bodies, depth, start = [], 0, None
        for i, ch in enumerate(text):
            if ch == "{":
                if depth == 0:
                    head = text[max(text.rfind(";", 0, i), text.rfind("}", 0, i)) + 1:i + 1].strip()
                    m = _FUNC_HEAD.search(head)
                    if m and not re.search(r"\b(struct|enum|union)\b[^(]*\{$", head):
                        if m.group(1).startswith("zf_"):
                            defines[m.group(1)].add(f)
                        start = i
                    elif re.search(r"=\s*\{$", head):
                        start = i
                    else:
                        start = None
                depth += 1
            elif ch == "}":
                depth -= 1
                if depth == 0 and start is not None:
                    bodies.append(text[start:i + 1])
                    start = None
        for m in _OBJECT_DEF.finditer(text):
            defines[m.group(1)].add(f)
        uses_text[f] = "\n".join(bodies)
        if f.endswith(".h"):
            top = text
            for b in bodies:
                top = top.replace(b, "")
            for m in re.finditer(r"\b(zf_\w+)\s*\(", top):
                declares[m.group(1)].add(f)
    return files, includes, uses_text, defines, declares


def edges(csrc):
    """(user, used) file pairs, each with why: '#include' or the names it uses."""
    files, includes, uses_text, defines, declares = read_tree(csrc)
    out = collections.defaultdict(set)
    for f in files:
        for h in includes[f]:
            if h != f:
                out[(f, h)].add("#include")
        for name in set(_IDENT.findall(uses_text[f])):
            where = defines.get(name)
            if not where or f in where:
                continue
            if len(where) > 1:  # one definition per backend: the interface is the header's
                where = {h for h in declares.get(name, ()) if h not in where} or where
            for g in where:
                out[(f, g)].add(name)
    return files, out


def problems(csrc):
    files, uses = edges(csrc)
    module = {f: MODULE_OF.get(f, f.rsplit(".", 1)[0]) for f in files}
    level, unit, name_of = {}, {}, {}
    for i, (name, is_unit, names) in enumerate(LAYERS):
        for f in names.split():
            level[f] = i
            unit[i] = is_unit
            name_of[i] = name
    found = []
    for f in files:
        if f not in level:
            found.append("%s has no layer: add it to LAYERS here and to csrc/README.md" % f)
    for f in sorted(level):
        if f not in files:
            found.append("%s is in LAYERS but not in csrc/: take it out (and out of csrc/README.md)" % f)
    # arrows point down
    for (a, b), why in sorted(uses.items()):
        if a in level and b in level and level[b] > level[a]:
            found.append("%s (%s) uses %s (%s), a layer above it: %s"
                         % (a, name_of[level[a]], b, name_of[level[b]], ", ".join(sorted(why))))
    # no circle inside a layer that is not one unit, nor among headers
    def cycles(nodes, keep, merge=lambda f: f):
        graph = collections.defaultdict(set)
        for (a, b) in uses:
            if a in nodes and b in nodes and keep(a, b) and merge(a) != merge(b):
                graph[merge(a)].add(merge(b))
        nodes = {merge(n) for n in nodes}
        seen, stack, out = {}, [], []

        def visit(n):
            seen[n] = 1
            stack.append(n)
            for m in sorted(graph[n]):
                if seen.get(m) == 1:
                    out.append(stack[stack.index(m):] + [m])
                elif m not in seen:
                    visit(m)
            stack.pop()
            seen[n] = 2
        for n in sorted(nodes):
            if n not in seen:
                visit(n)
        return out
    for i, (name, is_unit, names) in enumerate(LAYERS):
        if not is_unit:
            for c in cycles(set(names.split()) & set(files), lambda a, b: True,
                            module.get):
                found.append("a circle in layer %s: %s" % (name, " -> ".join(c)))
    headers = {f for f in files if f.endswith(".h")}
    for c in cycles(headers, lambda a, b: "#include" in uses[(a, b)]):
        found.append("headers include each other: %s" % " -> ".join(c))
    for f in files:
        with open(os.path.join(csrc, f), encoding="utf-8") as fh:
            n = sum(1 for _ in fh)
        if n > MAX_LINES:
            found.append("%s has %d lines (over %d): split it along a seam" % (f, n, MAX_LINES))
    return found


@pytest.mark.skipif(not os.path.isdir(CSRC),
                    reason="the engine's sources are not here (the suite runs from a copy: "
                           ".ci/check-packaging's wheel test)")
def test_engine_layers_point_one_way_and_files_stay_small():
    found = problems(CSRC)
    assert not found, "\n".join(found)


def test_the_layout_check_sees_an_upward_call_and_a_circle(tmp_path):
    # the check itself: a session calling up into the socket, and two patterns naming each other
    for f, text in {
        "socket.h": "void zf_sock_post(int x);\n",
        "socket.c": '#include "socket.h"\nvoid zf_sock_post(int x) { (void)x; }\n',
        "session.c": '#include "socket.h"\nvoid zf_session_go(void) { zf_sock_post(1); }\n',
        "sock_reqrep.c": "int zf_stream_raw(void);\nconst int zf_router_ops = 1;\n"
                         "int zf_router_raw(void) { return zf_stream_raw(); }\n",
        "sock_stream.c": "extern const int zf_router_ops;\n"
                         "int zf_stream_raw(void) { return zf_router_ops; }\n",
        "unplaced.c": "/* big */\n" * (MAX_LINES + 1),
    }.items():
        (tmp_path / f).write_text(text)
    found = "\n".join(problems(str(tmp_path)))
    assert "session.c (sessions and mechanisms) uses socket.h (socket core)" in found
    assert "session.c (sessions and mechanisms) uses socket.c (socket core), a layer above it: zf_sock_post" in found
    assert "a circle in layer patterns: sock_reqrep -> sock_stream -> sock_reqrep" in found
    assert "unplaced.c has no layer" in found
    assert "unplaced.c has %d lines" % (MAX_LINES + 1) in found


if __name__ == "__main__":
    for line in problems(sys.argv[1] if len(sys.argv) > 1 else CSRC) or ["the layout holds"]:
        print(line)
