// The report's inline style sheet: one file of CSS so the HTML needs nothing from the network.

extension RunReport {
    /// Cards on a light page, a system font stack, and chart styling shared by every inline SVG
    /// (classes rather than per-element attributes keep the SVG markup small). It holds no `<` or
    /// `&`, so the document stays well-formed XML as well as HTML.
    static let styleSheet = """
    :root { color-scheme: light; --ink: #1f2937; --muted: #6b7280; --line: #e5e7eb; --wrong: #dc2626; }
    * { box-sizing: border-box; }
    body { margin: 0; background: #f3f4f6; color: var(--ink);
      font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", "DejaVu Sans", Arial, sans-serif; }
    main { max-width: 1180px; margin: 0 auto; padding: 24px 20px 32px; }
    .card { background: #fff; border: 1px solid var(--line); border-radius: 10px; padding: 20px 24px; margin: 0 0 18px;
      box-shadow: 0 1px 2px rgba(0, 0, 0, 0.04); }
    .kicker { margin: 0; color: var(--muted); font-size: 12px; letter-spacing: 0.08em; text-transform: uppercase; }
    h1 { margin: 2px 0 14px; font-size: 28px; line-height: 1.2; overflow-wrap: anywhere; }
    h2 { margin: 0 0 4px; font-size: 19px; }
    .note { margin: 0 0 12px; color: var(--muted); font-size: 14px; }
    figure { margin: 0; }
    /* Text colour is inherited from the svg element, so a fill set on a text element (light
       counts on dark heat-map cells) still wins over it. */
    svg { max-width: 100%; height: auto; font-family: inherit; font-size: 12px; fill: var(--ink); }

    table.summary { border-collapse: collapse; width: 100%; }
    table.summary tbody { display: grid; grid-template-columns: repeat(auto-fill, minmax(200px, 1fr)); gap: 10px; }
    table.summary tr { display: flex; flex-direction: column; background: #f9fafb; border: 1px solid var(--line);
      border-radius: 8px; padding: 8px 14px; min-width: 0; }
    table.summary tr.wide { grid-column: span 2; }
    table.summary th { text-align: left; font-weight: 500; color: var(--muted); font-size: 12px;
      text-transform: uppercase; letter-spacing: 0.05em; }
    table.summary td { font-size: 18px; font-weight: 600; overflow-wrap: anywhere; font-variant-numeric: tabular-nums; }

    .charts { display: flex; flex-wrap: wrap; gap: 16px; }
    .charts .chart-box { flex: 0 1 calc(50% - 8px); min-width: 0; }
    @media (max-width: 900px) { .charts .chart-box { flex-basis: 100%; } }
    .chart-box svg { display: block; width: 100%; }
    #roc .chart-box svg { width: auto; max-width: 100%; margin: 0 auto; }
    .chart-title { font-size: 14px; font-weight: 600; }
    .axis-title { font-size: 12px; fill: var(--muted); }
    .grid line { stroke: #eceef1; stroke-width: 1; }
    .tick-labels text { fill: #4b5563; font-size: 11.5px; font-variant-numeric: tabular-nums; }
    path.axis { fill: none; stroke: #9ca3af; stroke-width: 1; }
    path.line { fill: none; stroke-width: 2; stroke-linejoin: round; stroke-linecap: round; }
    .legend text { font-size: 12px; }

    figure.picture { margin: 0 0 18px; }
    figure.picture figcaption { margin: 0 0 8px; color: var(--muted); font-size: 14px; }
    figure.picture figcaption strong { color: var(--ink); font-weight: 600; margin-right: 6px; }
    figure.picture img { display: block; max-width: 100%; height: auto; image-rendering: pixelated; }
    .legend-row { margin: 6px 0 0; font-size: 13px; }
    .swatch { display: inline-block; width: 11px; height: 11px; border-radius: 2px; margin: 0 4px 0 10px; vertical-align: -1px; }

    .matrix-row { display: flex; flex-wrap: wrap; gap: 18px; align-items: stretch; }
    .matrix-row > .card { flex: 1 1 460px; min-width: 0; margin-bottom: 18px; }
    .heatmap .label { font-size: 12px; }
    .heatmap .count { font-variant-numeric: tabular-nums; }
    .heatmap rect.cell { stroke: #fff; stroke-width: 1; }

    table.scores { border-collapse: collapse; width: 100%; font-variant-numeric: tabular-nums; font-size: 14px; }
    table.scores th, table.scores td { padding: 5px 10px; border-bottom: 1px solid var(--line); }
    table.scores thead th { text-align: right; color: var(--muted); font-weight: 500; font-size: 12px;
      text-transform: uppercase; letter-spacing: 0.05em; }
    table.scores thead th:first-child, table.scores tbody th { text-align: left; }
    table.scores tbody th { font-weight: 500; overflow-wrap: anywhere; }
    table.scores td.num { text-align: right; }
    table.scores tr.average th, table.scores tr.average td { color: var(--muted); }
    table.scores tr.average:first-of-type th, table.scores tr.average:first-of-type td { border-top: 2px solid var(--line); }
    table.scores .missing { color: var(--muted); }

    .samples { display: grid; grid-template-columns: repeat(auto-fill, minmax(120px, 1fr)); gap: 12px; }
    .sample { padding: 10px 8px 8px; border: 1px solid var(--line); border-radius: 8px; text-align: center; background: #fafafa; }
    .sample.wrong { border: 2px solid var(--wrong); background: #fef2f2; }
    .sample-image { display: block; margin: 0 auto 6px; image-rendering: pixelated; background: #000; }
    .sample-image.smooth { image-rendering: auto; }
    .sample-image.missing { width: 96px; height: 96px; line-height: 96px; color: var(--muted); background: #eee; font-size: 12px; }
    .sample figcaption { font-size: 12.5px; line-height: 1.35; }
    .sample figcaption span { display: block; overflow-wrap: anywhere; }
    .sample .true { color: var(--muted); }
    .sample.wrong .pred { color: var(--wrong); font-weight: 600; }

    .verdict { border-left: 4px solid #16a34a; background: #f0fdf4; border-radius: 6px; padding: 8px 14px; margin: 0 0 10px; }
    .verdict.problem { border-left-color: #dc2626; background: #fef2f2; }
    .verdict.info { border-left-color: #2563eb; background: #eff6ff; }
    .verdict p { margin: 4px 0 0; }
    .verdict .advice { color: var(--muted); font-size: 13.5px; }
    h3 { font-size: 15px; margin: 18px 0 8px; }

    footer { color: var(--muted); font-size: 12px; text-align: center; margin-top: 8px; }
    @media print { body { background: #fff; } .card { box-shadow: none; break-inside: avoid; } }
    """
}
