# median.awk -- one row per figure from bench/peers/rounds.sh's rounds:
# the median of each number column over the rounds that have the figure,
# and beside it us_min and us_max (the spread of us_per_task) and rounds.
# usage: awk -F, -f bench/peers/median.awk results/overhead-rounds.csv > results/overhead.csv
BEGIN { FS = "," }
NR == 1 {
    for (i = 1; i <= NF; i++) col[$i] = i
    nc = col["round"] ? col["round"] - 1 : NF
    line = $1
    for (i = 2; i <= nc; i++) line = line "," $i
    print line ",us_min,us_max,rounds"
    next
}
{
    k = $1 "," $2 "," $3
    if (!(k in n)) order[++nk] = k
    n[k]++
    task[k] = $4
    for (i = 5; i <= nc; i++) v[k, i, n[k]] = $i
}

# The median of v[k, i, 1..m]; lo and hi get the extremes.
function median(k, i, m,    a, j, t, x) {
    for (j = 1; j <= m; j++) {
        x = v[k, i, j] + 0
        for (t = j; t > 1 && a[t - 1] > x; t--) a[t] = a[t - 1]
        a[t] = x
    }
    lo = a[1]
    hi = a[m]
    return m % 2 ? a[(m + 1) / 2] : (a[m / 2] + a[m / 2 + 1]) / 2
}

END {
    for (j = 1; j <= nk; j++) {
        k = order[j]
        line = k "," task[k]
        for (i = 5; i <= nc; i++) {
            line = line sprintf(",%.4f", median(k, i, n[k]))
            if (i == 5) { ulo = lo; uhi = hi }
        }
        printf "%s,%.4f,%.4f,%d\n", line, ulo, uhi, n[k]
    }
}
