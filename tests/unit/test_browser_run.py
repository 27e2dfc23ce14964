#!/usr/bin/env python3
# SPDX-License-Identifier: AGPL-3.0-or-later
"""tests/browser/run, the browser suite's runner: a skipped or todo node
test must fail the suite unless CORRIDOR_ALLOW_SKIP=1 (node and meson
both count it as a pass). Checks the runner's TAP reading on fixed text
and on what this machine's node --test writes for a scratch file with
t.skip(), t.todo() and a '#' in a test's name."""
import importlib.machinery
import importlib.util
import os
import subprocess
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
RUN = os.path.join(HERE, "..", "browser", "run")


def load_runner():
    loader = importlib.machinery.SourceFileLoader("browser_run", RUN)
    spec = importlib.util.spec_from_loader("browser_run", loader)
    mod = importlib.util.module_from_spec(spec)
    loader.exec_module(mod)
    return mod


run = load_runner()

CLEAN = """TAP version 13
# Subtest: b \\# SKIP not really
ok 1 - b \\# SKIP not really
  ---
  duration_ms: 0.3
  ...
1..1
# tests 1
# suites 0
# pass 1
# fail 0
# cancelled 0
# skipped 0
# todo 0
# duration_ms 5.1
"""

NESTED = """TAP version 13
# Subtest: grp
    # Subtest: e
    ok 1 - e # SKIP no chromium
      ---
      ...
    # Subtest: f
    ok 2 - f # TODO later
      ...
    1..2
ok 1 - grp
1..1
# tests 2
# suites 1
# pass 0
# fail 0
# cancelled 0
# skipped 1
# todo 1
"""

SCRATCH = """import { test, describe, it } from 'node:test';
test('plain', () => {});
test('name # SKIP in it', () => {});
test('needs chromium', (t) => { t.skip('chromium missing'); });
describe('grp', () => {
  it.skip('skipped', () => {});
  it('later', (t) => { t.todo('not yet'); });
});
test('todo failing', { todo: true }, () => { throw new Error('x'); });
"""


class TapCounts(unittest.TestCase):
    def test_clean_run_passes(self):
        summary, skip, todo = run.tap_counts(CLEAN.splitlines(True))
        self.assertEqual(summary["pass"], 1)
        self.assertEqual((skip, todo), (0, 0))  # the escaped '#' is a name
        self.assertIsNone(run.verdict(summary, skip, todo, False))

    def test_nested_skip_and_todo_fail(self):
        summary, skip, todo = run.tap_counts(NESTED.splitlines(True))
        self.assertEqual((skip, todo), (1, 1))
        self.assertIn("1 skipped and 1 todo",
                      run.verdict(summary, skip, todo, False))
        self.assertIsNone(run.verdict(summary, skip, todo, True))

    def test_points_count_without_summary_counter(self):
        # a summary that lost its counters still fails on the points
        text = NESTED.replace("# skipped 1\n", "").replace("# todo 1\n", "")
        summary, skip, todo = run.tap_counts(text.splitlines(True))
        self.assertIsNotNone(run.verdict(summary, skip, todo, False))

    def test_no_summary_fails_even_when_allowed(self):
        text = CLEAN.split("1..1")[0]
        summary, skip, todo = run.tap_counts(text.splitlines(True))
        self.assertIsNone(summary)
        self.assertIn("no closing summary",
                      run.verdict(summary, skip, todo, True))

    def test_real_node_output(self):
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "test_scratch.mjs")
            with open(path, "w") as f:
                f.write(SCRATCH)
            out = subprocess.run(
                ["node", "--test", "--test-reporter=tap",
                 "--test-reporter-destination=stdout", path],
                capture_output=True, text=True, timeout=120)
        self.assertEqual(out.returncode, 0, out.stderr)  # node says pass
        summary, skip, todo = run.tap_counts(out.stdout.splitlines(True))
        self.assertEqual((skip, todo), (2, 2), out.stdout)
        self.assertEqual(summary["skipped"], 2)
        self.assertEqual(summary["todo"], 2)
        self.assertIn("2 skipped and 2 todo",
                      run.verdict(summary, skip, todo, False))
        self.assertIsNone(run.verdict(summary, skip, todo, True))


if __name__ == "__main__":
    unittest.main(verbosity=2)
