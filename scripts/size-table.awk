# Helper of scripts/check-size.sh (POSIX awk + gawk/mawk): message-size tables.
#   mode=aggregate: input = measured rows (several runs per cell); writes the baseline (median
#     of the runs, element-wise for the flight lists) to `out` with `header`, prints the spread
#     of every column that varied and checks it against the declared tolerances (exit 1 if not
#     covered).
#   mode=compare: input = baseline file (bfile) then measured rows; prints the differences per
#     stack and column; exit 1 on growth beyond tolerance (regression), shrink beyond tolerance
#     or new/missing cells (stale baseline), or a failed run (listed in `fails`).
#   mode=changes: input = a wide table of scripts/size-history.sh ("index commit stack1 ..."),
#     col = the column it holds: prints where a stack's value changed between consecutive
#     measured commits by more than its tolerance.
# Columns: 1 stack, 2 scenario, 3 response_payload, 4 flights (dir:bytes/...), 5 flight_packets
# (n/...), 6 request_bytes, 7 response_bytes, 8 app_payload_bytes, 9 handshake_payload_bytes.
# Tolerances file: stack_pattern(shell glob),column,tolerance,why  ('#' comments); for the two
# flight columns the tolerance applies to each flight.
BEGIN {
    FS = (mode == "changes") ? " " : ","; ncol = 9; nt = 0; bad = 0; sel = ENVIRON["SEL"]
    split("stack,scenario,response_payload,flights,flight_packets,request_bytes,response_bytes,app_payload_bytes,handshake_payload_bytes", cname, ",")
    if (tolfile != "") {
        while ((getline line < tolfile) > 0) {
            if (line ~ /^[ \t]*(#|$)/) continue
            n = split(line, f, ",")
            if (n < 3 || f[3] !~ /^([0-9]+|regroup)$/) { print "check-size: bad tolerance line: " line > "/dev/stderr"; bad = 1; continue }
            nt++; tpat[nt] = f[1]; tre[nt] = glob2re(f[1]); tcol[nt] = f[2]
            if (f[3] == "regroup") { treg[nt] = 1; tval[nt] = 0 } else tval[nt] = f[3] + 0
        }
        close(tolfile)
    }
}
function glob2re(g,   r) {
    r = g
    gsub(/[][.^$+(){}|\\]/, "\\\\&", r)
    gsub(/\*/, ".*", r); gsub(/\?/, ".", r)
    return "^" r "$"
}
# Tolerance of (stack, column): the largest matching declaration, 0 when none.
function tol(stack, col,   i, t) {
    t = 0
    for (i = 1; i <= nt; i++) if (tcol[i] == col && stack ~ tre[i] && tval[i] > t) t = tval[i]
    return t
}
# Whether (stack, column), a flight list, may be grouped differently from run to run: then only
# the per-direction totals of the list are compared.
function regroup(stack, col,   i) {
    for (i = 1; i <= nt; i++) if (tcol[i] == col && treg[i] && stack ~ tre[i]) return 1
    return 0
}
# Per-direction totals of a flight list: "c2s:174/s2c:768/c2s:16" -> tot["c2s"]=190,
# tot["s2c"]=768; a packet list (no directions) takes them from the flights column `dirs`.
function dirtotals(list, dirs, tot,   e, d, n, i, v, dir) {
    delete tot; tot["c2s"] = 0; tot["s2c"] = 0
    if (list == "none" || list == "") return
    n = split(list, e, "/"); split(dirs, d, "/")
    for (i = 1; i <= n; i++) {
        v = e[i]; dir = (v ~ /:/) ? v : d[i]; sub(/:.*/, "", dir)
        sub(/^.*:/, "", v); tot[dir] += v
    }
}
function tolstr(t) { if (t ~ /r$/) { sub(/r$/, "", t); return "+-" t "/dir" } return "+-" t }
function islist(c) { return c == 4 || c == 5 }
function absv(x) { return x < 0 ? -x : x }
function sortnum(a, n,   i, j, t) { # insertion sort, n is small
    for (i = 2; i <= n; i++) { t = a[i]; for (j = i - 1; j >= 1 && a[j] + 0 > t + 0; j--) a[j + 1] = a[j]; a[j + 1] = t }
}

# ---------------------------------------------------------------- changes
mode == "changes" && FNR == 1 { for (i = 3; i <= NF; i++) st[i] = $i; next }
mode == "changes" {
    for (i = 3; i <= NF; i++) {
        if ($i != "?" && (i in last) && absv($i - last[i]) > tol(st[i], col))
            printf "%-36s %-24s %s -> %s: %s -> %s (%+d)\n", st[i], col, lastc[i], $2, last[i], $i, $i - last[i]
        if ($i != "?") { last[i] = $i; lastc[i] = $2 }
    }
    next
}

# ---------------------------------------------------------------- aggregate
mode == "aggregate" {
    k = $1 FS $2 FS $3
    if (!(k in nrun)) { order[++nkeys] = k }
    r = ++nrun[k]
    for (c = 4; c <= ncol; c++) val[k, r, c] = $c
    next
}
# Median of column c over the runs of cell k; sets spread_[k,c] (max distance from the median)
# and vals_[k,c] (distinct values "v x count").
function median_of(k, c,   r, n, a, m, d, s, cnt, lst, i) {
    n = nrun[k]
    for (r = 1; r <= n; r++) { a[r] = val[k, r, c]; if (!((a[r]) in cnt)) lst = lst (lst == "" ? "" : " ") a[r]; cnt[a[r]]++ }
    sortnum(a, n)
    m = a[int((n + 1) / 2)]
    s = 0
    for (r = 1; r <= n; r++) { d = absv(a[r] - m); if (d > s) s = d }
    spread_[k, c] = s
    return m
}
# The same for a '/'-separated list (flights "c2s:174/s2c:768", packets "1/1"): element-wise
# over the runs of the most common shape (count and directions of the flights). Runs of another
# shape make the spread "shape", unless the column may regroup: then the spread is that of the
# per-direction totals over all runs.
function list_median(k, c, stack,   n, r, shp, cnt, best, r0, ne, e, i, nums, m, d, s, res, x, p, tb, tr, dir) {
    n = nrun[k]
    for (r = 1; r <= n; r++) { shp[r] = shape_of(val[k, r, 4]); cnt[shp[r]]++ }
    best = shp[1]
    for (r = 2; r <= n; r++) if (cnt[shp[r]] > cnt[best]) best = shp[r]
    if (cnt[best] < n && !regroup(stack, cname[c])) { spread_[k, c] = "shape"; return val[k, 1, c] }
    for (r0 = 1; shp[r0] != best; r0++) ;
    if (val[k, r0, c] !~ /[0-9]/) { spread_[k, c] = (cnt[best] < n) ? "shape" : 0; return val[k, r0, c] }
    ne = split(val[k, r0, c], e, "/"); res = ""; s = 0
    for (i = 1; i <= ne; i++) {
        delete nums; m = 0
        for (r = 1; r <= n; r++) if (shp[r] == best) { split(val[k, r, c], x, "/"); p = x[i]; sub(/^.*:/, "", p); nums[++m] = p + 0 }
        sortnum(nums, m); p = nums[int((m + 1) / 2)]
        for (r = 1; r <= m; r++) { d = absv(nums[r] - p); if (d > s) s = d }
        x[0] = e[i]; sub(/[0-9]+$/, "", x[0])
        res = res (i > 1 ? "/" : "") x[0] p
    }
    if (c == 4) medflights[k] = res
    if (regroup(stack, cname[c])) {
        regrouped_[k, c] = (cnt[best] < n); s = 0
        dirtotals(res, medflights[k], tb)
        for (r = 1; r <= n; r++) {
            dirtotals(val[k, r, c], val[k, r, 4], tr)
            for (dir in tb) { d = absv(tr[dir] - tb[dir]); if (d > s) s = d }
        }
    }
    spread_[k, c] = s
    return res
}
function shape_of(flights,   e, n, i, sh, p) {
    n = split(flights, e, "/"); sh = n
    for (i = 1; i <= n; i++) { p = e[i]; sub(/:.*/, "", p); sh = sh "|" p }
    return sh
}
function distinct(k, c,   r, cnt, lst, v) {
    lst = ""
    for (r = 1; r <= nrun[k]; r++) { v = val[k, r, c]; if (!(v in cnt)) lst = lst (lst == "" ? "" : " | ") v; cnt[v]++ }
    return lst
}
END {
    if (mode == "aggregate") {
        print header > out
        nvar = 0
        for (i = 1; i <= nkeys; i++) {
            k = order[i]; split(k, kk, FS); line = k
            for (c = 4; c <= ncol; c++) {
                if (val[k, 1, c] == "") { for (r = 2; r <= nrun[k]; r++) if (val[k, r, c] != "") spread_[k, c] = "null"; v = "" }
                else v = islist(c) ? list_median(k, c, kk[1]) : median_of(k, c)
                line = line FS v
                if (spread_[k, c] != 0 || spread_[k, c] == "shape" || spread_[k, c] == "null" || regrouped_[k, c]) {
                    t = tol(kk[1], cname[c]); s = spread_[k, c]
                    ok = (s != "shape" && s != "null" && s + 0 <= t)
                    if (!ok) bad = 1
                    if (!nvar++) printf "%-36s %-11s %4s %-23s %-7s %s\n", "stack (varied over " nrun[k] " runs)", "scenario", "pay", "column", "spread", "values seen; tolerance"
                    printf "%-36s %-11s %4s %-23s %-7s %s; %s\n", kk[1], kk[2], kk[3], cname[c], (s ~ /^[0-9]+$/ ? "+-" s : s), distinct(k, c), (ok ? "declared +-" t : (t ? "EXCEEDS declared +-" t : "UNDECLARED")) (regroup(kk[1], cname[c]) ? " per direction (" (regrouped_[k, c] ? "regrouped" : "regroup") ")" : "")
                }
            }
            print line > out
        }
        close(out)
        if (!nvar) print "check-size: no column varied over the runs"
        exit bad
    }
    if (mode == "changes") exit 0
    if (hdrbad) exit 2
    compare_end()
}

# ---------------------------------------------------------------- compare
mode == "compare" && FILENAME == bfile {
    if (FNR == 1) { if ($0 !~ /^stack,scenario,response_payload,/) { print "check-size: " bfile " has no header row" > "/dev/stderr"; hdrbad = 1; exit 2 } ; next }
    k = $1 FS $2 FS $3
    for (c = 4; c <= ncol; c++) base[k, c] = $c
    inbase[k] = 1; bstack[$1] = 1
    next
}
mode == "compare" {
    k = $1 FS $2 FS $3
    for (c = 4; c <= ncol; c++) meas[k, c] = $c
    inmeas[k] = 1; mstack[$1] = 1; mkeys[++nm] = k
    next
}
# One finding: kind = ok (within tolerance) | REGRESSION | STALE | CHANGED
function finding(stack, cell, col, b, m, d, t, kind) {
    nf++; fstack[nf] = stack; fcell[nf] = cell; fcol[nf] = col; fb[nf] = b; fm[nf] = m; fd[nf] = d; ft[nf] = t; fk[nf] = kind
}
# Compare two values of column c (bd, md: the flights of baseline and measurement, which give
# the packet lists their directions).
function cmp(stack, cell, c, b, m, bd, md,   t, d, nb, nmm, eb, em, i, pb, pm, db, kind, worst, dstr, tb, tm, dir) {
    t = tol(stack, cname[c])
    if (b == m) return
    if (b == "" || m == "") { finding(stack, cell, cname[c], b == "" ? "null" : b, m == "" ? "null" : m, "", t, "CHANGED"); return }
    if (!islist(c)) {
        d = m - b
        kind = absv(d) <= t ? "ok" : (d > 0 ? "REGRESSION" : "STALE")
        finding(stack, cell, cname[c], b, m, (d > 0 ? "+" : "") d, t, kind); return
    }
    worst = "ok"; dstr = ""
    if (regroup(stack, cname[c])) {
        dirtotals(b, bd, tb); dirtotals(m, md, tm)
        for (i = 1; i <= 2; i++) {
            dir = i == 1 ? "c2s" : "s2c"; db = tm[dir] - tb[dir]
            dstr = dstr (i > 1 ? "/" : "") dir (db >= 0 ? "+" : "") db
            if (absv(db) > t) { if (db > 0) worst = "REGRESSION"; else if (worst == "ok") worst = "STALE" }
        }
        finding(stack, cell, cname[c], b, m, dstr, t "r", worst); return
    }
    nb = split(b, eb, "/"); nmm = split(m, em, "/")
    if (b == "none") nb = 0
    if (m == "none") nmm = 0
    if (nb != nmm) {
        finding(stack, cell, cname[c], b, m, (nmm > nb ? "+" : "") (nmm - nb) " flights", t, nmm > nb ? "REGRESSION" : "STALE"); return
    }
    for (i = 1; i <= nb; i++) {
        pb = eb[i]; pm = em[i]; sub(/[0-9]+$/, "", pb); sub(/[0-9]+$/, "", pm)
        if (pb != pm) { finding(stack, cell, cname[c], b, m, "directions", t, "REGRESSION"); return }
        pb = eb[i]; pm = em[i]; sub(/^.*:/, "", pb); sub(/^.*:/, "", pm)
        db = pm - pb
        dstr = dstr (i > 1 ? "/" : "") (db > 0 ? "+" : "") db
        if (absv(db) > t) { if (db > 0) worst = "REGRESSION"; else if (worst == "ok") worst = "STALE" }
    }
    finding(stack, cell, cname[c], b, m, dstr, t, worst)
}
function compare_end(   i, k, kk, c, nfail, line, f, nreg, nstale, nok, s, key, seen, cnt, maxd, fk2, pays_a, scen_a, p, q, want, nbad, msg) {
    split(pays, pays_a, " "); split(scen, scen_a, " ")
    for (i = 1; i <= nm; i++) {
        k = mkeys[i]; split(k, kk, FS)
        if (!(k in inbase)) {
            finding(kk[1], kk[2] " " kk[3], "(cell)", "absent", "measured", "", 0, "STALE")
            fnew[nf] = (kk[1] in bstack) ? "cell" : "stack"
            continue
        }
        for (c = 4; c <= ncol; c++) cmp(kk[1], kk[2] " " kk[3], c, base[k, c], meas[k, c], base[k, 4], meas[k, 4])
    }
    # failed runs
    while ((getline line < fails) > 0) {
        split(line, f, "\t"); split(f[2], kk, ",")
        nfail++; failed[f[2]] = 1
        finding(kk[1], kk[2] " " kk[3], "(run)", "", "", "", 0, "FAILED"); ferr[nf] = f[3]
    }
    # baseline cells not measured: stack gone, or a cell of a selected stack not measured
    for (k in inbase) {
        if (k in inmeas || k in failed) continue
        split(k, kk, FS)
        if (sel != "" && kk[1] !~ sel) continue
        want = 0
        for (p in scen_a) for (q in pays_a) if (scen_a[p] == kk[2] && pays_a[q] == kk[3]) want = 1
        if (!want) continue
        finding(kk[1], kk[2] " " kk[3], "(cell)", "present", "not measured", "", 0, "STALE")
        fnew[nf] = (kk[1] in mstack) ? "gone-cell" : "gone-stack"
    }
    # Differences: within-tolerance ones summarised per stack and column, the others one per cell.
    printf "%-36s %-16s %-23s %-22s %-22s %-12s %-5s %s\n", "stack", "cell", "column", "baseline", "measured", "diff", "tol", "verdict"
    for (i = 1; i <= nf; i++) {
        if (fk[i] == "ok") { key = fstack[i] SUBSEP fcol[i]; if (!(key in cnt)) { seen[++ns] = key; okt[key] = ft[i] } cnt[key]++; nok++; continue }
        if (fk[i] == "FAILED") { printf "%-36s %-16s %-23s %s\n", fstack[i], fcell[i], "(run)", "FAILED (" ferr[i] ")"; continue }
        if (fcol[i] == "(cell)" && fnew[i] ~ /stack/ && (fstack[i] in tabled)) continue
        if (fcol[i] == "(cell)") { if (fnew[i] ~ /stack/) { tabled[fstack[i]] = 1; fcell[i] = (fnew[i] == "stack" ? "new stack" : "stack gone") } printf "%-36s %-16s %-23s %-22s %-22s %-12s %-5s %s\n", fstack[i], fcell[i], fcol[i], fb[i], fm[i], "", "", fk[i]; continue }
        printf "%-36s %-16s %-23s %-22s %-22s %-12s %-5s %s\n", fstack[i], fcell[i], fcol[i], fb[i], fm[i], fd[i], tolstr(ft[i]), fk[i]
    }
    for (i = 1; i <= ns; i++) {
        split(seen[i], kk, SUBSEP)
        printf "%-36s %-16s %-23s %-45s %-12s %-5s %s\n", kk[1], cnt[seen[i]] " cells", kk[2], "(differ within tolerance)", "", tolstr(okt[seen[i]]), "ok"
    }
    if (nf == 0) print "(no differences)"
    print ""
    # One message per problem, naming stack, column, baseline and measured value.
    for (i = 1; i <= nf; i++) {
        if (fk[i] == "ok") continue
        nbad++
        if (fk[i] == "FAILED") { msg = "FAIL " fstack[i] " " fcell[i] ": " ferr[i]; print msg > "/dev/stderr"; continue }
        if (fcol[i] == "(cell)") {
            # a new or vanished stack is one message, its cells counted
            if (fnew[i] ~ /stack/ && (fstack[i] in stackmsg)) { stackmsg[fstack[i]]++; continue }
            if (fnew[i] == "stack") msg = "stack " fstack[i] " is new: not in the baseline"
            else if (fnew[i] == "cell") msg = fstack[i] " " fcell[i] " is not in the baseline"
            else if (fnew[i] == "gone-stack") msg = "stack " fstack[i] " is in the baseline but no longer listed by secbench list"
            else msg = fstack[i] " " fcell[i] " is in the baseline but was not measured"
            if (fnew[i] ~ /stack/) { stackmsg[fstack[i]] = 1; stackline[fstack[i]] = msg; continue }
            print "STALE BASELINE: " msg "; refresh it with `make size-baseline`" > "/dev/stderr"
            continue
        }
        msg = fstack[i] " " fcell[i] " " fcol[i] ": baseline " fb[i] ", measured " fm[i] " (" fd[i] ", tolerance " tolstr(ft[i]) ")"
        if (fk[i] == "REGRESSION") print "REGRESSION " msg > "/dev/stderr"
        else if (fk[i] == "STALE") print "STALE BASELINE (now smaller) " msg "; refresh it with `make size-baseline`" > "/dev/stderr"
        else print "CHANGED " msg " (a value became or stopped being measurable)" > "/dev/stderr"
        if (fk[i] == "REGRESSION") nreg++; else nstale++
    }
    for (k in stackmsg)
        print "STALE BASELINE: " stackline[k] " (" stackmsg[k] " cells); refresh it with `make size-baseline`" > "/dev/stderr"
    printf "check-size: %d cells measured, %d differences within tolerance, %d regressions, %d stale-baseline findings, %d failed runs\n", nm, nok, nreg, nbad - nreg - nfail, nfail > "/dev/stderr"
    exit (nbad > 0)
}
