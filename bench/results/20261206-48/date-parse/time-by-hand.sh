#!/bin/bash
# time-by-hand.sh: times the landed MQSignature.parseDate standalone (swiftc -O), taken from the source as it is.
set -euo pipefail
cd "$(dirname "$0")"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
python3 - "$work/main.swift" <<'PY'
import sys
src = open('../../../../Sources/ApusHTTP/Protocol/MQAuth.swift').read()
a = src.index("    public static func parseDate(_ text: String) -> Int64? {")
b = src.index("\n    }\n}\n", a) + 7
open(sys.argv[1], 'w').write("import Foundation\n" + src[a:b].replace("public static func", "func") + '''
var s: Int64 = 0
let t0 = DispatchTime.now().uptimeNanoseconds
for i in 0..<200000 { s &+= parseDate(i % 2 == 0 ? "Wed, 07 Mar 2012 18:49:58 GMT" : "Thu, 08 Mar 2012 18:49:58 GMT") ?? 0 }
let t1 = DispatchTime.now().uptimeNanoseconds
print("ns per parse:", (t1 - t0) / 200000, s)
''')
PY
swiftc -O "$work/main.swift" -o "$work/time"
"$work/time"
