"""Charts and REPORT.md from one run's data (run.py calls charts() then render()).

Every number in the report is printed by `fmt` (benchmarks/report_numbers.py), so check_report.py can
prove it came from this run; the recommendation's choices are made here, in code, from the data.
"""

from __future__ import annotations

import math

RATE_FOR_ADVICE = 100  # the rate the recommendation talks about (the prototype's default)
PSNR_FLOOR = 40.0  # dB: the worst slice a "safe" rate must keep (stated in the report)
PRODUCT_GROUPS = ("job", "pool", "python")
MB_PER_VCPU = 1769  # Lambda: memory per vCPU (AWS documentation)  # whole-study contenders (DICOM in, DICOM out)
ORDER = [
    "job-openjpeg-1t", "job-openjpeg-2t", "job-htj2k-2t", "job-htj2k-1t", "job-quality-2t", "job-quality-1t",
    "gdcmconv-1p", "gdcmconv-2p", "pydicom-1p", "bench-encoder-1t", "opj_compress-1t", "grk_compress-1t", "ojph_compress-1t",
]


def rate_key(rate):
    return math.inf if rate == "lossless" else float(rate)


def order(key):
    return ORDER.index(key) if key in ORDER else len(ORDER)


def label(run, fmt) -> str:
    t = run["threads"]
    if run["group"] == "pool":
        return f"{run['label']}, {fmt(t)} at a time"
    if run["group"] == "python":
        return f"{run['label']}, one process"
    unit = "thread" if t == 1 else "threads"
    return f"{run['label']}, {fmt(t)} {unit}"


def plain_label(run) -> str:
    """The same label for charts (PNG text is not part of the number check)."""
    return label(run, lambda v, d=0: f"{v:.{d}f}")


def rate_text(rate, fmt) -> str:
    return "lossless" if rate == "lossless" else f"{fmt(rate)}:{fmt(1)}"


def find(data, key, rate):
    for run in data["runs"]:
        if run["contender"] == key and run["rate"] == rate:
            return run
    return None


# ---------------------------------------------------------------- charts


def charts(data, out) -> list[str]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    out.mkdir(parents=True, exist_ok=True)
    written = []
    runs = data["runs"]
    if not runs:
        return written
    rates = sorted({r["rate"] for r in runs}, key=rate_key)
    keys = sorted({r["contender"] for r in runs}, key=order)
    labels = {r["contender"]: plain_label(r) for r in runs}

    # Time by contender and rate: median wall, whiskers min-max.
    fig, ax = plt.subplots(figsize=(11, 5.5))
    width = 0.8 / max(1, len(rates))
    for i, rate in enumerate(rates):
        xs, heights, low, high = [], [], [], []
        for j, key in enumerate(keys):
            run = find(data, key, rate)
            if run is None or run["wall"]["median"] is None:
                continue
            xs.append(j + (i - (len(rates) - 1) / 2) * width)
            heights.append(run["wall"]["median"])
            low.append(run["wall"]["median"] - run["wall"]["min"])
            high.append(run["wall"]["max"] - run["wall"]["median"])
        name = "lossless" if rate == "lossless" else f"{rate}:1"
        ax.bar(xs, heights, width, yerr=[low, high], capsize=2, label=name)
    ax.set_xticks(range(len(keys)))
    ax.set_xticklabels([labels[k] for k in keys], rotation=30, ha="right", fontsize=8)
    ax.set_ylabel("wall time, s (median of n, whiskers min–max)")
    ax.set_title(f"Time by contender and rate — {data['slices']} slices, n = {data['repeat']}")
    ax.legend(title="rate")
    ax.grid(axis="y", alpha=0.3)
    fig.tight_layout()
    fig.savefig(out / "time-by-contender.png", dpi=110)
    plt.close(fig)
    written.append("time-by-contender.png")

    # CPU by contender (user + system): what a core-second costs, beside the wall time.
    fig, ax = plt.subplots(figsize=(11, 5.5))
    for i, rate in enumerate(rates):
        xs, users, systems = [], [], []
        for j, key in enumerate(keys):
            run = find(data, key, rate)
            if run is None or run["user"]["median"] is None:
                continue
            xs.append(j + (i - (len(rates) - 1) / 2) * width)
            users.append(run["user"]["median"])
            systems.append(run["system"]["median"] or 0.0)
        name = "lossless" if rate == "lossless" else f"{rate}:1"
        bars = ax.bar(xs, users, width, label=name)
        ax.bar(xs, systems, width, bottom=users, color=bars.patches[0].get_facecolor() if bars.patches else None,
               alpha=0.45, hatch="//")
    ax.set_xticks(range(len(keys)))
    ax.set_xticklabels([labels[k] for k in keys], rotation=30, ha="right", fontsize=8)
    ax.set_ylabel("CPU seconds (median): user, system hatched")
    ax.set_title("CPU time by contender and rate")
    ax.legend(title="rate")
    ax.grid(axis="y", alpha=0.3)
    fig.tight_layout()
    fig.savefig(out / "cpu-by-contender.png", dpi=110)
    plt.close(fig)
    written.append("cpu-by-contender.png")

    # Rate-distortion: PSNR against the achieved pixel ratio, one line per contender; left over the
    # whole study, right the worst slice. Part 1 contenders share a codec, so their lines lie close.
    fig, axes = plt.subplots(1, 2, figsize=(14, 6), sharey=True)
    markers = "os^vDPX*<>hp"
    for index, key in enumerate(keys):
        points = sorted(
            (r["pixelRatio"], r["psnr"], r["psnrMin"])
            for r in runs
            if r["contender"] == key and r["rate"] != "lossless" and r["psnr"] and r["pixelRatio"]
        )
        if not points:
            continue
        run = next(r for r in runs if r["contender"] == key)
        style = "--" if run["codec"] == "HTJ2K" else "-"
        for ax, column in zip(axes, (1, 2)):
            ax.plot([p[0] for p in points], [p[column] for p in points], style, marker=markers[index % len(markers)],
                    alpha=0.8, label=f"{labels[key]} [{run['codec']}]")
    for ax, title in zip(axes, ("PSNR over the study", "PSNR of the worst slice")):
        ax.set_xscale("log")
        ax.set_xlabel("achieved ratio (stored pixel bytes ÷ codestream bytes, log scale)")
        ax.set_title(title)
        ax.grid(True, which="both", alpha=0.3)
    axes[0].set_ylabel("PSNR, dB (peak 2^BitsStored − 1)")
    axes[1].legend(fontsize=7)
    fig.suptitle("Rate–distortion: PSNR against achieved ratio (dashed: HTJ2K)")
    fig.tight_layout()
    fig.savefig(out / "rate-distortion.png", dpi=110)
    plt.close(fig)
    written.append("rate-distortion.png")
    return written


# ---------------------------------------------------------------- report


def range_text(summary, digits, fmt, n) -> str:
    if summary["median"] is None:
        return "–"
    if n <= 1:
        return fmt(summary["median"], digits)
    return f"{fmt(summary['median'], digits)} ({fmt(summary['min'], digits)}–{fmt(summary['max'], digits)})"


def results_table(data, rate, fmt) -> str:
    rows = sorted((r for r in data["runs"] if r["rate"] == rate), key=lambda r: order(r["contender"]))
    lines = [
        "| contender | codec | wall s | CPU user s | CPU sys s | peak RSS MB | output MB | pixel ratio | file ratio "
        "| PSNR dB | PSNR min dB | max err | failures |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        name = label(r, fmt)
        if r["contender"].startswith("job-quality") and r.get("psnrTarget"):
            name += f" ≥ {fmt(r['psnrTarget'], 1)} dB"
        if r["group"] == "job":
            name = f"**{name}**"
        exact = r["lossless"] and r["outputBytes"] is not None
        psnr = fmt(math.inf) if exact else fmt(r["psnr"], 2)
        psnr_min = fmt(math.inf) if exact else fmt(r["psnrMin"], 2)
        output_mb = fmt(r["outputBytes"] / 1e6, 2) if r["outputBytes"] is not None else "–"
        lines.append(
            f"| {name} | {r['codec']} | {range_text(r['wall'], 2, fmt, r['n'])} | {fmt(r['user']['median'], 2)} "
            f"| {fmt(r['system']['median'], 2)} | {range_text(r['peakRSSMB'], 1, fmt, r['n'])} "
            f"| {output_mb} | {fmt(r['pixelRatio'], 1)} | {fmt(r['fileRatio'], 1)} "
            f"| {psnr} | {psnr_min} | {fmt(r['maxError'])} | {fmt(r['failures'])} |"
        )
    return "\n".join(lines)


def advice_rate(data):
    rates = [r for r in data["rates"] if r != "lossless" and any(x["rate"] == r for x in data["runs"])]
    if not rates:
        return None
    return min(rates, key=lambda r: abs(math.log(float(r) / RATE_FOR_ADVICE)))


def recommendation(data, fmt, queue_data) -> list[str]:
    """The choices, made from the numbers of this run; every figure through fmt."""
    lines = []
    rate = advice_rate(data)
    if rate is None:
        return ["No lossy rate was measured in this run, so there is nothing to recommend."]
    rt = rate_text(rate, fmt)
    ok = [r for r in data["runs"] if r["rate"] == rate and r["failures"] == 0]
    # Like for like: whole-study contenders writing JPEG 2000 Part 1 at the fixed rate (HTJ2K and
    # quality mode are judged below).
    product = [r for r in ok if r["group"] in PRODUCT_GROUPS and r["codec"] == "J2K"
               and not r["contender"].startswith("job-quality")]
    if product:
        best = min(product, key=lambda r: r["wall"]["median"])
        line = (f"- **What to run.** At {rt} the fastest whole-study contender writing Part {fmt(1)} is {label(best, fmt)} "
                f"({fmt(best['wall']['median'], 2)} s median wall for {fmt(data['slices'])} slices")
        others = [r for r in product if r is not best and r["group"] != best["group"]]
        rivals = []
        for group in ("pool", "python", "job"):
            candidates = [r for r in others if r["group"] == group]
            if candidates:
                rival = min(candidates, key=lambda r: r["wall"]["median"])
                rivals.append(f"{fmt(rival['wall']['median'] / best['wall']['median'], 2)}× faster than "
                              f"{label(rival, fmt)} ({fmt(rival['wall']['median'], 2)} s)")
        lines.append(line + ("; " + ", ".join(rivals) if rivals else "") + ").")
    one, two = find(data, "job-openjpeg-1t", rate), find(data, "job-openjpeg-2t", rate)
    if one and two and two["wall"]["median"]:
        speedup = one["wall"]["median"] / two["wall"]["median"]
        cores = data["machine"]["cores"]
        verdict = ("so give the worker one thread per core" if speedup >= 1.3
                   else "so extra threads buy little on this machine; the default (one per core) costs nothing")
        lines.append(f"- **Threads.** Two threads run the job {fmt(speedup, 2)}× as fast as one "
                     f"({fmt(two['wall']['median'], 2)} s vs {fmt(one['wall']['median'], 2)} s) on "
                     f"{fmt(cores)} cores, {verdict}.")
    ht = find(data, "job-htj2k-2t", rate) or find(data, "job-htj2k-1t", rate)
    oj = two or one
    if ht and oj and ht["psnr"] and oj["psnr"]:
        faster = oj["wall"]["median"] / ht["wall"]["median"]
        dpsnr = ht["psnr"] - oj["psnr"]
        if faster >= 1.2 and dpsnr > -1.0:
            verdict = ("HTJ2K is the better codec where the viewers and archive decode it "
                       "(Transfer Syntax .203); JPEG 2000 Part " + fmt(1) + " stays the default for compatibility")
        elif faster >= 1.2:
            verdict = ("HTJ2K is much faster but loses that much quality at the same ratio, so JPEG 2000 Part "
                       + fmt(1) + " stays the default; HTJ2K (Transfer Syntax .203) is the choice where speed "
                       "matters more than those decibels and the viewers decode it")
        else:
            verdict = "HTJ2K does not pay off here; keep Part " + fmt(1)
        lines.append(f"- **Codec.** At {rt}, the job with HTJ2K takes {fmt(ht['wall']['median'], 2)} s against "
                     f"{fmt(oj['wall']['median'], 2)} s with OpenJPEG ({fmt(faster, 2)}× as fast) at "
                     f"{fmt(ht['pixelRatio'], 1)}:{fmt(1)} vs {fmt(oj['pixelRatio'], 1)}:{fmt(1)} and "
                     f"{fmt(ht['psnr'], 2)} vs {fmt(oj['psnr'], 2)} dB PSNR ({fmt(dpsnr, 2)} dB): {verdict}.")
    alone = find(data, "bench-encoder-1t", rate)
    if alone and oj and alone["cpu"]["median"]:
        ideal = alone["wall"]["median"] / oj["threads"]
        lines.append(f"- **How close to the encoder.** OpenJPEG alone with the job's own settings (`bench "
                     f"--encoder-only`: every frame once, one thread, no I/O) needs {fmt(alone['cpu']['median'], 2)} "
                     f"CPU-s; the job spends {fmt(oj['cpu']['median'], 2)} CPU-s "
                     f"({fmt(oj['cpu']['median'] / alone['cpu']['median'], 2)}×) and takes "
                     f"{fmt(oj['wall']['median'], 2)} s on {fmt(oj['threads'])} threads against the ideal "
                     f"{fmt(ideal, 2)} s ({fmt(oj['wall']['median'] / ideal, 2)}×): what remains is process start, "
                     f"DICOM parsing and writing, the ZIP, and the machine's other load.")
    opj = find(data, "opj_compress-1t", rate)
    if opj and oj and opj["cpu"]["median"]:
        share = oj["cpu"]["median"] / opj["cpu"]["median"]
        why = ("DICOM parsing, writing, the ZIP and the job's ratio search cost the difference" if share > 1 else
               "the whole job costs no more than the command-line tool on bare pixels; the tool's extra CPU lies "
               "in its own handling of each file, outside the codec"
               + (f" (the library alone needs {fmt(alone['cpu']['median'], 2)} CPU-s)" if alone and alone["cpu"]["median"] else ""))
        lines.append(f"- **Against opj_compress.** The job spends {fmt(oj['cpu']['median'], 2)} CPU-s on the "
                     f"study; opj_compress alone on raw pixels spends {fmt(opj['cpu']['median'], 2)} CPU-s "
                     f"({fmt(share, 2)}×): {why}.")
    grk = find(data, "grk_compress-1t", rate)
    if grk and opj and grk["cpu"]["median"]:
        lines.append(f"- **Grok.** grk_compress alone takes {fmt(grk['cpu']['median'], 2)} CPU-s against "
                     f"opj_compress's {fmt(opj['cpu']['median'], 2)} CPU-s at {rt} "
                     f"({fmt(opj['cpu']['median'] / grk['cpu']['median'], 2)}× as fast), at "
                     f"{fmt(grk['psnr'], 2)} vs {fmt(opj['psnr'], 2)} dB.")
    job_rates = sorted((r for r in data["runs"] if r["contender"] == (oj or {}).get("contender") and r["rate"] != "lossless"
                        and r["psnrMin"]), key=lambda r: float(r["rate"]))
    if oj:
        quality = (f"- **Quality at {rt}.** PSNR {fmt(oj['psnr'], 2)} dB over the study, worst slice "
                   f"{fmt(oj['psnrMin'], 2)} dB, largest error {fmt(oj['maxError'])} stored units "
                   f"(achieved {fmt(oj['pixelRatio'], 1)}:{fmt(1)}).")
        safe = [r for r in job_rates if r["psnrMin"] >= PSNR_FLOOR]
        if safe:
            top = max(safe, key=lambda r: float(r["rate"]))
            quality += (f" The highest rate whose worst slice keeps {fmt(PSNR_FLOOR, 0)} dB is "
                        f"{rate_text(top['rate'], fmt)} ({fmt(top['psnrMin'], 2)} dB).")
        else:
            quality += f" No measured lossy rate keeps every slice at {fmt(PSNR_FLOOR, 0)} dB."
        lines.append(quality + " Whether that is diagnostically acceptable is for a radiologist; see the pictures.")
    qm = find(data, "job-quality-2t", rate) or find(data, "job-quality-1t", rate)
    if qm and oj and qm["outputBytes"] and oj["outputBytes"]:
        smaller = oj["outputBytes"] / qm["outputBytes"]
        lines.append(f"- **Quality mode.** Asking for every slice ≥ {fmt(qm['psnrTarget'], 1)} dB (the fixed rate's worst "
                     f"slice) writes {fmt(qm['outputBytes'] / 1e6, 2)} MB instead of {fmt(oj['outputBytes'] / 1e6, 2)} MB "
                     f"({fmt(smaller, 2)}× {'smaller' if smaller >= 1 else 'larger'}) in {fmt(qm['wall']['median'], 2)} s "
                     f"vs {fmt(oj['wall']['median'], 2)} s; worst slice {fmt(qm['psnrMin'], 2)} dB.")
    lines += queue_recommendation(queue_data, fmt)
    cost = (queue_data or {}).get("cost") if isinstance(queue_data, dict) else None
    if cost and cost.get("memoryMB"):
        peak = max((r["peakRSSMB"]["median"] or 0 for r in data["runs"] if r["group"] == "job"), default=0)
        line = (f"- **Lambda.** At {fmt(cost['memoryMB'])} MB (the deploy template's size) a study costs "
                f"{fmt(cost.get('perStudyUSD'), 6)} USD, {fmt(cost.get('per1000USD'), 2)} USD per {fmt(1000)} studies")
        if cost.get("prototypePer1000USD") is not None:
            line += f", against the prototype's estimate of {fmt(cost['prototypePer1000USD'], 2)} USD per {fmt(1000)}"
        line += (f". The job's peak RSS in this run was {fmt(peak, 1)} MB, so memory is bought for the CPU share "
                 f"Lambda ties to it (one vCPU per {fmt(MB_PER_VCPU)} MB), not for space.")
        vcpus = cost["memoryMB"] / MB_PER_VCPU
        if one and two and two["wall"]["median"] and vcpus >= 2 and cost.get("perStudyUSD"):
            speedup = one["wall"]["median"] / two["wall"]["median"]
            # One vCPU: the one-thread time at half the memory; request price aside.
            single = cost["perStudyUSD"] * (MB_PER_VCPU / cost["memoryMB"]) * speedup
            if single < cost["perStudyUSD"]:
                line += (f" With a second core worth {fmt(speedup, 2)}× here (less than {fmt(2)}×), {fmt(MB_PER_VCPU)} MB (one vCPU) "
                         f"would cost about {fmt(single * 1000, 2)} USD per {fmt(1000)} studies instead of "
                         f"{fmt(cost['perStudyUSD'] * 1000, 2)}, each study taking {fmt(speedup, 2)} times as long: choose "
                         f"{fmt(MB_PER_VCPU)} MB for cost, {fmt(cost['memoryMB'])} MB for latency.")
            else:
                line += (f" Two threads run {fmt(speedup, 2)}× as fast as one, so {fmt(cost['memoryMB'])} MB is also "
                         f"the cheaper size per study (one vCPU would cost about {fmt(single * 1000, 2)} USD per "
                         f"{fmt(1000)}): keep it.")
        lines.append(line)
    elif queue_data is None:
        lines.append("- **Lambda.** The cost figures come from queue_scale.py, which did not run here.")
    return lines


def queue_recommendation(queue_data, fmt) -> list[str]:
    """Workers and study size, from queue_scale.py's KEYS (concurrency runs, scaling points)."""
    lines = []
    if not isinstance(queue_data, dict):
        return lines
    runs = [r for r in (queue_data.get("concurrency") or {}).get("runs") or [] if not r.get("failures")]
    if runs:
        most = max(r["jobs"] for r in runs)
        batch = [r for r in runs if r["jobs"] == most and r.get("studiesPerMinute")]
        if len(batch) >= 2:
            best = max(batch, key=lambda r: r["studiesPerMinute"])
            other = min(batch, key=lambda r: r["studiesPerMinute"])
            def count(n, word):
                return f"{fmt(n)} {word}{'' if n == 1 else 's'}"

            lines.append(
                f"- **Workers.** With {fmt(most)} jobs queued, {count(best['workers'], 'worker')} × "
                f"{count(best.get('workerThreads') or 0, 'thread')} completed {fmt(best['studiesPerMinute'], 2)} "
                f"studies per minute against {fmt(other['studiesPerMinute'], 2)} for "
                f"{count(other['workers'], 'worker')} × {count(other.get('workerThreads') or 0, 'thread')} "
                f"(median latency {fmt(best['latency']['median'], 1)} s vs {fmt(other['latency']['median'], 1)} s, "
                f"at most {count(best.get('maxThreads') or 0, 'thread')} and "
                f"{count(best.get('maxProcesses') or 0, 'process').replace('processs', 'processes')} at once): "
                + ("run that layout per machine." if best["studiesPerMinute"] >= 1.1 * other["studiesPerMinute"]
                   else f"within {fmt(10)}% of each other, so either layout does; one worker is simpler."))
    scaling = queue_data.get("scaling") or {}
    fit, points = scaling.get("fit") or {}, scaling.get("points") or []
    if fit.get("slope") and len(points) >= 2:
        small, large = points[0], points[-1]
        lines.append(
            f"- **Study size.** Time grows by {fmt(fit['slope'] * 1000, 1)} ms per slice (R² {fmt(fit.get('r2'), 3)}) "
            f"from {fmt(small['slices'])} to {fmt(large['slices'])} slices, while the peak memory at the largest is "
            f"{fmt(scaling.get('memoryRatio'), 2)}× that at the smallest: size the worker for its cores, not for "
            f"the studies it may get.")
    return lines


def render(data, fmt, chart_files, picture, queue_module, queue_data, queue_charts) -> str:
    m = data["machine"]
    s = data["study"]
    out = []
    title = "Benchmark report" + (" (quick run)" if data["quick"] else "")
    out.append(f"# {title}")
    out.append("")
    out.append(f"Generated by `benchmarks/run.sh` on {data['generatedAt']} from one run on this machine; every number "
               f"below was printed by `benchmarks/report_numbers.py` from that run (checked by `benchmarks/check_report.py`). "
               f"Raw runs: [data/runs.json](data/runs.json).")
    out.append("")
    if data["quick"]:
        out.append("**Quick run** (CI): a tiny study and one run each; the figures prove the pipeline works, "
                   "they are not measurements to quote.")
        out.append("")
    if data.get("skippedRates"):
        out.append("**Incomplete:** the time budget ran out before these rates: "
                   + ", ".join(rate_text(r, fmt) for r in data["skippedRates"]) + ".")
        out.append("")
    out.append("## Recommendation")
    out.append("")
    out.append(f"Generated from this run's figures (choice logic in `benchmarks/report.py`; the rate discussed is the "
               f"measured one nearest {fmt(RATE_FOR_ADVICE)}:{fmt(1)}).")
    out.append("")
    out += recommendation(data, fmt, queue_data)
    out.append("")

    out.append("## Machine and method")
    out.append("")
    out.append(f"- Machine: {fmt(m['cores'])} cores ({m['cpu']}), {fmt(m['memoryGB'], 1)} GB memory, {m['os']}, "
               f"kernel `{m['kernel']}`; shared with other builds, so the load average is recorded: "
               f"{' / '.join(fmt(x, 2) for x in data['loadBefore'])} before, "
               f"{' / '.join(fmt(x, 2) for x in data['loadAfter'])} after (one, five, fifteen minutes). "
               f"Nice level {fmt(m['nice'])}.")
    out.append(f"- Build: `{m['binaryBuild']}` binary of commit `{m['gitCommit']}`"
               + (" (with uncommitted changes)" if m["gitDirty"] else "") + ".")
    out.append("- Versions: " + ", ".join(f"{k} `{v}`" for k, v in m["versions"].items()) + ".")
    out.append(f"- Study: `dicom-j2k sample-study`, {fmt(s['files'])} slices of {fmt(s['columns'])}×{fmt(s['rows'])}, "
               f"{fmt(s['bitsStored'])} bits stored in {fmt(s['bitsAllocated'])} "
               f"({'signed' if s['signed'] else 'unsigned'}), {fmt(s['bytes'] / 1e6, 1)} MB of files, "
               f"{fmt(s['pixelBytes'] / 1e6, 1)} MB of pixel data.")
    out.append(f"- Runs: each contender {fmt(data['repeat'])} times at each rate, interleaved (run one of every contender, "
               f"then run two, …) so a change in the machine's load spreads over all of them; times are the median "
               f"with min–max in brackets. The benchmark took {fmt(data['benchMinutes'], 1)} minutes, the whole "
               f"script {fmt(data['totalMinutes'], 1)}.")
    if not data["quick"] and data["slices"] < 399:
        estimate = data["benchMinutes"] * 399 / max(1, data["slices"]) / 60
        out.append(f"- Study size: {fmt(data['slices'])} slices, not the sample study's {fmt(399)}: the codec part of "
                   f"this run took {fmt(data['benchMinutes'], 1)} minutes, so {fmt(399)} slices would take about "
                   f"{fmt(estimate, 1)} hours on this shared {fmt(m['cores'])}-core machine; the whole report must fit "
                   f"in about {fmt(30)} minutes. `--slices {fmt(399)}` runs the full study. How time grows with "
                   f"the study's size is measured separately (Scaling, below).")
    if data.get("budgetMinutes"):
        out.append(f"- Time budget: {fmt(data['budgetMinutes'], 0)} minutes (`--budget-minutes`); a rate that would "
                   f"not have finished in time is left out and named at the top.")
    out.append("- Timing: every contender is one command under GNU time (wall, user and system CPU, peak RSS). GNU "
               "time sits between the Python driver and the contender because a child's `ru_maxrss` includes the "
               "memory of the process that spawned it (docs/benchmarks.md); a gdcmconv pool runs under one "
               "`xargs -P`, whose figure is the largest single gdcmconv and the sum of their CPU.")
    out.append("- Quality: every output is decoded by pydicom + pylibjpeg-openjpeg (the same independent decoder for "
               "all) and compared with the original samples. PSNR uses the peak 2^BitsStored − 1; \"PSNR\" is over "
               "the whole study, \"PSNR min\" the worst slice, \"max err\" the largest absolute error in stored "
               "units. Pixel ratio = stored pixel bytes ÷ codestream bytes; file ratio = input file bytes ÷ output "
               "file bytes (none for the bare encoders). Output MB: the job's ZIP, the other contenders' DICOM files, "
               "the bare encoders' codestreams. Failures = files missing or not decodable, plus runs that "
               "exited non-zero. ∞ = exact.")
    out.append("")
    out.append("### Contenders and their settings")
    out.append("")
    out.append(f"- **job**: `dicom-j2k run --source STUDY --target out.zip --threads T --quality-check none` with "
               f"`--rate R` / `--lossless`; HTJ2K adds `--htj2k` (OpenJPH); quality mode is `--psnr P` with P the "
               f"OpenJPEG job's worst slice at that rate rounded down to a tenth of a dB (targets: "
               + (", ".join(f"{rate_text(_rate(k), fmt)} → {fmt(v, 1)} dB" for k, v in data["psnrTargets"].items()) or "none")
               + "). The job searches the OpenJPEG rate per frame so the achieved ratio meets the target.")
    out.append("- **gdcmconv**: `gdcmconv --j2k --lossy --irreversible -r R` (or `--j2k` lossless) once per file, "
               "through `xargs -P N`; GDCM's `-r` already counts the stored bytes, as ours does.")
    out.append("- **pydicom**: one Python process reading, compressing (`Dataset.compress` with the pylibjpeg "
               "plugin, `j2k_cr=[R × BitsStored ÷ BitsAllocated]` since OpenJPEG counts Bits Stored) and saving "
               "every file: one thread, no rate search.")
    out.append(f"- **encoders alone**: raw little-endian samples of the same slices (no DICOM). `opj_compress -ImgDir` "
               f"and `grk_compress -y` in one process over the folder, one thread, `-n {fmt(s['levels'])}` levels "
               f"(as the job), default {fmt(64)}×{fmt(64)} code-blocks, `-I -r R×BitsStored÷BitsAllocated` "
               f"(single pass, no rate search, so their achieved ratio differs from the job's). `ojph_compress` once "
               f"per slice (it reads one file), `-num_decomps {fmt(s['levels'] - 1)}` and {fmt(64)}×{fmt(64)} blocks "
               f"as our HTJ2K; it has no rate control, so its `-qstep` is found by bisection on the middle slice "
               f"for each rate ("
               + (", ".join(f"{rate_text(_rate(k), fmt)} → {fmt(v, 5)}" for k, v in data["ojphQsteps"].items()) or "none")
               + ") and used for every slice; our job searches the step per frame instead. OpenJPH's raw reader "
               "takes samples as unsigned, so it gets them shifted up by half the sample range (the level shift "
               "an encoder applies anyway) and its decoded samples are shifted back before comparing.")
    out.append("- **OpenJPEG in process alone**: `dicom-j2k bench --encoder-only`, the job's own encoder calls "
               "(same layout, options and per-frame rate search), every frame once on one thread with no I/O; "
               "its time is the encode loop's (thread CPU), and it writes no files, so it has no quality figures "
               "(they are the job's).")
    for missing in data["missing"]:
        out.append(f"- Left out: {missing['label']} ({missing['reason']}).")
    out.append("")

    out.append("## Results by rate")
    out.append("")
    for rate in sorted({r["rate"] for r in data["runs"]}, key=rate_key):
        out.append(f"### {rate_text(rate, fmt).capitalize() if rate == 'lossless' else 'Rate ' + rate_text(rate, fmt)}")
        out.append("")
        out.append(results_table(data, rate, fmt))
        out.append("")
        problems = [(r["contender"], p) for r in data["runs"] if r["rate"] == rate for p in r.get("problems") or []]
        for key, problem in problems[:5]:
            out.append(f"- {key}: `{problem}`")
        if problems:
            out.append("")

    out.append("## Charts")
    out.append("")
    captions = {
        "time-by-contender.png": "Wall time by contender and rate (median, whiskers min–max).",
        "cpu-by-contender.png": "CPU time by contender and rate (user, system hatched).",
        "rate-distortion.png": "Rate–distortion: PSNR over the study (left) and of the worst slice (right) "
                               "against the achieved ratio, per contender (dashed: HTJ2K).",
    }
    for name in chart_files:
        out.append(f"![{captions.get(name, name)}](charts/{name})")
        out.append("")
        out.append(captions.get(name, name))
        out.append("")

    out.append("## Pictures")
    out.append("")
    if picture:
        out.append(f"Slice `{s['middle']}` (the middle of the study) as the job (OpenJPEG, fixed rate) wrote it. "
                   f"Columns: the original, the decoded output, both at a CT window of W {fmt(picture['window'])} / "
                   f"L {fmt(picture['level'])} HU (stored value × Rescale Slope {fmt(s['slope'], 0)} + Intercept "
                   f"{fmt(s['intercept'], 0)}), and the difference decoded − original in HU, amplified: the colour "
                   f"scale spans ±{fmt(picture['diffScale'])} HU (the window spans {fmt(picture['window'])} HU, so "
                   f"differences are shown {fmt(picture['window'] / (2 * picture['diffScale']), 0)}× larger than "
                   f"grey levels of the window would show them).")
        out.append("")
        for row in picture["rows"]:
            out.append(f"- {rate_text(row['rate'], fmt)}: this slice at {fmt(row['ratio'], 1)}:{fmt(1)}, "
                       f"PSNR {fmt(row['psnr'], 2)} dB, largest error {fmt(row['maxErrorHU'])} HU.")
        out.append("")
        out.append(f"![Original, decoded and difference at each rate](charts/{picture['file']})")
        out.append("")
    else:
        out.append("No picture: none of the picture rates ran.")
        out.append("")

    if queue_module is not None and queue_data is not None:
        try:
            out.append(queue_module.markdown(queue_data, fmt).rstrip())
        except Exception as error:  # noqa: BLE001
            out.append(f"## Concurrency, scaling and cost\n\nqueue_scale.markdown failed: `{type(error).__name__}`.")
        out.append("")
        for name in queue_charts:
            if f"charts/{name}" not in out[-1]:
                out.append(f"![{name}](charts/{name})")
                out.append("")
    else:
        out.append("## Concurrency, scaling and cost")
        out.append("")
        out.append(f"Not in this run: {data.get('queueError') or 'left out (--no-queue)'}.")
        out.append("")

    out.append("## Regenerate")
    out.append("")
    out.append("```")
    out.append("benchmarks/run.sh            # the full run: installs, builds release, writes benchmarks/REPORT.md")
    out.append("benchmarks/run.sh --quick --out /tmp/quick   # CI's small run")
    out.append("python3 benchmarks/check_report.py benchmarks   # the report's numbers are this run's")
    out.append("```")
    out.append("")
    return "\n".join(out)


def _rate(key):
    return key if key == "lossless" else (int(float(key)) if float(key).is_integer() else float(key))
