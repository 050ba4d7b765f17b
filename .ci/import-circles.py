#!/usr/bin/env python3
"""Fails when two source files of the api crate depend on each other, directly or around a
circle (docs/architecture.md). A file's dependencies are the modules its `use` items and
`crate::`/`super::`/`self::` paths name (test modules left out); a path names the deepest
module file it reaches. A file is read up to its `#[cfg(test)] mod tests` (this project
keeps tests last). Usage: .ci/import-circles.py [api/src]"""
import os, re, sys
root = sys.argv[1] if len(sys.argv) > 1 else 'api/src'
files = {}
for d, _, fs in os.walk(root):
    for f in fs:
        if f.endswith('.rs'):
            p = os.path.join(d, f)
            rel = os.path.relpath(p, root)[:-3]
            parts = rel.split(os.sep)
            if parts[-1] in ('mod', 'lib', 'main'):
                parts = parts[:-1]
            files[tuple(parts)] = p

def resolve(path):
    """Longest module prefix of path that is a file."""
    for n in range(len(path), 0, -1):
        if tuple(path[:n]) in files:
            return tuple(path[:n])
    return None

def strip_tests(src):
    m = re.search(r'#\[cfg\(test\)\]\n(#\[[^\n]*\]\n)*(pub(\([^)]*\))? )?mod tests', src)
    return src if not m else src[:m.start()]

def expand(prefix, body):
    """Expand a use tree body like a::{b, c::{d}} into paths."""
    out = []
    depth = 0; cur = ''
    items = []
    for ch in body:
        if ch == '{': depth += 1
        if ch == '}': depth -= 1
        if ch == ',' and depth == 0:
            items.append(cur); cur = ''
        else:
            cur += ch
    items.append(cur)
    for it in items:
        it = it.strip()
        if not it: continue
        m = re.match(r'^([\w:]*?)(::)?\{(.*)\}$', it, re.S)
        if m and '{' in it:
            head = [x for x in m.group(1).split('::') if x]
            out += expand(prefix + head, m.group(3))
        else:
            it = re.sub(r'\s+as\s+\w+$', '', it)
            out.append(prefix + [x for x in it.split('::') if x])
    return out

edges = {}
for mod, p in files.items():
    if mod and mod[0] == 'entity': continue
    src = strip_tests(open(p).read())
    src = re.sub(r'//.*', '', src)
    paths = []
    for m in re.finditer(r'\buse\s+([^;]+);', src):
        paths += expand([], m.group(1))
    for m in re.finditer(r'\b((?:crate|super|self)(?:::\w+)+)(?![\w:])', src):
        paths.append(m.group(1).split('::'))
    selfmod = list(mod)  # what `self` names; `super` is its parent
    deps = set()
    for path in paths:
        if not path: continue
        if path[0] == 'crate':
            full = path[1:]
        elif path[0] == 'super':
            base = selfmod[:]
            while path and path[0] == 'super':
                base = base[:-1]; path = path[1:]
            full = base + path
        elif path[0] == 'self':
            full = selfmod + path[1:]
        else:
            continue
        r = resolve(full)
        if r is not None and r != mod and r != () and not (r[0] == 'entity'):
            deps.add(r)
    edges[mod] = deps

# Tarjan SCC
index = {}; low = {}; stack = []; on = set(); sccs = []; i = [0]
sys.setrecursionlimit(10000)
def strong(v):
    index[v] = low[v] = i[0]; i[0] += 1; stack.append(v); on.add(v)
    for w in edges.get(v, ()):
        if w not in edges: continue
        if w not in index:
            strong(w); low[v] = min(low[v], low[w])
        elif w in on:
            low[v] = min(low[v], index[w])
    if low[v] == index[v]:
        c = []
        while True:
            w = stack.pop(); on.discard(w); c.append(w)
            if w == v: break
        if len(c) > 1: sccs.append(c)
for v in list(edges):
    if v not in index: strong(v)
for c in sccs:
    print('circle:', ' '.join(sorted('/'.join(x) for x in c)))
    cs = set(c)
    for v in sorted(c):
        print('   ', '/'.join(v), '->', sorted('/'.join(w) for w in edges[v] if w in cs))
if sccs:
    print(f'{len(sccs)} import circle(s): make one side depend on something both can use', file=sys.stderr)
    sys.exit(1)
print('no import circles')
