import { useEffect, useRef } from 'preact/hooks';
import uPlot from 'uplot';
import { dateFormat } from '../format.js';
import { t } from '../i18n.js';

export interface Series {
  label: string;
  /** One value per x, null for a gap. */
  values: (number | null)[];
  colour: string;
}

/** A uPlot line chart over time (x in epoch seconds), sized to its box. */
export function TimeChart({
  xs,
  series,
  height = 220,
  unit,
  range,
}: {
  xs: number[];
  series: Series[];
  height?: number;
  unit: string;
  /** Fixed x range (epoch seconds); without it uPlot fits the data, which is odd for one point. */
  range?: [number, number];
}) {
  const box = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const el = box.current;
    if (!el) return;
    const opts: uPlot.Options = {
      width: Math.max(200, el.clientWidth),
      height,
      // Points as well as lines, so a series of one hour still shows.
      series: [
        { label: t('common.when'), value: (_u, v) => (v === null ? '–' : stamp(v, 'long')) },
        ...series.map((s) => ({
          label: s.label,
          stroke: s.colour,
          width: 2,
          spanGaps: false,
          points: { show: true, size: 5 },
        })),
      ],
      // Times on the axis and in the legend in the user's language (uPlot's own names are English).
      axes: [
        {
          values: (_u, splits, _i, _space, incr) =>
            splits.map((v) => stamp(v, incr >= 86_400 ? 'day' : 'time')),
        },
        { label: unit, size: 60 },
      ],
      scales: { x: range ? { time: true, range: () => range } : { time: true } },
      legend: { show: true },
    };
    const plot = new uPlot(opts, [xs, ...series.map((s) => s.values)] as uPlot.AlignedData, el);
    const onResize = () => plot.setSize({ width: Math.max(200, el.clientWidth), height });
    addEventListener('resize', onResize);
    return () => {
      removeEventListener('resize', onResize);
      plot.destroy();
    };
  }, [xs, series, height, unit, range]);
  return <div class="chart" ref={box} />;
}

/** Epoch seconds as a date, a time of day, or both, in the chosen locale and the browser's zone. */
function stamp(s: number, style: 'day' | 'time' | 'long'): string {
  return dateFormat(undefined, style).format(s * 1000);
}
