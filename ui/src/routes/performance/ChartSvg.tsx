import type { SVGProps } from 'react';

/** An svg of exactly `width` × `height` pixels (its viewBox too), so its text is drawn at its size. */
export function ChartSvg({ width, height, className, children, ...rest }: SVGProps<SVGSVGElement> & { width: number; height: number }) {
  return (
    <svg className={`chart perf-chart ${className ?? ''}`} width={width} height={height} viewBox={`0 0 ${width} ${height}`} {...rest}>
      {children}
    </svg>
  );
}
