/** Least-squares slope of y over x; undefined for fewer than 3 points or a single x. */
export function slope(points: ReadonlyArray<readonly [number, number]>): number | undefined {
  if (points.length < 3) return undefined;
  const mx = points.reduce((a, p) => a + p[0], 0) / points.length;
  const my = points.reduce((a, p) => a + p[1], 0) / points.length;
  const num = points.reduce((a, p) => a + (p[0] - mx) * (p[1] - my), 0);
  const den = points.reduce((a, p) => a + (p[0] - mx) ** 2, 0);
  return den === 0 ? undefined : num / den;
}
