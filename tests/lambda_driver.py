"""Run inside ``python3.12 -I -S``: answer Alexa envelopes from an unzipped Lambda artifact.

argv: <unzipped folder> <runtime stand-in folder (boto3 and what it brings)>.
sys.path becomes exactly: the folder, the stand-in, the standard library (no site-packages,
no PYTHONPATH). Reads one envelope per line on stdin and writes one response per line; at
EOF writes ``{"modules": {name: file}}`` for every module that was loaded.
"""

import json
import sys
import sysconfig

folder, runtime = sys.argv[1], sys.argv[2]
stdlib = {sysconfig.get_paths()["stdlib"], sysconfig.get_paths()["platstdlib"]}
sys.path[:] = [folder, runtime] + [p for p in sys.path
                                   if any(p.startswith(s) for s in stdlib) or p.endswith(".zip")]

from skill.frontends.lambda_function import handler  # noqa: E402

for line in sys.stdin:
    print(json.dumps(handler(json.loads(line), None)), flush=True)

print(json.dumps({"path": sys.path, "stdlib": sorted(stdlib), "modules": {
    name: getattr(module, "__file__", None) for name, module in list(sys.modules.items())}}))
