"""The drawn-digit benchmark: digits as pen strokes on the page's 280 × 280 canvas (issue 13).

Modules, in the order a sample passes through them:

- `habits`: stroke templates for the ways people write each digit (`4-closed-square`, …);
- `paths`: the geometry the templates are written with (lines, curves, arcs);
- `hand`: size, slant, placement, faults and pointer sampling — ideal shape → recorded points;
- `skeleton`, `redraw`: digit images → skeleton → pen paths → recorded points;
- `canvas`: the page's drawing pad (round 21 px pen, antialiased) → ink;
- `benchmark`: both generators through the pad and `model_build.preprocess`, split into
  validation and test, cached;
- `scores`: accuracy overall, per style, confusions; `contact_sheets`: PNGs to look at.

NumPy only; nothing here is imported by the site build unless asked for.
"""
