"""What every figure module returns, and the shared helpers: a Figure is one
row of the table and one object in results.json."""

import statistics


class Figure:
    """One measured figure.

    id      stable key in results.json ("append.pipelined")
    label   text in the table
    value   the reported number (the median when there are samples)
    unit    "msg/s", "ms", "MiB", "s", ...
    target  None (reported only) or (op, number) with op ">=", "<=" or "<"
    aim     None, or the better number an issue aims at beyond its target
            (printed beside the target; PASS/MISS is against the target)
    samples every repetition, in the unit of value
    detail  anything else worth keeping (dict, JSON-serializable)
    """

    def __init__(self, id, label, value, unit, target=None, samples=None, detail=None,
                 aim=None):
        self.id = id
        self.label = label
        self.value = value
        self.unit = unit
        self.target = target
        self.samples = list(samples or [])
        self.detail = dict(detail or {})
        self.aim = aim

    @property
    def verdict(self):
        if self.target is None or self.value is None:
            return "INFO"
        op, bound = self.target
        ok = self.value >= bound if op == ">=" else self.value <= bound if op == "<=" \
            else self.value < bound
        return "PASS" if ok else "MISS"

    def to_json(self):
        return {
            "id": self.id, "label": self.label, "value": self.value, "unit": self.unit,
            "target": None if self.target is None
            else {"op": self.target[0], "value": self.target[1]},
            "aim": self.aim, "verdict": self.verdict, "samples": self.samples,
            "detail": self.detail,
        }


def fmt(value, unit):
    if value is None:
        return "n/a"
    if unit in ("msg/s", "ops/s", "B", "B/msg", "mailboxes"):
        return "{:,.0f}".format(value)
    if unit == "ms":
        return "%.3f" % value if value < 1 else "%.1f" % value if value >= 100 else "%.2f" % value
    if unit == "KiB":
        return "{:,.0f}".format(value) if value >= 1000 else "%.3g" % value
    if unit in ("MiB", "s", "%"):
        return "%.1f" % value if value >= 10 else "%.2f" % value
    return "%.3g" % value


def _number(x):
    text = "{:,}".format(x)
    return text[:-2] if text.endswith(".0") else text


def target_text(target, unit, aim=None):
    """target as in results.json ({"op", "value"} or None) -> "< 50 ms";
    with an aim, "≤ 32 KiB (aim 16)"."""
    if target is None:
        return "-"
    text = "%s %s %s" % ({">=": "≥", "<=": "≤"}.get(target["op"], "<"),
                         _number(target["value"]), unit)
    return text + (" (aim %s)" % _number(aim) if aim is not None else "")


def median(xs):
    return statistics.median(xs) if xs else None


MiB = 1024.0 * 1024.0
