# clean.awk -- one results CSV made safe to chart, for plots/draw.
# usage: awk -f plots/clean.awk FILE > COPY
#
# The copy has one row per line and no quoting: RFC 4180 quotes (as
# bench/csv.c writes them) are undone, and a comma inside a field becomes
# U+201A (a look-alike) so that every chart can split rows on commas.
# Control characters become the text \xNN, so a name is one printable line.
# The number columns the charts read must hold finite numbers (or
# nothing); a row where one does not is left out, and one line on stdout
# says how many were. A quoted field left open is an error: one line on
# stderr, status 1, no copy worth drawing.
BEGIN {
    for (i = 1; i < 32; i++) hex[sprintf("%c", i)] = sprintf("\\x%02x", i)
    hex["\177"] = "\\x7f"
    split("workers chunksize tasks reps mean_ms stddev_ms median_ms min_ms max_ms speedup " \
          "speedup_err outliers speedup_lo speedup_hi util us_per_task rep task worker " \
          "submit_us start_us end_us collect_us ok", v, " ")
    for (i in v) numeric[v[i]] = 1
    skipped = 0
}

# Control characters as \xNN.
function visible(s,    out, i, ch) {
    if (s !~ /[\001-\037\177]/) return s
    out = ""
    for (i = 1; i <= length(s); i++) {
        ch = substr(s, i, 1)
        out = out ((ch in hex) ? hex[ch] : ch)
    }
    return out
}

# Splits line into f[1..n] as RFC 4180 reads it; returns n, or -1 when a
# quoted field is not closed.
function split_csv(line, f,    n, i, len, ch, field, quoted) {
    n = 0
    i = 1
    len = length(line)
    while (1) {
        field = ""
        quoted = 0
        if (substr(line, i, 1) == "\"") {
            quoted = 1
            i++
            while (1) {
                if (i > len) return -1
                ch = substr(line, i, 1)
                if (ch == "\"") {
                    if (substr(line, i + 1, 1) != "\"") { i++; break }
                    i++
                }
                field = field ch
                i++
            }
        }
        while (i <= len && (ch = substr(line, i, 1)) != ",") { field = field ch; i++ }
        f[++n] = field
        if (i > len) return n
        i++ # past the comma
    }
}

function finite(s) {
    return s ~ /^[-+]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][-+]?[0-9]+)?$/ && s + 0 < 1e308 && s + 0 > -1e308
}

{
    sub(/\r$/, "")
    n = split_csv($0, f)
    if (n < 0) {
        printf "plots/draw: %s line %d: a quoted field is not closed\n", FILENAME, FNR > "/dev/stderr"
        bad = 1
        exit 1
    }
    out = ""
    for (i = 1; i <= n; i++) {
        s = visible(f[i])
        gsub(/,/, "\342\200\232", s)
        if (FNR == 1) col[i] = s
        else if (s != "" && (col[i] in numeric) && !finite(s)) {
            if (skipped++ == 0) first = sprintf("line %d, %s", FNR, col[i])
            next
        }
        out = out (i > 1 ? "," : "") s
    }
    print out
}

END {
    if (!bad && skipped > 0)
        printf "plots/draw: %s: %d row%s left out, a number not finite (first: %s)\n", FILENAME,
            skipped, skipped == 1 ? "" : "s", first > "/dev/stderr"
}
