// The app the daemon tests deploy: the fixture app, with a test script that can be told to fail
// (a file `fail` in the commit) or to hold still at a gate (a file `hold`) until the test lets it
// go, so a test can act while a run is busy at an exact point.
import { appFiles } from '../helpers/fixture-app.ts';

export const daemonAppFiles = {
  ...appFiles,
  'test.sh': {
    mode: 0o755,
    content: `#!/bin/sh
if [ -e fail ]; then echo "failing on purpose"; exit 1; fi
if [ -e hold ]; then
  echo $$ > "$TEST_GATE_DIR/pid"
  touch "$TEST_GATE_DIR/at-gate"
  while [ ! -e "$TEST_GATE_DIR/go" ]; do sleep 0.05; done
  rm -f "$TEST_GATE_DIR/go" "$TEST_GATE_DIR/at-gate"
fi
echo "tests pass"
`,
  },
};
