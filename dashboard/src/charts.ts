/**
 * ECharts, only the parts the dashboard draws: heat maps (migration, RFM grid), stacked areas (stages over time),
 * sankey (flows between stages) and bars. Canvas rendering and rich-text tooltips, so nothing needs inline styles
 * that the page's Content-Security-Policy refuses.
 */
import { BarChart, HeatmapChart, LineChart, SankeyChart } from 'echarts/charts';
import {
  GridComponent,
  LegendComponent,
  TooltipComponent,
  VisualMapComponent,
} from 'echarts/components';
import * as echarts from 'echarts/core';
import { CanvasRenderer } from 'echarts/renderers';
import { h } from './dom';

echarts.use([
  BarChart,
  HeatmapChart,
  LineChart,
  SankeyChart,
  GridComponent,
  LegendComponent,
  TooltipComponent,
  VisualMapComponent,
  CanvasRenderer,
]);

export type ChartOption = echarts.EChartsCoreOption;
export type Chart = echarts.ECharts;

const live = new Set<Chart>();

/** A chart in a box of its own; it follows the window's width. */
export function chart(
  name: string,
  option: ChartOption,
  height = 320,
): { box: HTMLElement; chart: Chart } {
  const box = h('div', { class: 'chart', 'data-chart': name, role: 'img', 'aria-label': name });
  box.classList.add(`chart-h${height}`);
  // No width: the chart takes its box's width when it is in the page (the resize below) and on every resize.
  const instance = echarts.init(box, undefined, { renderer: 'canvas', height });
  instance.setOption({ tooltip: { renderMode: 'richText' }, animation: false, ...option });
  live.add(instance);
  // The box is sized once it is in the page.
  requestAnimationFrame(() => instance.resize());
  return { box, chart: instance };
}

/** Drops the charts of the view being left. */
export function disposeCharts(): void {
  for (const instance of live) instance.dispose();
  live.clear();
}

window.addEventListener('resize', () => {
  for (const instance of live) instance.resize();
});
