#!/usr/bin/env python3
"""lacks-regroup.py RESULT.json LACK... : a stopgap until the runner speaks protocol 2.

The protocol-1 runner judges every case, ignoring what an adapter's --capabilities declares. This
regroups its `run --json` verdicts the way protocol 2 describes (notes/protocol-v2-contract.md):
a case whose expectation needs a lacked capability counts as not applicable. Each case is
classified with the small spec parser below (run from the repository root):
  retry            : the expectation holds a retry
  last-event-id    : some expected event has a non-empty id
  id-across-blocks : some expected event has a non-empty id its own block did not set
  id-only-blocks   : a block that dispatches nothing changes the last event ID, and events follow
  chunks           : never makes a case not applicable (the runner runs such adapters whole)
"""
import base64, glob, json, re, sys

def blocks(raw):
    text = raw.decode('utf-8', 'replace')
    if text.startswith('\ufeff'):
        text = text[1:]
    lines = re.split(r'\r\n|\r|\n', text)[:-1]  # the last piece is unterminated
    events, data, block_id, last, id_only_changes = [], None, None, '', False
    for line in lines:
        if line == '':
            if block_id is not None:
                if data is None and block_id != last:
                    id_only_changes = True
                last = block_id
            if data is not None:
                events.append(block_id is not None)
            data, block_id = None, None
            continue
        if line.startswith(':'):
            continue
        f, _, v = line.partition(':')
        if v.startswith(' '):
            v = v[1:]
        if f == 'data':
            data = v if data is None else data + '\n' + v
        elif f == 'id' and '\0' not in v:
            block_id = v
    return events, id_only_changes

cases = {}
for path in glob.glob('conformance/cases/**/*.json', recursive=True):
    c = json.load(open(path))
    own, id_only = blocks(base64.b64decode(c['input_b64']))
    exp = [e for e in c['expect'] if 'event' in e]
    flags = set()
    if any('retry' in e for e in c['expect']):
        flags.add('retry')
    if any(e['id'] != '' for e in exp):
        flags.add('last-event-id')
    if any(e['id'] != '' and (i >= len(own) or not own[i]) for i, e in enumerate(exp)):
        flags.add('id-across-blocks')
    if id_only and exp:
        flags.add('id-only-blocks')
    cases[c['name']] = flags

res = json.load(open(sys.argv[1]))
lacks = set(sys.argv[2:])
n = {'pass': 0, 'fail': 0, 'na': 0}
failing = []
for c in res['cases']:
    if cases[c['name']] & lacks:
        n['na'] += 1
    elif c['verdict'] == 'pass':
        n['pass'] += 1
    else:
        n['fail'] += 1
        failing.append(c['name'])
print(f"with lacks {sorted(lacks)}: {n['pass']} pass, {n['fail']} fail, {n['na']} not applicable (of {len(res['cases'])})")
for f in failing:
    print('  ', f)
