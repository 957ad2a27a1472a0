#!/bin/bash
# Counts the whole-struct copies ("outlined init with copy of Cmd") in each file's optimized code: swiftc 6.3.1 -O
# copies a struct built by an explicit all-field initializer once more where it is returned (explicit-init.swift: 2),
# not one built by the synthesized memberwise initializer (memberwise-init.swift: 0) or by an initializer in an
# extension that delegates to it (extension-delegating-init.swift: 0).
cd "$(dirname "$0")"
for f in explicit-init.swift memberwise-init.swift extension-delegating-init.swift; do
  echo "$f $(swiftc -O -parse-as-library -emit-assembly $f -o - 2>/dev/null | swift demangle --simplified | grep -c 'call.*init with copy of Cmd')"
done
