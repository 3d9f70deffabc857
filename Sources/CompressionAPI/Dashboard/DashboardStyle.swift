/// The dashboard's inline style sheet: system fonts, large figures for the queue, status colours
/// that also carry a text label, and a dark scheme for a dark room.
enum DashboardStyle {
    static let css = """
        :root { --bg: #f6f7f9; --fg: #1b1f24; --muted: #5a6270; --panel: #ffffff; --line: #d8dce2;
          --ok: #1a7f37; --ok-bg: #dafbe1; --bad: #b42318; --bad-bg: #fde8e7; --busy: #8a5a00;
          --busy-bg: #fff4d6; --wait: #1f4f9a; --wait-bg: #e3ecfb; --link: #0b57d0; }
        @media (prefers-color-scheme: dark) {
          :root { --bg: #111418; --fg: #e6e9ee; --muted: #9aa3b0; --panel: #1a1f26; --line: #2e3540;
            --ok: #5fd17d; --ok-bg: #12331d; --bad: #ff8a80; --bad-bg: #3d1614; --busy: #f5c45e;
            --busy-bg: #3a2c0c; --wait: #8fb4ff; --wait-bg: #17284a; --link: #8fb4ff; }
        }
        * { box-sizing: border-box; }
        body { margin: 0; padding: 1rem 1.5rem 2rem; background: var(--bg); color: var(--fg);
          font: 15px/1.45 system-ui, -apple-system, "Segoe UI", "DejaVu Sans", sans-serif; }
        h1 { font-size: 1.4rem; margin: 0; }
        h2 { font-size: 1.1rem; margin: 0 0 .6rem; }
        header { display: flex; flex-wrap: wrap; align-items: baseline; gap: .4rem 1.5rem; margin-bottom: 1rem; }
        .meta, .count, .note, .library, footer { color: var(--muted); font-weight: normal; }
        section { background: var(--panel); border: 1px solid var(--line); border-radius: 8px;
          padding: .9rem 1rem; margin-bottom: 1rem; }
        a { color: var(--link); }
        code { font-family: ui-monospace, "DejaVu Sans Mono", monospace; font-size: .92em; }
        .tiles { display: flex; flex-wrap: wrap; gap: .75rem; margin: 0; }
        .tiles div { min-width: 10rem; padding: .5rem .8rem; border: 1px solid var(--line); border-radius: 6px; }
        .tiles dt { color: var(--muted); font-size: .85rem; }
        .tiles dd { margin: 0; font-size: 1.6rem; font-weight: 600; font-variant-numeric: tabular-nums; }
        .alert { margin: 0; padding: .7rem .9rem; border-radius: 6px; background: var(--bad-bg); color: var(--bad); }
        .warn { margin: .7rem 0 0; padding: .5rem .8rem; border-radius: 6px; background: var(--busy-bg);
          color: var(--busy); }
        .empty { margin: 0; color: var(--muted); font-style: italic; }
        .scroll { overflow-x: auto; }
        table { border-collapse: collapse; width: 100%; font-variant-numeric: tabular-nums; }
        th, td { text-align: left; padding: .35rem .5rem; border-bottom: 1px solid var(--line); vertical-align: top; }
        th { font-size: .85rem; color: var(--muted); font-weight: 600; white-space: nowrap; }
        td { white-space: nowrap; }
        td .uri, td .task { white-space: normal; overflow-wrap: anywhere; }
        .uri { display: inline-block; min-width: 10rem; max-width: 20rem; }
        .task { display: inline-block; min-width: 7rem; max-width: 14rem; }
        .status { display: inline-block; min-width: 6.5rem; padding: .1rem .5rem; border-radius: 999px;
          font-weight: 600; font-size: .85rem; text-align: center; }
        .status-completed { color: var(--ok); background: var(--ok-bg); }
        .status-failed { color: var(--bad); background: var(--bad-bg); }
        .status-processing { color: var(--busy); background: var(--busy-bg); }
        .status-queued { color: var(--wait); background: var(--wait-bg); }
        .status-completed::before { content: "✓ "; }
        .status-failed::before { content: "✗ "; }
        .status-processing::before { content: "▶ "; }
        .status-queued::before { content: "… "; }
        tr.job-failed td { border-bottom: none; }
        .error-row td { white-space: normal; color: var(--bad); background: var(--bad-bg); word-break: break-word;
          padding-left: 1.2rem; }
        .bad { color: var(--bad); }
        .tag { font-size: .75rem; padding: 0 .35rem; border: 1px solid var(--line); border-radius: 4px; }
        footer { font-size: .85rem; }

        """
}
