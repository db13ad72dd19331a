interface SparklineProps {
  values: number[];
  /** The value range drawn from bottom to top. */
  min: number;
  max: number;
  color: string;
  width?: number;
  height?: number;
}

/** A small strip of recent values: a line with a dot on the latest. */
export function Sparkline({ values, min, max, color, width = 80, height = 20 }: SparklineProps) {
  if (values.length === 0) return null;
  const span = max > min ? max - min : 1;
  // 2 px inset on every side: the dot on the latest value stays inside the strip.
  const step = values.length > 1 ? (width - 4) / (values.length - 1) : 0;
  const points = values.map((value, index) => {
    const clamped = Math.min(max, Math.max(min, value));
    return [2 + index * step, height - 2 - ((clamped - min) / span) * (height - 4)] as const;
  });
  const [lastX, lastY] = points[points.length - 1]!;
  return (
    <svg
      data-testid="sparkline"
      width={width}
      height={height}
      viewBox={`0 0 ${width} ${height}`}
      role="img"
      aria-label={`recent values: ${values.join(', ')}`}
    >
      <polyline
        points={points.map(([x, y]) => `${x.toFixed(1)},${y.toFixed(1)}`).join(' ')}
        fill="none"
        stroke={color}
        strokeWidth={1.5}
      />
      <circle cx={lastX} cy={lastY} r={2} fill={color} />
    </svg>
  );
}
