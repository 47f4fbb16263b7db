// Stroke geometry: a stroke's points become one smoothed polyline.
//
// The curve runs from the first point through the midpoints between
// consecutive points, each point being the control point of a quadratic
// piece, and ends with a straight line to the last point. Each piece is
// flattened into short segments with plain arithmetic, so every browser gets
// the same polyline; the display strokes it and the raster covers it, which
// keeps fills in line with what is seen.

const SEGMENT_PX = 4;
const MAX_STEPS = 8;

/** Append the flattened quadratic (sx,sy) -ctrl (cx,cy)-> (ex,ey) to `out` (start excluded). */
function quadratic(out, sx, sy, cx, cy, ex, ey) {
  const length = Math.hypot(cx - sx, cy - sy) + Math.hypot(ex - cx, ey - cy);
  const steps = Math.min(MAX_STEPS, Math.max(1, Math.ceil(length / SEGMENT_PX)));
  for (let i = 1; i <= steps; i++) {
    const t = i / steps;
    const a = (1 - t) * (1 - t);
    const b = 2 * (1 - t) * t;
    const c = t * t;
    out.push(a * sx + b * cx + c * ex, a * sy + b * cy + c * ey);
  }
}

/**
 * The smoothed polyline [x0, y0, x1, y1, ...] through points `p` (flat, with
 * no two equal neighbours). One point gives one point (a dot).
 */
export function smoothPolyline(p) {
  const n = p.length / 2;
  if (n <= 2) return p.slice();
  const out = [p[0], p[1]];
  let sx = p[0];
  let sy = p[1];
  for (let i = 1; i < n - 1; i++) {
    const cx = p[2 * i];
    const cy = p[2 * i + 1];
    const ex = (cx + p[2 * i + 2]) / 2;
    const ey = (cy + p[2 * i + 3]) / 2;
    quadratic(out, sx, sy, cx, cy, ex, ey);
    sx = ex;
    sy = ey;
  }
  out.push(p[2 * n - 2], p[2 * n - 1]);
  return out;
}

/** Append the points of `piece` to `into`, skipping any equal to the one before it. */
export function appendPoints(into, piece) {
  for (let i = 0; i + 1 < piece.length; i += 2) {
    const x = piece[i];
    const y = piece[i + 1];
    const k = into.length;
    if (k >= 2 && into[k - 2] === x && into[k - 1] === y) continue;
    into.push(x, y);
  }
  return into;
}
