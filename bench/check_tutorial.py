#!/usr/bin/env python3
"""check_tutorial.py -- every number the text cites must still match its source.

usage: bench/check_tutorial.py [--ref DIR] [--update] FILE.md ...

Sources live under DIR (default results/reference). Three kinds of
citation, all HTML comments, so that they do not show when rendered:

  <!-- = 16.71: {python/summary.csv impl=c,workload=prime,mode=seq median_ms} -->
      After a paragraph, list item or table: the number 16.71 must appear in
      that block (the lines since the last blank line) and equal the
      expression rounded to the decimals shown (16.71: two). An expression
      is arithmetic (+ - * / parentheses, min, max) over lookups in braces:
        {FILE.csv KEY=VALUE,... COLUMN}  the one row matching every KEY=VALUE
        {FILE.csv KEY=VALUE,... #}       how many rows match
        {FILE.csv KEY=VALUE,... COLUMN /REGEX/}  the first group in that cell
        {FILE KEY}                       "KEY: value" line of a text file
        {FILE /REGEX/}                   the first group of the first match
      Several citations may share one comment, one per line or split by ";".
      A value that is not a number is compared as text ("= 12.2.0: {...}").
  <!-- output: FILE -->
      Before a fenced block: each line of the block must be a line of FILE,
      in the same order (a line "..." skips any number of lines).
  <!-- table: FILE.csv KEY=VALUE,... -->
      Before a fenced block of cfbench's run table: each row's reps, median,
      spread and speedup must match the summary row of the same impl
      ("py-" rows: python), mode and workers among those matching the keys.
  <!-- given: 100 ms, 5 ms -->
      Numbers in the block that are settings or definitions, not measured.

Besides, a number in prose followed by a unit of time, "x", "×", "%" or
"times" must be cited or given in its block: a measurement with no source
fails the check too. Mismatches print as FILE:LINE: message; exit 1.
--update copies each output block shown whole (no "...") that no longer
matches from its file into the text; numbers it leaves to a person, since
the sentence around a number may need to change with it.
"""
import ast
import csv
import os
import re
import sys

COMMENT = re.compile(r"<!--(.*?)-->", re.S)
LOOKUP = re.compile(r"\{([^{}]*)\}")
MEASURED = re.compile(
    r"(?<![\w.,/-])(\d[\d,]*(?:\.\d+)?)(?:\s?(?:ms|µs|us|ns|s|x|×|%)(?![\w])|\s+times\b)"
)
TABLE_ROW = re.compile(
    r"^\s+(py-)?([a-z-]+)\s+(\d+)\s+(\d+)\s+([\d.]+) (s|ms|us)\s+± (?:([\d.]+) (s|ms|us)|-)"
    r"\s+(?:([\d.]+)x (faster|slower)|1\.0x \(same\))"
)
TO_MS = {"s": 1000.0, "ms": 1.0, "us": 0.001}


class Fail(Exception):
    pass


class Sources:
    """Reads each source once."""

    def __init__(self, ref):
        self.ref = ref
        self.cache = {}

    def text(self, name):
        path = os.path.join(self.ref, name)
        if path not in self.cache:
            try:
                with open(path, encoding="utf-8") as f:
                    self.cache[path] = f.read()
            except OSError as e:
                raise Fail(f"cannot read {path}: {e.strerror}")
        return self.cache[path]

    def rows(self, name):
        key = ("csv", name)
        if key not in self.cache:
            self.cache[key] = list(csv.DictReader(self.text(name).splitlines()))
        return self.cache[key]

    def select(self, name, sel):
        want = dict(kv.split("=", 1) for kv in sel.split(",") if kv)
        rows = self.rows(name)
        for k in want:
            if rows and k not in rows[0]:
                raise Fail(f"{name} has no column '{k}'")
        return [r for r in rows if all(r[k] == v for k, v in want.items())]

    def lookup(self, spec):
        parts = spec.split(None, 1)
        if len(parts) != 2:
            raise Fail(f"lookup {{{spec}}}: want FILE and what to read")
        name, rest = parts
        if rest.startswith("/") and rest.endswith("/") and len(rest) > 1:
            m = re.search(rest[1:-1], self.text(name), re.M)
            if not m:
                raise Fail(f"{name}: nothing matches {rest}")
            return m.group(1)
        if name.endswith(".csv"):
            words = rest.split(None, 2)
            if len(words) not in (2, 3):
                raise Fail(f"lookup {{{spec}}}: want FILE KEY=VALUE,... COLUMN [/REGEX/]")
            sel, col = words[:2]
            if len(words) == 3:  # a number inside a text cell
                cell = self.lookup(f"{name} {sel} {col}")
                m = re.search(words[2].strip()[1:-1], cell)
                if not m:
                    raise Fail(f"{name} {sel} {col}: nothing matches {words[2]}")
                return m.group(1)
            rows = self.select(name, sel)
            if col == "#":
                return str(len(rows))
            if len(rows) != 1:
                raise Fail(f"{name} {sel}: {len(rows)} rows match, want 1")
            if col not in rows[0]:
                raise Fail(f"{name} has no column '{col}'")
            return rows[0][col]
        m = re.search(r"^" + re.escape(rest) + r":\s*(.*)$", self.text(name), re.M)
        if not m:
            raise Fail(f"{name} has no line '{rest}:'")
        return m.group(1).strip()


def evaluate(expr, src):
    """The expression's value: a float, or a string for a lone text lookup."""
    values = []

    def sub(m):
        values.append(src.lookup(m.group(1).strip()))
        return f"_v{len(values) - 1}"

    code = LOOKUP.sub(sub, expr.strip())
    if code == "_v0":
        try:
            float(values[0].replace(",", ""))
        except ValueError:
            return values[0]
    try:
        nums = [float(v.replace(",", "")) for v in values]
    except ValueError:
        raise Fail(f"not a number in '{expr.strip()}': {values}")
    try:
        tree = ast.parse(code, mode="eval")
    except SyntaxError:
        raise Fail(f"cannot read expression '{expr.strip()}'")

    def ev(n):
        if isinstance(n, ast.Expression):
            return ev(n.body)
        if isinstance(n, ast.Constant) and isinstance(n.value, (int, float)):
            return float(n.value)
        if isinstance(n, ast.Name) and re.fullmatch(r"_v\d+", n.id):
            return nums[int(n.id[2:])]
        if isinstance(n, ast.UnaryOp) and isinstance(n.op, ast.USub):
            return -ev(n.operand)
        if isinstance(n, ast.BinOp):
            a, b = ev(n.left), ev(n.right)
            ops = {ast.Add: a + b, ast.Sub: a - b, ast.Mult: a * b}
            if type(n.op) in ops:
                return ops[type(n.op)]
            if isinstance(n.op, ast.Div):
                if b == 0:
                    raise Fail(f"division by zero in '{expr.strip()}'")
                return a / b
        if isinstance(n, ast.Call) and isinstance(n.func, ast.Name) and n.func.id in ("min", "max"):
            return {"min": min, "max": max}[n.func.id](ev(a) for a in n.args)
        raise Fail(f"cannot evaluate '{expr.strip()}'")

    return ev(tree)


def rounded(shown, value):
    """value printed as shown is: same decimals, thousands commas if shown
    has them; rounded as printf rounds (the double's exact value)."""
    if isinstance(value, str):
        return value
    m = re.fullmatch(r"-?[\d,]*(?:\.(\d+))?", shown)
    decimals = len(m.group(1) or "") if m else 0
    return f"{value:{',' if ',' in shown else ''}.{decimals}f}"


def same(shown, value, slack=0.0):
    """shown (text as printed) equals value rounded to shown's decimals; or,
    given slack (how far value may be off, as when read back from a CSV that
    keeps three decimals), lies within rounding of it."""
    if rounded(shown, value) == shown:
        return True
    if not slack or isinstance(value, str):
        return False
    m = re.fullmatch(r"-?[\d,]*(?:\.(\d+))?", shown)
    half = 0.5 * 10 ** -len(m.group(1) or "") if m else 0
    return abs(float(shown.replace(",", "")) - value) <= half + slack


def has_token(text, tok):
    return re.search(r"(?<![\w.,])" + re.escape(tok) + r"(?!\d|[.,]\d)", text) is not None


def check_table(block, first, spec, src, err):
    words = spec.split()
    name, sel = words[0], words[1] if len(words) > 1 else ""
    rows = src.select(name, sel)
    seen = 0
    for i, line in enumerate(block):
        m = TABLE_ROW.match(line)
        if not m:
            continue
        seen += 1
        py, mode, workers, reps, med, unit, spr, sunit, speed, way = m.groups()
        impl = "python" if py else "c"
        hit = [r for r in rows if r["impl"] == impl and r["mode"] == mode and r["workers"] == workers]
        where = first + i
        if len(hit) != 1:
            err(where, f"{name} {sel}: {len(hit)} rows for {impl} {mode} x{workers}, want 1")
            continue
        r = hit[0]
        # The CSV keeps three decimals of a ms; cfbench printed from the full
        # value, so allow for that much; speedups are ratios of the medians,
        # as cfbench prints them.
        csv_ms = 0.0005
        checks = [("reps", reps, float(r["reps"]), 0),
                  ("median", med, float(r["median_ms"]) / TO_MS[unit], csv_ms / TO_MS[unit])]
        if spr:
            checks.append(("spread", spr, float(r["stddev_ms"]) / TO_MS[sunit], csv_ms / TO_MS[sunit]))
        if speed:
            # against the plain loop, or seq in sets from before the loop
            base = [q for q in rows if q["impl"] == impl and q["mode"] == "loop"] or \
                [q for q in rows if q["impl"] == impl and q["mode"] == "seq"]
            s = float(base[0]["median_ms"]) / float(r["median_ms"]) if len(base) == 1 else float(r["speedup"])
            checks.append(("speedup", speed, s if way == "faster" else 1 / s, 1e-3 * max(s, 1 / s)))
        for what, shown, value, slack in checks:
            if not same(shown, value, slack):
                err(where, f"{mode} x{workers} {what} {shown}, but {name} gives {rounded(shown, value)}")
    if seen == 0:
        err(first, f"table: no cfbench table rows in the block after it")


def check_output(block, first, name, src, err):
    """Returns the file's lines when the block is out of date and shows it
    whole (no "..."), so that --update can copy it in; else None."""
    lines = [l.rstrip() for l in src.text(name).splitlines()]
    pos, stale, abridged = 0, False, False
    for i, line in enumerate(block):
        line = line.rstrip()
        if line.strip() in ("...", "…"):
            abridged = True
            continue
        try:
            pos = lines.index(line, pos) + 1
        except ValueError:
            err(first + i, f"not in {name} (in this order): {line.strip()[:70]}")
            stale = True
    return lines if stale and not abridged else None


def check_file(path, src, updates=None):
    """Problems as "FILE:LINE: message". Whole output blocks that no longer
    match their file are added to updates as (first, last, indent, lines)."""
    errors = []
    updates = [] if updates is None else updates

    def err(line, msg):
        errors.append(f"{path}:{line}: {msg}")

    with open(path, encoding="utf-8") as f:
        text = f.read()
    lines = text.split("\n")
    # Line number of each offset, for comments spanning lines.
    starts = [0]
    for l in lines:
        starts.append(starts[-1] + len(l) + 1)

    def line_of(off):
        lo, hi = 0, len(starts) - 1
        while lo < hi:
            mid = (lo + hi + 1) // 2
            if starts[mid] <= off:
                lo = mid
            else:
                hi = mid - 1
        return lo + 1

    # Fenced blocks: (first line, last line) 1-based, fences excluded.
    fences, open_at, indent = [], None, {}
    for i, l in enumerate(lines, 1):
        if l.lstrip().startswith("```"):
            if open_at is None:
                open_at = i
            else:
                fences.append((open_at + 1, i - 1))
                indent[open_at + 1] = len(lines[open_at - 1]) - len(lines[open_at - 1].lstrip())
                open_at = None
    in_fence = set(n for a, b in fences for n in range(a - 1, b + 2))

    def block_before(ln):
        """Prose lines of the block that ends at line ln (comments removed)."""
        start = ln
        while start > 1 and lines[start - 2].strip() != "" and (start - 1) not in in_fence:
            start -= 1
        chunk = "\n".join(lines[start - 1 : ln])
        return COMMENT.sub(" ", chunk), start

    def fence_after(ln):
        for a, b in fences:
            if a - 1 > ln and all(lines[k].strip() == "" or "<!--" in lines[k] for k in range(ln, a - 2)):
                return a, b
        return None

    covered = {}  # block start line -> set of tokens cited or given
    sourced = set()  # first lines of fenced blocks with an output: or table:
    for m in COMMENT.finditer(text):
        body = m.group(1).strip()
        ln = line_of(m.start())
        end_ln = line_of(m.end())
        if ln in in_fence or text[starts[ln - 1] : m.start()].count("`") % 2:
            continue  # in a code block or inline code: an example, not a citation
        try:
            if body.startswith("output:") or body.startswith("table:"):
                kind, spec = body.split(":", 1)
                fb = fence_after(end_ln)
                if not fb:
                    err(ln, f"{kind}: no fenced block follows")
                    continue
                cut = indent[fb[0]]  # a block inside a list item is indented
                block = [l[cut:] if l[:cut].isspace() else l for l in lines[fb[0] - 1 : fb[1]]]
                sourced.add(fb[0])
                if kind == "output":
                    fresh = check_output(block, fb[0], spec.strip(), src, err)
                    if fresh is not None:
                        updates.append((fb[0], fb[1], " " * cut, fresh))
                else:
                    check_table(block, fb[0], spec.strip(), src, err)
            elif body.startswith("given:") or body.startswith("="):
                prose, start = block_before(ln)
                for item in re.split(r"\s*;\s*|\n\s*(?==|given:)", body):
                    item = item.strip()
                    if item.startswith("given:"):
                        for tok in re.split(r",\s*", item[6:].strip()):
                            num = re.match(r"[\d,.]*\d", tok)
                            covered.setdefault(start, set()).add(num.group(0) if num else tok)
                        continue
                    if not item:
                        continue
                    mm = re.match(r"=\s*(\S+?):\s+(.+)$", item, re.S)
                    if not mm:
                        err(ln, f"cannot read citation '{item[:60]}'")
                        continue
                    shown, expr = mm.groups()
                    covered.setdefault(start, set()).add(shown)
                    if not has_token(prose, shown):
                        err(ln, f"cites {shown}, which its block does not show")
                        continue
                    try:
                        value = evaluate(expr, src)
                    except Fail as e:
                        err(ln, f"{shown}: {e}")
                        continue
                    if not same(shown, value):
                        err(ln, f"says {shown}, but {expr.strip()} gives {rounded(shown, value)}")
        except Fail as e:
            err(ln, str(e))

    # An output block (a fence with no language) showing measurements needs
    # a source; commands ("$ ...") and their continuation lines are not output.
    for a, b in fences:
        if a in sourced or lines[a - 2].strip() != "```":
            continue
        cont = False
        for k in range(a, b + 1):
            l = lines[k - 1].strip()
            is_cmd = l.startswith("$") or cont
            cont = is_cmd and l.endswith("\\")
            if not is_cmd and MEASURED.search(l):
                err(k, f"output block with a measurement and no source (add <!-- output: FILE --> before it)")
                break

    # Measured-looking numbers in prose must be cited or given.
    i = 0
    while i < len(lines):
        if (i + 1) in in_fence or lines[i].strip() == "":
            i += 1
            continue
        start = i + 1
        while i < len(lines) and lines[i].strip() != "" and (i + 1) not in in_fence:
            i += 1
        chunk = "\n".join(lines[start - 1 : i])
        prose = re.sub(r"`[^`]*`", " ", COMMENT.sub(" ", chunk))
        prose = re.sub(r"\]\([^)]*\)", "]", prose)  # link targets
        have = covered.get(start, set())
        found = [(mm.start(), mm.group(1), mm.group(0)) for mm in MEASURED.finditer(prose)]
        for row in re.finditer(r"^\|.*$", prose, re.M):  # table cells: any decimal
            found += [(row.start() + c.start(), c.group(0), c.group(0))
                      for c in re.finditer(r"(?<![\w.])\d+\.\d+(?![\w.])", row.group(0))]
        for pos, tok, what in sorted(set(found)):
            if tok not in have:
                off = prose[:pos].count("\n")
                what = " ".join(what.split())
                err(start + off, f"{what} has no source (cite it or list it as given)")
    return errors


def main(argv):
    ref, update = "results/reference", False
    args = argv[1:]
    while args and args[0] in ("--ref", "--update"):
        if args[0] == "--update":
            update, args = True, args[1:]
        elif len(args) >= 2:
            ref, args = args[1], args[2:]
        else:
            break
    if not args or any(a.startswith("-") for a in args):
        print("usage: bench/check_tutorial.py [--ref DIR] [--update] FILE.md ...", file=sys.stderr)
        return 2
    src = Sources(ref)
    errors, n = [], 0
    for path in args:
        updates = []
        errors += check_file(path, src, updates)
        if update and updates:
            with open(path, encoding="utf-8") as f:
                lines = f.read().split("\n")
            for first, last, indent, fresh in sorted(updates, reverse=True):
                lines[first - 1 : last] = [(indent + l).rstrip() for l in fresh]
            with open(path, "w", encoding="utf-8") as f:
                f.write("\n".join(lines))
            print(f"{path}: {len(updates)} output blocks copied from their files", file=sys.stderr)
            errors = [e for e in errors if not e.startswith(path + ":")] + check_file(path, src)
        with open(path, encoding="utf-8") as f:
            n += f.read().count("<!--")
    errors.sort(key=lambda e: (e.split(":")[0], int(e.split(":")[1])))
    for e in errors:
        print(e)
    print(f"check-tutorial: {n} citations in {len(args)} files, {len(errors)} problems",
          file=sys.stderr)
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
