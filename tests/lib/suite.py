"""What the Python suites share: check() prints one `ok`/`FAIL` line per
check and counts it, skip() prints a visible SKIP, and finish() prints the
summary line tests/run-all reads (`NAME: N passed, N failed`) and returns
the exit status."""


class Suite:
    def __init__(self, name):
        self.name = name
        self.passed = 0
        self.failed = 0

    def check(self, what, ok, detail=""):
        if ok:
            self.passed += 1
            print("ok   %s" % what)
        else:
            self.failed += 1
            print("FAIL %s: %s" % (what, str(detail).replace("\n", " | ")[:1500]))
        return ok

    def skip(self, reason):
        print("SKIP %s: %s" % (self.name, reason))
        print("%s: 0 passed, 0 failed, 1 skipped" % self.name)
        return 0

    def finish(self):
        print("%s: %d passed, %d failed" % (self.name, self.passed, self.failed))
        return 1 if self.failed else 0
